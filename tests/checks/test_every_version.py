"""Each version of a policy checked against the corpus as it stood for it, and corpus cases
with a service date decided by the version in force that day; on the two-version fixture
(tests/fixtures/versioned) and copies of it edited as a maintainer would."""

from __future__ import annotations

from pathlib import Path

import pytest

from billability.checks.corpus import decided_by, load_cases, run_corpus
from billability.checks.coverage import measure
from billability.checks.every_version import pinned_cases, pinned_versions, run_every_version
from billability.checks.mutate import run_mutants
from billability.model.diagnostics import Problems
from billability.model.policy import Outcome
from billability.policy.compile import load_policy
from billability.policy.versions import load_versions
from versioned_checkouts import DATED_BEFORE, VERSIONED, add_cases, edit, versioned_copy

VIDEO_FACTS = "{provider_credential: counselor, activity: provider_call, contact_mode: video}"


def dated_case(name: str, on: str, outcome: str = "needs_review") -> str:
    return (
        f"  - name: {name}\n    on: {on}\n    facts: {VIDEO_FACTS}\n"
        f"    expect: {{outcome: {outcome}, rules: [provider-call-video]}}\n"
    )


# --- dated cases --------------------------------------------------------------------------


def test_a_dated_case_is_decided_by_the_version_in_force_that_day() -> None:
    versions = load_versions(VERSIONED / "policy")
    run = run_corpus(versions, [VERSIONED / "corpus"])
    assert run.failed == () and run.findings == ()
    dated = {result.case.on: result for result in run.results if result.case.on}
    assert set(dated) == {"2026-06-30", "2026-07-01"}
    assert (dated["2026-06-30"].case.version, dated["2026-06-30"].decision.outcome) == ("1.0", Outcome.NEEDS_REVIEW)
    assert (dated["2026-07-01"].case.version, dated["2026-07-01"].decision.outcome) == ("2.0", Outcome.BILLABLE)
    # A case without a date is decided by the corpus's own version.
    undated = [result.case.version for result in run.results if result.case.on is None]
    assert set(undated) == {"2.0"}


def test_against_the_current_version_alone_a_date_before_it_is_a_located_problem() -> None:
    with pytest.raises(Problems) as raised:
        load_cases([VERSIONED / "corpus"], load_policy(VERSIONED / "policy"))
    (problem,) = raised.value.diagnostics
    text = (VERSIONED / "corpus" / "cases.yaml").read_text(encoding="utf-8")
    line = text.splitlines().index('    on: "2026-06-30"') + 1
    assert problem.code == "version.before-first"
    assert str(problem.location).endswith(f"versioned/corpus/cases.yaml:{line}:9"), problem.location


@pytest.mark.parametrize(
    ("on", "code"),
    [("2025-12-31", "version.before-first"), ("2026-02-30", "corpus.bad-date"), ("30/06/2026", "schema.pattern")],
    ids=["before the first version", "not a day of the calendar", "not written YYYY-MM-DD"],
)
def test_a_bad_service_date_is_located_at_the_date(tmp_path: Path, on: str, code: str) -> None:
    root = versioned_copy(tmp_path / "versioned")
    line = add_cases(root / "corpus" / "cases.yaml", dated_case("A video call on a bad day", on))
    with pytest.raises(Problems) as raised:
        load_cases([root / "corpus"], load_versions(root / "policy"))
    found = [(d.code, d.location.line if d.location else 0) for d in raised.value.diagnostics]
    assert found == [(code, line + 1)]


def test_an_unquoted_date_is_read_as_written(tmp_path: Path) -> None:
    root = versioned_copy(tmp_path / "versioned")
    add_cases(root / "corpus" / "cases.yaml", dated_case("A video call in March needs review", "2026-03-15"))
    (case,) = [c for c in load_cases([root / "corpus"], load_versions(root / "policy")) if c.on == "2026-03-15"]
    assert case.version == "1.0"


def test_a_dated_case_that_expects_the_other_version_fails(tmp_path: Path) -> None:
    root = versioned_copy(tmp_path / "versioned")
    edit(root / "corpus" / "cases.yaml", 'on: "2026-06-30"', 'on: "2026-07-02"')
    run = run_corpus(load_versions(root / "policy"), [root / "corpus"])
    assert [result.case.name for result in run.failed] == [DATED_BEFORE]
    assert run.failed[0].differences == ("outcome: expected needs_review, got billable",)


def test_the_corpus_as_a_whole_counts_only_the_cases_its_version_decides(tmp_path: Path) -> None:
    # Left with only the case dated before the switch, no case of version 2.0 is decided
    # by its video-call rule: the rule decides a case of version 1.0, not of 2.0.
    root = versioned_copy(tmp_path / "versioned")
    cases = root / "corpus" / "cases.yaml"
    edit(
        cases,
        "  - name: A video call is billable\n"
        f"    facts: {VIDEO_FACTS}\n"
        "    expect: {outcome: billable, rules: [provider-call-video]}\n",
        "",
    )
    versions = load_versions(root / "policy")
    assert run_corpus(versions, [root / "corpus"]).findings == ()
    text = cases.read_text(encoding="utf-8")
    start = text.index("  - name: A video call on the day version 2.0 took effect is billable")
    cases.write_text(text[:start].rstrip("\n") + "\n", encoding="utf-8")
    findings = run_corpus(versions, [root / "corpus"]).findings
    assert [(finding.code, finding.message) for finding in findings] == [
        ("corpus.rule-decides-no-case", "rule `provider-call-video` decides no case of the corpus")
    ]


def test_mutants_and_coverage_of_a_version_use_only_the_cases_it_decides() -> None:
    versions = load_versions(VERSIONED / "policy")
    cases = load_cases([VERSIONED / "corpus"], versions)
    own = decided_by(versions.current, cases)
    assert DATED_BEFORE in {case.name for case in cases} - {case.name for case in own}
    # The case dated under 1.0 expects what 2.0 does not decide: with it, no mutant could be judged.
    with pytest.raises(Problems):
        run_mutants(versions.current, cases)
    assert run_mutants(versions.current, own).results
    assert measure(versions.current, own).rules_covered == len(versions.current.rules)


# --- every version with its corpus ----------------------------------------------------------


def test_each_released_version_is_pinned_by_its_own_corpus() -> None:
    found = pinned_versions(VERSIONED / "policy", [VERSIONED / "corpus"])
    assert [(p.policy.version, p.folder, p.corpus, p.released) for p in found.pinned] == [
        ("2.0", VERSIONED / "policy", (VERSIONED / "corpus",), False),
        ("1.0", VERSIONED / "policy" / "releases" / "1.0", (VERSIONED / "corpus" / "releases" / "1.0",), True),
    ]
    assert [policy.version for policy in found.pinned[1].versions.versions] == ["1.0"]
    assert found.problems == ()


def test_a_corpus_file_picked_out_pins_the_current_version_alone() -> None:
    found = pinned_versions(VERSIONED / "policy", [VERSIONED / "corpus" / "cases.yaml"])
    assert [p.policy.version for p in found.pinned] == ["2.0"]
    # Its dated cases are still decided by the version in force on their dates.
    assert [policy.version for policy in found.pinned[0].versions.versions] == ["1.0", "2.0"]


def test_every_version_passes_on_the_fixture() -> None:
    checked = run_every_version(VERSIONED / "policy", [VERSIONED / "corpus"])
    assert checked.passed and checked.problems == ()
    assert [(run.pinned.policy.version, len(run.run.results)) for run in checked.runs] == [("2.0", 17), ("1.0", 15)]


def test_a_release_corpus_that_fails_fails_its_version(tmp_path: Path) -> None:
    root = versioned_copy(tmp_path / "versioned")
    edit(
        root / "corpus" / "releases" / "1.0" / "cases.yaml",
        "expect: {outcome: needs_review, rules: [provider-call-video]}",
        "expect: {outcome: billable, rules: [provider-call-video]}",
    )
    checked = run_every_version(root / "policy", [root / "corpus"])
    assert not checked.passed
    assert [(run.pinned.policy.version, len(run.run.failed)) for run in checked.runs] == [("2.0", 0), ("1.0", 1)]
    assert [(p.code, p.location and p.location.file) for p in checked.problems] == [
        ("release.edited", str(root / "corpus" / "releases" / "1.0" / "cases.yaml"))
    ]


def test_a_released_version_without_its_corpus_is_a_problem(tmp_path: Path) -> None:
    root = versioned_copy(tmp_path / "versioned")
    for file in (root / "corpus" / "releases" / "1.0").iterdir():
        file.unlink()
    (root / "corpus" / "releases" / "1.0").rmdir()
    checked = run_every_version(root / "policy", [root / "corpus"])
    assert [run.pinned.policy.version for run in checked.runs] == ["2.0"]
    assert [p.code for p in checked.problems] == ["release.no-corpus"]
    each, missing = pinned_cases(root / "policy", [root / "corpus"])
    assert [version.pinned.policy.version for version in each] == ["2.0"] and len(missing) == 1
