"""Rule and condition coverage of a corpus, and the `coverage` command, on the clinic
fixture (whose corpus deliberately leaves some conditions seen only one way).

Locations are compared by file name, line and column, never by a path that depends on
the working folder or on how the package is installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from billability.checks.corpus import Case, load_cases
from billability.checks.coverage import CoverageReport, measure
from billability.cli import main
from billability.model.conditions import node_at
from billability.model.diagnostics import Location
from billability.policy.compiled import Policy
from policy_texts import CLINIC

# Cases the fixture corpus lacks: other activities recorded with the facts a rule
# tests, so that each rule's activity test is seen false where it decides the rule.
DRIVING_WITH_VOICEMAIL = """\
  - name: Driving with a voicemail recorded is not billable for driving alone
    facts: {provider_credential: counselor, activity: driving, contact_mode: voicemail}
    expect: {outcome: not_billable, rules: [driving]}
"""
COMPLETING = (
    "cases:\n"
    + DRIVING_WITH_VOICEMAIL
    + """\
  - name: Driving with a phone call recorded is not billable for driving alone
    facts: {provider_credential: counselor, activity: driving, contact_mode: phone}
    expect: {outcome: not_billable, rules: [driving]}
  - name: Driving with a video call recorded is not billable for driving alone
    facts: {provider_credential: counselor, activity: driving, contact_mode: video}
    expect: {outcome: not_billable, rules: [driving]}
  - name: Driving with no documentation is not billable for driving alone
    facts: {provider_credential: counselor, activity: driving, documented: false}
    expect: {outcome: not_billable, rules: [driving]}
  - name: Driving long after discharge is not billable for driving alone
    facts: {provider_credential: counselor, activity: driving, days_since_discharge: 15}
    expect: {outcome: not_billable, rules: [driving]}
"""
)

PARTIAL = """\
cases:
  - name: Driving is not billable whoever drives
    facts: {activity: driving}
    expect: {outcome: not_billable, rules: [driving]}
"""


def write_cases(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def at(location: Location | None) -> tuple[str, str]:
    """A location as the fixture file it is in (`rules/connection.yaml`) and the text it
    points at there: the same wherever the tests run and however the package is installed."""
    assert location is not None and location.line is not None and location.column is not None
    parts = Path(location.file).parts
    relative = Path(*parts[len(parts) - parts[::-1].index("policy") :])
    line = (CLINIC / "policy" / relative).read_text(encoding="utf-8").splitlines()[location.line - 1]
    return relative.as_posix(), line[location.column - 1 :]


def uncovered_conditions(report: CoverageReport) -> list[tuple[str, str, tuple[str, str]]]:
    return [(c.rule, c.condition, at(c.location)) for c in report.conditions if not c.covered]


# What the fixture corpus leaves uncovered: each rule's activity test is never false where
# it decides its rule. Each is located at the value it tests.
ACTIVITY_TESTS_SEEN_ONLY_TRUE = [
    ("provider-call", "activity is provider_call", ("rules/communication.yaml", "provider_call")),
    ("provider-call-voicemail-or-email", "activity is provider_call", ("rules/communication.yaml", "provider_call")),
    ("provider-call-video", "activity is provider_call", ("rules/communication.yaml", "provider_call")),
    ("handoff-undocumented", "activity is handoff", ("rules/connection.yaml", "handoff")),
    ("handoff-window", "activity is handoff", ("rules/connection.yaml", "handoff")),
]


def test_the_fixture_corpus_decides_every_rule_and_misses_these_conditions(
    clinic: Policy, clinic_cases: list[Case]
) -> None:
    report = measure(clinic, clinic_cases)
    assert [r.rule for r in report.rules] == [r.id for r in clinic.rules]
    assert report.rules_covered == len(clinic.rules)
    assert uncovered_conditions(report) == ACTIVITY_TESTS_SEEN_ONLY_TRUE
    assert not report.complete
    assert report.conditions_covered == len(report.conditions) - len(ACTIVITY_TESTS_SEEN_ONLY_TRUE)


def test_the_completing_cases_cover_everything(clinic: Policy, clinic_cases: list[Case], tmp_path: Path) -> None:
    added = load_cases([write_cases(tmp_path, "completing.yaml", COMPLETING)], clinic)
    report = measure(clinic, [*clinic_cases, *added])
    assert report.complete
    assert (report.rules_covered, report.conditions_covered) == (len(report.rules), len(report.conditions))


def test_a_rule_no_case_decides_is_reported_with_its_location(clinic: Policy, clinic_cases: list[Case]) -> None:
    report = measure(clinic, [case for case in clinic_cases if case.facts.get("activity") != "driving"])
    missing = [(r.rule, at(r.location)) for r in report.rules if not r.covered]
    assert missing == [("driving", ("rules/connection.yaml", "id: driving"))]


def test_a_condition_counts_only_where_it_decides_its_rule(
    clinic: Policy, clinic_cases: list[Case], tmp_path: Path
) -> None:
    # Many cases are not provider calls, but none records a contact mode: the voicemail
    # rule's activity test decides the rule only once the contact mode is a voicemail.
    def voicemail_activity_test(report: CoverageReport) -> tuple[int, int]:
        (found,) = [c for c in report.conditions if c.rule == "provider-call-voicemail-or-email" and c.path == (0,)]
        assert found.condition == "activity is provider_call"
        assert found.location == node_at(clinic.rule(found.rule).when, found.path).location
        return found.seen_true, found.seen_false

    assert sum(1 for case in clinic_cases if case.facts.get("activity") != "provider_call") > 5
    assert voicemail_activity_test(measure(clinic, clinic_cases)) == (2, 0)
    voicemail = load_cases([write_cases(tmp_path, "voicemail.yaml", "cases:\n" + DRIVING_WITH_VOICEMAIL)], clinic)
    assert [case.facts.get("contact_mode") for case in voicemail] == ["voicemail"]
    report = measure(clinic, [*clinic_cases, *voicemail])
    assert voicemail_activity_test(report) == (2, 1)
    # The other rules' activity tests still wait for a phone or a video call.
    assert [c[0] for c in uncovered_conditions(report)] == [
        "provider-call",
        "provider-call-video",
        "handoff-undocumented",
        "handoff-window",
    ]


def test_partial_cases_count_only_settled_truths(clinic: Policy, clinic_cases: list[Case], tmp_path: Path) -> None:
    (unknown_credential,) = load_cases([write_cases(tmp_path, "partial.yaml", PARTIAL)], clinic)
    report = measure(clinic, [unknown_credential])
    credential = [c for c in report.conditions if c.rule == "not-a-counselor"]
    assert credential and all(c.seen_true == 0 and c.seen_false == 0 for c in credential)
    # A hand-off with nothing else known settles no test of the documentation or the window.
    (bare_handoff,) = [
        c for c in clinic_cases if c.facts == {"provider_credential": "counselor", "activity": "handoff"}
    ]
    report = measure(clinic, [bare_handoff])
    for condition in report.conditions:
        if condition.rule in ("handoff-undocumented", "handoff-window") and condition.path != (0,):
            assert (condition.seen_true, condition.seen_false) == (0, 0), condition


def test_a_case_counts_once_per_rule_it_decides_with(clinic: Policy, clinic_cases: list[Case]) -> None:
    report = measure(clinic, clinic_cases)
    decided = {r.rule: r.decided for r in report.rules}
    expected = {rule.id: 0 for rule in clinic.rules}
    for case in clinic_cases:
        for rule_id in clinic.evaluate({k: v for k, v in case.facts.items() if v is not None}).rules:
            expected[rule_id] += 1
    assert decided == expected


# --- the command ---------------------------------------------------------------------------------


def run_coverage(*corpus: Path) -> tuple[int, str]:
    arguments = ["coverage", "--policy", str(CLINIC / "policy")]
    for path in corpus:
        arguments += ["--corpus", str(path)]
    result = CliRunner().invoke(main, arguments)
    return result.exit_code, result.output


def test_coverage_command_passes_at_full_coverage(clinic: Policy, tmp_path: Path) -> None:
    completing = write_cases(tmp_path / "more", "completing.yaml", COMPLETING)
    code, output = run_coverage(CLINIC / "corpus", completing)
    assert code == 0, output
    rules = len(clinic.rules)
    assert f"rules: {rules}/{rules} decide a case (100.0%)" in output
    assert "seen true and false (100.0%)" in output
    assert len(output.splitlines()) == 1


def _where(location: Location | None) -> str:
    """How the command shows a location: the file, then `:line:column:`."""
    assert location is not None
    return f"{Path(location.file).name}:{location.line}:{location.column}:"


def test_coverage_command_reports_each_condition_seen_one_way_and_fails(clinic: Policy) -> None:
    code, output = run_coverage(CLINIC / "corpus")
    assert code == 1
    lines = output.splitlines()
    report = measure(clinic, load_cases([CLINIC / "corpus"], clinic))
    uncovered = [c for c in report.conditions if not c.covered]
    assert [(c.rule, c.condition) for c in uncovered] == [(r, c) for r, c, _ in ACTIVITY_TESTS_SEEN_ONLY_TRUE]
    for condition in uncovered:
        (reported,) = [text for text in lines if f" rule {condition.rule}: `{condition.condition}`" in text]
        assert _where(condition.location) in reported
        assert reported.endswith("is never false where it decides the rule")
    assert len(lines) == len(uncovered) + 1
    assert f"conditions: {report.conditions_covered}/{len(report.conditions)}" in lines[-1]


@pytest.mark.parametrize("drop", ["driving", "benefits"])
def test_coverage_command_names_a_rule_no_case_decides(clinic: Policy, tmp_path: Path, drop: str) -> None:
    kept = [
        block
        for block in (CLINIC / "corpus" / "cases.yaml").read_text(encoding="utf-8").split("\n\n")
        if f"rules: [{drop}]" not in block
    ]
    corpus = write_cases(tmp_path / "corpus", "cases.yaml", "\n\n".join(kept))
    code, output = run_coverage(corpus)
    assert code == 1
    assert f"{_where(clinic.rule(drop).location)} rule {drop} decides no case" in output
    assert at(clinic.rule(drop).location) == ("rules/connection.yaml", f"id: {drop}")
