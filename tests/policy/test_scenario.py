"""A scenario as given on the command line: FACT=VALUE words read by the fact's type, a
file of facts first (or `-`), and every problem located at the word or file it is in."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from billability.model.diagnostics import Location, Problems
from billability.policy.compiled import Policy
from billability.policy.scenario import read_scenario


@pytest.mark.parametrize(
    ("word", "fact", "value"),
    [
        ("activity=handoff", "activity", "handoff"),
        ("documented=true", "documented", True),
        ("documented=false", "documented", False),
        ("days_since_discharge=12", "days_since_discharge", 12),
        ("unknown_fact=7", "unknown_fact", "7"),  # judged when the scenario is decided
        (" activity =x=y", "activity", "x=y"),
    ],
)
def test_words_are_read_by_the_facts_type(clinic: Policy, word: str, fact: str, value: object) -> None:
    given = read_scenario([word], clinic)
    assert given.facts == {fact: value}
    assert given.locations == {fact: Location(f"argument 1 `{word}`")}
    assert given.problems == ()


@pytest.mark.parametrize(
    ("word", "code", "hint"),
    [
        ("documented=yes", "scenario.type", "write `true` or `false`"),
        ("days_since_discharge=twelve", "scenario.type", "write a number such as `12`"),
        ("stray", "cli.argument", "a scenario file must come first"),
    ],
)
def test_a_word_that_does_not_read_is_a_located_problem(clinic: Policy, word: str, code: str, hint: str) -> None:
    given = read_scenario(["activity=handoff", word], clinic)
    assert [(p.code, p.location, p.hint) for p in given.problems] == [(code, Location(f"argument 2 `{word}`"), hint)]
    assert given.facts == {"activity": "handoff"}


def test_a_file_comes_first_and_words_override_it(clinic: Policy, tmp_path: Path) -> None:
    file = tmp_path / "scenario.yaml"
    file.write_text("facts:\n  activity: driving\n  documented: true\n", encoding="utf-8")
    given = read_scenario([str(file), "activity=handoff"], clinic)
    assert given.facts == {"activity": "handoff", "documented": True}
    assert given.locations["documented"] == Location(str(file), 3, 3)
    assert given.locations["activity"] == Location("argument 2 `activity=handoff`")


def test_standard_input_is_read_for_a_dash(clinic: Policy) -> None:
    given = read_scenario(["-"], clinic, io.BytesIO(b'{"activity": "driving"}'))
    assert given.facts == {"activity": "driving"}
    assert given.locations["activity"].file == "<stdin>"


@pytest.mark.parametrize(
    ("text", "code"),
    [(None, "file.unreadable"), ("- a list\n", "scenario.type"), ("a: [\n", "yaml.syntax")],
)
def test_a_file_that_gives_no_facts_raises(clinic: Policy, tmp_path: Path, text: str | None, code: str) -> None:
    file = tmp_path / "scenario.yaml"
    if text is not None:
        file.write_text(text, encoding="utf-8")
    with pytest.raises(Problems) as raised:
        read_scenario([str(file), "activity=handoff"], clinic)
    assert [d.code for d in raised.value.diagnostics][:1] == [code]
    assert all(d.location is not None and d.location.file == str(file) for d in raised.value.diagnostics)
