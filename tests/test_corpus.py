"""The corpus covers the whole county table, pins every rule, and reports its own mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from billability import Policy, Problems
from billability.compile import normalize
from billability.corpus import load_cases, run_cases
from billability.sourcetext import statements


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


def test_every_statement_of_the_source_table_has_a_case(policy: Policy, cases: list) -> None:  # type: ignore[type-arg]
    cited = {normalize(case.source) for case in cases if case.source}
    uncovered = [f"line {s.line}: {s.text}" for s in statements(policy.source_text) if normalize(s.text) not in cited]
    assert uncovered == []


def test_every_case_source_is_a_whole_statement_of_the_table(policy: Policy, cases: list) -> None:  # type: ignore[type-arg]
    whole = {normalize(s.text) for s in statements(policy.source_text)}
    partial = [
        f"{case.location}: {case.source}" for case in cases if case.source and normalize(case.source) not in whole
    ]
    assert partial == []


def test_a_row_added_to_the_source_without_a_case_is_noticed(policy: Policy, cases: list) -> None:  # type: ignore[type-arg]
    text = policy.source_text.replace(
        "\tCommunity Resources\t", "\t\tHelp clients find a dentist.\n\tCommunity Resources\t", 1
    )
    cited = {normalize(case.source) for case in cases if case.source}
    assert [s.text for s in statements(text) if normalize(s.text) not in cited] == ["Help clients find a dentist."]


def test_every_rule_decides_at_least_one_case(policy: Policy, cases: list) -> None:  # type: ignore[type-arg]
    deciding = {rule for result in run_cases(policy, cases) for rule in result.decision.rules}
    assert [rule.id for rule in policy.rules if rule.id not in deciding] == []


def test_every_case_passes(policy: Policy, cases: list) -> None:  # type: ignore[type-arg]
    failures = [(str(r.case.location), r.differences) for r in run_cases(policy, cases) if not r.passed]
    assert failures == []
    assert len(cases) >= 41


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
