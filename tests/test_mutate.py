"""Mutation testing: the mutants, the equivalent list, and the `mutate` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from billability.cli import main
from billability.compile import compile_texts, load_policy
from billability.corpus import load_cases, run_case
from billability.diagnostics import Location, Problems
from billability.dump import dump_policy
from billability.mutate import Equivalent, load_equivalents, mutants, run_mutants, witness
from billability.resources import corpus_dir

POLICY = load_policy()
CASES = load_cases(None, POLICY)
MUTANTS = mutants(POLICY)
NAMES = [mutant.name for mutant in MUTANTS]


@pytest.mark.parametrize(
    "name",
    [
        "rule warm-handoff-tcs-window: days_since_discharge more than 30 -> 31",
        "rule warm-handoff-tcs-window: days_since_discharge more than 30 -> 29",
        "rule warm-handoff-tcs-window: drop after_discharge is true",
        "rule warm-handoff-tcs-window: negate activity is warm_handoff",
        "rule credential-not-qualified: negate not (provider_credential is registered_sud_counselor or certified_sud_counselor or lpha)",
        "rule credential-not-qualified: provider_credential without lpha",
        "rule credential-not-qualified: provider_credential also peer_support_specialist",
        "rule advocacy: outcome billable -> needs_review",
        "rule transportation deleted",
        "precedence: not_billable and needs_review swapped",
    ],
)
def test_each_kind_of_mutant_is_generated_in_maintainer_words(name: str) -> None:
    assert name in NAMES


def test_mutant_names_are_unique() -> None:
    assert len(NAMES) == len(set(NAMES))


@pytest.mark.parametrize("mutant", MUTANTS, ids=NAMES)
def test_every_mutant_is_policy_text_a_maintainer_could_write(mutant: object) -> None:
    from billability.mutate import Mutant

    assert isinstance(mutant, Mutant)
    written = compile_texts(dump_policy(mutant.policy), mutant.policy.source_text)
    assert written.rules == mutant.policy.rules
    assert written.precedence == mutant.policy.precedence


def test_the_bundled_corpus_kills_every_mutant_not_listed_as_equivalent() -> None:
    report = run_mutants(POLICY, CASES, load_equivalents(corpus_dir().parent / "tests" / "equivalent-mutants.yaml"))
    assert report.problems == ()
    assert report.survivors == ()
    assert report.kill_rate == 1.0


def test_a_smaller_corpus_lets_mutants_survive() -> None:
    only_tables = [case for case in CASES if "table-" in case.location.file]
    report = run_mutants(POLICY, only_tables)
    survivors = [result.mutant.name for result in report.survivors]
    assert "rule warm-handoff-tcs-window: days_since_discharge more than 30 -> 31" in survivors
    assert report.kill_rate < 1.0


def test_a_killed_mutant_is_killed_by_a_case_that_fails_on_it() -> None:
    report = run_mutants(POLICY, CASES)
    for result in report.results:
        if result.killed_by is not None:
            assert not run_case(result.mutant.policy, result.killed_by).passed


def test_witness_finds_a_scenario_that_tells_a_killable_mutant_apart() -> None:
    mutant = MUTANTS[NAMES.index("rule warm-handoff-tcs-window: days_since_discharge more than 30 -> 31")]
    found = witness(POLICY, mutant.policy)
    assert found is not None and found["days_since_discharge"] == 31 and found["activity"] == "warm_handoff"
    equivalent = MUTANTS[NAMES.index("precedence: needs_review and billable swapped")]
    assert witness(POLICY, equivalent.policy) is None


WHERE = Location("equivalent.yaml", 3, 13)


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([Equivalent("rule advocacy: contact_mode also fax", "no such mode", WHERE)], "mutation.unknown-mutant"),
        ([Equivalent("rule transportation deleted", "wrong", WHERE)], "mutation.not-equivalent"),
        (
            [Equivalent("precedence: needs_review and billable swapped", "r", WHERE)] * 2,
            "mutation.duplicate-entry",
        ),
    ],
)
def test_a_wrong_equivalent_entry_is_a_located_problem(entries: list[Equivalent], code: str) -> None:
    report = run_mutants(POLICY, CASES, entries)
    assert [(d.code, d.location) for d in report.problems] == [(code, WHERE)]


def test_an_equivalent_entry_the_corpus_cannot_kill_but_a_scenario_can_is_rejected() -> None:
    # Without the corpus file that pins the communication rules down, the corpus cannot
    # kill this mutant, but trying every scenario finds one that tells it apart.
    cases = [case for case in CASES if "mutation-kills" not in case.location.file]
    name = "rule communication-voicemail: activity also transportation"
    report = run_mutants(POLICY, cases, [Equivalent(name, "claimed", WHERE)])
    assert [(d.code, d.location) for d in report.problems] == [("mutation.not-equivalent", WHERE)]
    assert name in [result.mutant.name for result in report.survivors]


def test_the_equivalent_list_is_schema_checked(tmp_path: Path) -> None:
    path = tmp_path / "equivalent.yaml"
    path.write_text("equivalent:\n  - mutant: rule transportation deleted\n    because: no reason\n")
    with pytest.raises(Problems) as raised:
        load_equivalents(path)
    assert {(d.code, d.location.line if d.location else 0) for d in raised.value.diagnostics} == {
        ("schema.unknown-key", 3),
        ("schema.required", 2),
    }


def test_mutate_command_passes_on_the_bundled_policy_and_corpus() -> None:
    result = CliRunner().invoke(main, ["mutate"])
    assert result.exit_code == 0, result.output
    assert "0 survived; kill rate 100.0%" in result.output


def test_mutate_command_fails_and_names_survivors_with_their_location() -> None:
    result = CliRunner().invoke(main, ["mutate", "--corpus", str(corpus_dir() / "table-scenarios.yaml")])
    assert result.exit_code == 1
    where = POLICY.rule("warm-handoff-tcs-window").when
    assert "rule warm-handoff-tcs-window: days_since_discharge more than 30 -> 31 survived" in result.output
    assert any(
        line.startswith("policy/rules/connection.yaml:") and "30 -> 31 survived" in line
        for line in result.output.splitlines()
    ), where


def test_mutate_command_reports_a_bad_equivalent_list(tmp_path: Path) -> None:
    path = tmp_path / "equivalent.yaml"
    path.write_text("equivalent:\n  - mutant: rule advocacy deleted\n    reason: it is not\n")
    result = CliRunner().invoke(main, ["mutate", "--equivalent", str(path)])
    assert result.exit_code == 1
    assert "mutation.not-equivalent" in result.output


def test_mutate_command_reports_a_missing_equivalent_list(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["mutate", "--equivalent", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "file.unreadable" in result.output or "file.not-found" in result.output
