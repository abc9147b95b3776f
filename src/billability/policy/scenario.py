"""A scenario as a person gives it on the command line: a file of facts and FACT=VALUE words.

In: the command's words (`scenario.yaml`, `-` for standard input, `activity=advocacy`)
and the compiled `Policy`, whose facts say how each value's text is read.
Out: a `GivenScenario`: the facts (FACT=VALUE words override the file's), where each
came from, and the problems of the words' text (a value's meaning is checked when the
scenario is decided). A file that cannot be read, or holds no mapping, raises `Problems`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.model.policy import FactType
from billability.policy.compiled import Policy
from billability.policy.source import read_yaml


@dataclass(frozen=True, slots=True)
class GivenScenario:
    """The facts given, where each came from, and the problems found in the words' text."""

    facts: dict[str, Any]
    locations: dict[str, Location]
    problems: tuple[Diagnostic, ...]


def read_scenario(items: Sequence[str], policy: Policy, stdin: BinaryIO | None = None) -> GivenScenario:
    """The scenario a file (first, `-` for `stdin`) and FACT=VALUE words give."""
    facts: dict[str, Any] = {}
    locations: dict[str, Location] = {}
    problems: list[Diagnostic] = []
    declared = policy.fact_index
    for position, item in enumerate(items, start=1):
        where = Location(f"argument {position} `{item}`")
        if "=" not in item:
            if position != 1:
                problems.append(
                    Diagnostic(
                        "cli.argument", "expected FACT=VALUE here", where, hint="a scenario file must come first"
                    )
                )
                continue
            file_facts, file_locations = _scenario_file(item, stdin)
            facts.update(file_facts)
            locations.update(file_locations)
            continue
        name, _, text = item.partition("=")
        name = name.strip()
        fact = declared.get(name)
        locations[name] = where
        if fact is None:
            facts[name] = text
            continue
        if fact.type is FactType.BOOLEAN:
            if text not in {"true", "false"}:
                problems.append(
                    Diagnostic(
                        "scenario.type", f"`{name}` is true or false, not `{text}`", where, "write `true` or `false`"
                    )
                )
                continue
            facts[name] = text == "true"
        elif fact.type is FactType.INTEGER:
            try:
                facts[name] = int(text)
            except ValueError:
                problems.append(
                    Diagnostic(
                        "scenario.type",
                        f"`{name}` is a whole number, not `{text}`",
                        where,
                        "write a number such as `12`",
                    )
                )
        else:
            facts[name] = text
    return GivenScenario(facts, locations, tuple(problems))


def _scenario_file(name: str, stdin: BinaryIO | None) -> tuple[dict[str, Any], dict[str, Location]]:
    try:
        if name == "-":
            raw: bytes = (stdin if stdin is not None else sys.stdin.buffer).read()
            display = "<stdin>"
        else:
            path = Path(name)
            display = name
            raw = path.read_bytes()
        located = read_yaml(raw, display)
    except OSError as error:
        raise Problems(
            [Diagnostic("file.unreadable", f"cannot read the scenario: {error.strerror or error}", Location(name))]
        ) from None
    data = located.data
    prefix: tuple[str, ...] = ()
    if isinstance(data, dict) and isinstance(data.get("facts"), dict):
        data, prefix = data["facts"], ("facts",)
    if not isinstance(data, dict):
        raise Problems(
            [
                Diagnostic(
                    "scenario.type",
                    "a scenario file holds a mapping of facts to values",
                    located.where(()),
                    hint="for example `activity: advocacy`",
                )
            ]
        )
    return dict(data), {key: located.where_key((*prefix, key)) for key in data}
