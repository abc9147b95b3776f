"""Rule and condition coverage of the corpus, and the `coverage` command."""

from __future__ import annotations

from click.testing import CliRunner

from billability.cli import main
from billability.compile import load_policy
from billability.corpus import load_cases
from billability.coverage import measure
from billability.diagnostics import Location
from billability.resources import corpus_dir

POLICY = load_policy()
CASES = load_cases(None, POLICY)


def test_the_bundled_corpus_covers_every_rule_and_condition() -> None:
    report = measure(POLICY, CASES)
    assert report.complete
    assert len(report.rules) == len(POLICY.rules)


def test_a_rule_no_case_decides_is_reported_with_its_location() -> None:
    report = measure(POLICY, [case for case in CASES if "transportation" not in case.facts.values()])
    missing = [(r.rule, r.location) for r in report.rules if not r.covered]
    assert missing == [("transportation", POLICY.rule("transportation").location)]


def test_a_condition_counts_only_where_it_decides_its_rule() -> None:
    # Without the cases of other activities recorded with a voicemail, the voicemail rule's
    # activity list is never false while the contact mode is voicemail.
    cases = [case for case in CASES if "mutation-kills" not in case.location.file]
    report = measure(POLICY, cases)
    missing = [(c.rule, c.condition, c.location) for c in report.conditions if not c.covered]
    assert (
        "communication-voicemail",
        "activity is provider_communication or service_follow_up or advocacy",
        Location("policy/rules/communication.yaml", 53, 17),
    ) in missing


def test_partial_cases_count_only_settled_truths() -> None:
    (case,) = [c for c in CASES if c.facts == {"activity": "resource_linkage"}]
    report = measure(POLICY, [case])
    credential = [c for c in report.conditions if c.rule == "credential-not-qualified"]
    assert all(c.seen_true == 0 and c.seen_false == 0 for c in credential)


def test_coverage_command_passes_on_the_bundled_corpus() -> None:
    result = CliRunner().invoke(main, ["coverage"])
    assert result.exit_code == 0, result.output
    assert "rules: 26/26" in result.output and "(100.0%)" in result.output


def test_coverage_command_fails_below_full_coverage() -> None:
    result = CliRunner().invoke(main, ["coverage", "--corpus", str(corpus_dir() / "incomplete.yaml")])
    assert result.exit_code == 1
    assert "decides no case" in result.output
