"""Read the contrasts file: pairs of corpus cases staff confuse, shown side by side.

In: the contrasts file (`contrasts: [{title: ..., cases: [case name, case name]}]`) and
the names of the corpus's cases.
Out: `Contrast`s, or `Problems` with every diagnostic at once, each with its code and
its file:line (a contrast of the wrong shape, a name no case has, a name two cases share).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from billability.model.diagnostics import Diagnostic, Location, Problems, hint_for
from billability.policy.source import read_yaml_file


@dataclass(frozen=True, slots=True)
class Contrast:
    """Two or three corpus cases that staff confuse, shown side by side."""

    title: str
    cases: tuple[str, ...]
    location: Location


def load_contrasts(path: Path, case_names: Sequence[str]) -> tuple[Contrast, ...]:
    """The contrasts file: `contrasts: [{title: ..., cases: [case name, case name]}]`."""
    located = read_yaml_file(path, str(path))
    problems: list[Diagnostic] = []
    found: list[Contrast] = []
    body = located.data
    if not isinstance(body, dict) or set(body) != {"contrasts"} or not isinstance(body["contrasts"], list):
        raise Problems(
            [
                Diagnostic(
                    "site.contrasts-shape",
                    "a contrasts file holds one key, `contrasts`, with a list of contrasts",
                    located.where(()),
                )
            ]
        )
    known = set(case_names)
    repeated = {name for name in known if case_names.count(name) > 1}
    for index, entry in enumerate(body["contrasts"]):
        path_key: tuple[str | int, ...] = ("contrasts", index)
        if (
            not isinstance(entry, dict)
            or set(entry) != {"title", "cases"}
            or not isinstance(entry["title"], str)
            or not isinstance(entry["cases"], list)
            or not 2 <= len(entry["cases"]) <= 3
            or not all(isinstance(name, str) for name in entry["cases"])
        ):
            problems.append(
                Diagnostic(
                    "site.contrasts-shape",
                    "a contrast has a `title` and a list of two or three `cases` (corpus case names)",
                    located.where(path_key),
                )
            )
            continue
        for position, name in enumerate(entry["cases"]):
            if name not in known:
                problems.append(
                    Diagnostic(
                        "site.unknown-case",
                        f"the corpus has no case named `{name}`",
                        located.where((*path_key, "cases", position)),
                        hint=hint_for(name, sorted(known)),
                    )
                )
            elif name in repeated:
                problems.append(
                    Diagnostic(
                        "site.ambiguous-case",
                        f"more than one corpus case is named `{name}`",
                        located.where((*path_key, "cases", position)),
                        hint="give each of those cases its own name",
                    )
                )
        found.append(Contrast(entry["title"], tuple(entry["cases"]), located.where(path_key)))
    if problems:
        raise Problems(problems)
    return tuple(found)
