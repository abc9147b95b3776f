"""The corpus covers the whole county table, pins every rule, and reports its own mistakes."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from billability import Location, Policy, Problems
from billability.checks.corpus import Case, corpus_findings, load_cases, run_cases
from billability.cli import main
from billability.policy.sourcetext import statements
from policy_texts import CLINIC


@pytest.fixture(scope="module")
def cases(policy: Policy) -> list:  # type: ignore[type-arg]
    return load_cases(None, policy)


def test_the_source_table_has_the_statements_we_expect(policy: Policy) -> None:
    found = statements(policy.source_text)
    kinds = [(s.kind, s.topic) for s in found]
    assert kinds.count(("note", "")) == 1
    assert sum(1 for kind, _ in kinds if kind == "activity") == 9
    assert [
        kinds.count((kind, topic))
        for topic in ("Connection", "Coordination", "Communication")
        for kind in ("billable", "not_billable")
    ] == [5, 5, 2, 1, 2, 3]


def test_a_row_added_to_the_source_without_a_case_is_noticed(policy: Policy, cases: list) -> None:  # type: ignore[type-arg]
    text = policy.source_text.replace(
        "\tCommunity Resources\t", "\t\tHelp clients find a dentist.\n\tCommunity Resources\t", 1
    )
    findings = corpus_findings(replace(policy, source_text=text), run_cases(policy, cases))
    # Only the statements matter here: whether the corpus passes is the corpus items' concern.
    uncited = [d.message for d in findings if d.code == "corpus.statement-without-case"]
    assert [message.endswith("\u201cHelp clients find a dentist.\u201d") for message in uncited] == [True]


# --- the corpus as a whole, on the clinic fixture -------------------------------------------


def _without(cases: list[Case], name: str) -> list[Case]:  # the fixture's cases less one
    assert any(case.name == name for case in cases), name
    return [case for case in cases if case.name != name]


def test_a_statement_whose_only_case_is_deleted_is_located_in_the_source(
    clinic: Policy, clinic_cases: list[Case]
) -> None:
    kept = _without(clinic_cases, "A voicemail is not billable")
    (finding,) = corpus_findings(clinic, run_cases(clinic, kept))
    line = next(n for n, text in enumerate(clinic.source_text.splitlines(), 1) if "Leaving a voice mail" in text)
    column = clinic.source_text.splitlines()[line - 1].index("Leaving a voice mail") + 1
    assert finding.code == "corpus.statement-without-case"
    assert finding.location == Location(clinic.source_file, line, column)
    assert clinic.source_file.endswith("fixtures/clinic/policy/sources/table.txt")


def test_a_case_quoting_part_of_a_statement_is_reported(clinic: Policy, clinic_cases: list[Case]) -> None:
    quoting_part = [
        replace(case, source="Talking with a provider")
        if case.name == "Talking with a provider by phone is billable"
        else case
        for case in clinic_cases
    ]
    findings = corpus_findings(clinic, run_cases(clinic, quoting_part))
    assert sorted(d.code for d in findings) == ["corpus.partial-statement", "corpus.statement-without-case"]


def test_a_rule_that_decides_no_case_is_reported_at_the_rule(clinic: Policy, clinic_cases: list[Case]) -> None:
    kept = _without(clinic_cases, "A video call needs review")
    (finding,) = corpus_findings(clinic, run_cases(clinic, kept))
    assert (finding.code, finding.location) == (
        "corpus.rule-decides-no-case",
        clinic.rule("provider-call-video").location,
    )


def test_the_fixture_corpus_as_a_whole_has_no_problems(clinic: Policy, clinic_cases: list[Case]) -> None:
    assert corpus_findings(clinic, run_cases(clinic, clinic_cases)) == []


def test_the_test_command_fails_on_a_statement_without_a_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(CLINIC, tmp_path / "clinic")
    monkeypatch.chdir(tmp_path / "clinic")
    file = Path("corpus/cases.yaml")
    text = file.read_text(encoding="utf-8")
    case = "  - name: An email is not billable\n"
    start = text.index(case)
    file.write_text(text[:start] + text[text.index("  - name:", start + len(case)) :], encoding="utf-8")
    result = CliRunner().invoke(main, ["test"])
    assert result.exit_code == 1
    assert "policy/sources/table.txt:19:" in result.output and "corpus.statement-without-case" in result.output
    assert result.output.rstrip().endswith(": 14 passed, 0 failed, 1 problem of the corpus as a whole")
    # A file picked out of the corpus is not the whole corpus: its cases are run, nothing more.
    assert CliRunner().invoke(main, ["test", "corpus/cases.yaml"]).exit_code == 0


# --- the corpus loader's own diagnostics, on the clinic fixture policy ---------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cases:\n  - name: x\n    facts: {activty: benefits}\n    expect: {outcome: undetermined, missing: []}\n",
         [("scenario.unknown-fact", 3, 13)]),
        ("cases:\n  - name: x\n    facts: {activity: benefits}\n    expect: {outcome: billable, rules: [benefts]}\n",
         [("corpus.unknown-rule", 4, 41)]),
        ("cases:\n  - name: x\n    facts: {activity: benefits}\n    expect: {outcome: billable}\n",
         [("corpus.expect-rules", 4, 5)]),
        ("cases:\n  - name: x\n    facts: {}\n    expect: {outcome: undetermined}\n",
         [("corpus.expect-missing", 4, 5)]),
        ("cases:\n  - name: x\n    facts: {}\n    expect: {outcome: undetermined, missing: [activty]}\n",
         [("corpus.unknown-fact", 4, 47)]),
        ("cases:\n  - name: x\n    source: Not in the table.\n    facts: {}\n    expect: {outcome: undetermined, missing: []}\n",
         [("corpus.quote-not-in-source", 3, 13)]),
        ("cases:\n  - name: x\n    facts: {}\n    expect: {outcome: maybe, missing: []}\n",
         [("schema.enum", 4, 23)]),
    ],
)  # fmt: skip
def test_mistakes_in_a_corpus_file_are_located(
    clinic: Policy, tmp_path: Path, text: str, expected: list[tuple[str, int, int]]
) -> None:
    file = tmp_path / "cases.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(Problems) as raised:
        load_cases([file], clinic)
    assert [(d.code, d.location.line, d.location.column) for d in raised.value.diagnostics if d.location] == expected


def test_a_failing_case_says_what_differs(clinic: Policy, tmp_path: Path) -> None:
    file = tmp_path / "cases.yaml"
    file.write_text(
        "cases:\n  - name: Email is billable\n"
        "    facts: {provider_credential: counselor, activity: provider_call, contact_mode: email}\n"
        "    expect: {outcome: billable, rules: [provider-call]}\n",
        encoding="utf-8",
    )
    (result,) = run_cases(clinic, load_cases([file], clinic))
    assert not result.passed
    assert result.case.location.line == 2
    assert result.differences == (
        "outcome: expected billable, got not_billable",
        "rules: expected [provider-call], got [provider-call-voicemail-or-email]",
    )


def test_a_corpus_folder_without_cases_is_an_error_not_zero_cases(clinic: Policy, tmp_path: Path) -> None:
    with pytest.raises(Problems) as raised:
        load_cases([tmp_path], clinic)
    assert [d.code for d in raised.value.diagnostics] == ["corpus.no-files"]


def test_two_cases_with_one_name_are_an_error(clinic: Policy, tmp_path: Path) -> None:
    case = "  - name: Driving a client is not billable\n    facts: {activity: driving}\n    expect: {outcome: not_billable, rules: [driving]}\n"
    (tmp_path / "a.yaml").write_text("cases:\n" + case, encoding="utf-8")
    (tmp_path / "b.yaml").write_text("cases:\n" + case, encoding="utf-8")
    with pytest.raises(Problems) as raised:
        load_cases([tmp_path], clinic)
    assert [
        (d.code, d.location.file.endswith("b.yaml"), d.location.line) for d in raised.value.diagnostics if d.location
    ] == [("corpus.duplicate-name", True, 2)]
