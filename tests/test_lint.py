"""Lint finds what can never matter and where no rule speaks, located, by stable code."""

from __future__ import annotations

from pathlib import Path

import pytest

from billability import load_policy
from billability.diagnostics import Severity
from billability.lint import counts, lint_policy
from billability.model import AnyOf
from policy_texts import HEADER, rule, small_policy, write_small_policy

TALK = rule("talk", "billable", "activity: talk")
EVERYTHING = rule("rest", "not_billable", "activity: [drive, write]\nreached: true\nminutes: {more_than: 0}")
CLOSED = rule("closed", "needs_review", "not:\n  activity: [drive, write]\n  reached: true\n  minutes: {more_than: 0}")


def test_the_bundled_policy_has_no_errors_or_warnings_only_overlaps() -> None:
    found = lint_policy(load_policy())
    assert {d.code for d in found} == {"lint.overlap"}
    assert counts(found)[Severity.ERROR] == 0
    assert all(d.severity is Severity.INFO and d.location and d.location.line for d in found)


def test_the_bundled_overlaps_name_the_credential_rule_against_every_billable_rule() -> None:
    policy = load_policy()
    found = [d for d in lint_policy(policy) if "`credential-not-qualified`" in d.message]
    billable = [r for r in policy.rules if r.outcome == "billable"]
    assert {d.location for d in found} >= {r.location for r in billable}


NEVER = rule("never", "billable", "all:\n  - activity: talk\n  - activity: drive")
NEVER_NOT = rule("never", "billable", "reached: true\nnot:\n  reached: true")


@pytest.mark.parametrize(
    ("rules", "code", "rule_id", "severity"),
    [
        ((TALK, NEVER), "lint.never-holds", "never", Severity.ERROR),
        ((TALK, NEVER_NOT), "lint.never-holds", "never", Severity.ERROR),
        (
            (TALK, rule("talk-or-drive", "not_billable", "activity: [talk, drive]")),
            "lint.never-decides",
            "talk",
            Severity.ERROR,
        ),
        (
            (rule("a", "billable", "minutes: {more_than: 5}"), rule("b", "needs_review", "minutes: {at_least: 3}")),
            "lint.never-decides",
            "a",
            Severity.ERROR,
        ),
        ((TALK, rule("o", "not_billable", "reached: false")), "lint.overlap", "talk", Severity.INFO),
        ((TALK, rule("o", "needs_review", "minutes: {at_most: 3}")), "lint.overlap", "talk", Severity.INFO),
    ],
)
def test_findings_on_rules(rules: tuple[str, ...], code: str, rule_id: str, severity: Severity) -> None:
    policy = small_policy(*rules)
    (finding,) = [d for d in lint_policy(policy) if d.code == code]
    assert finding.severity is severity
    expected = policy.rule(rule_id).when.location if code == "lint.never-holds" else policy.rule(rule_id).location
    assert finding.location == expected


@pytest.mark.parametrize("rules", [(TALK,), (TALK, rule("o", "not_billable", "activity: drive"))])
def test_rules_with_disjoint_conditions_do_not_overlap(rules: tuple[str, ...]) -> None:
    assert not [d for d in lint_policy(small_policy(*rules)) if d.code == "lint.overlap"]


def test_a_branch_of_any_that_never_holds_is_a_warning_at_the_branch() -> None:
    policy = small_policy(
        rule("r", "billable", "any:\n  - activity: talk\n  - all:\n      - activity: drive\n      - activity: write")
    )
    (finding,) = [d for d in lint_policy(policy) if d.code == "lint.branch-never-holds"]
    assert finding.severity is Severity.WARNING
    condition = policy.rule("r").when
    assert isinstance(condition, AnyOf)
    assert finding.location == condition.items[1].location


def test_unused_facts_and_values_are_warnings_at_their_declarations(tmp_path: Path) -> None:
    policy = load_policy(write_small_policy(tmp_path, TALK))
    facts = {f.name: f.location for f in policy.facts}
    unused_facts = [d for d in lint_policy(policy) if d.code == "lint.unused-fact"]
    assert {d.location for d in unused_facts} == {facts["reached"], facts["minutes"]}
    values = [d for d in lint_policy(policy) if d.code == "lint.unused-value"]
    # `drive` and `write` are the second and third value keys under `activity: values:`.
    activity = facts["activity"]
    assert activity is not None
    assert sorted(d.location.line for d in values if d.location) == [activity.line + 6, activity.line + 7]
    assert all(d.severity is Severity.WARNING for d in unused_facts + values)


def test_a_value_left_out_by_a_negation_is_used() -> None:
    policy = small_policy(TALK, CLOSED, EVERYTHING)
    assert not [d for d in lint_policy(policy) if d.code in {"lint.unused-value", "lint.unused-fact"}]


def test_gaps_say_where_no_rule_speaks_and_point_at_the_default(tmp_path: Path) -> None:
    policy = load_policy(write_small_policy(tmp_path, TALK))
    (gap,) = [d for d in lint_policy(policy) if d.code == "lint.gap"]
    assert "activity is drive or write" in gap.message
    assert gap.location is not None and gap.location.line == HEADER.splitlines().index("  default:") + 1
    assert not [d for d in lint_policy(small_policy(TALK, CLOSED, EVERYTHING)) if d.code == "lint.gap"]


def test_findings_are_sorted_by_location() -> None:
    found = lint_policy(small_policy(TALK, rule("never", "billable", "all:\n  - activity: talk\n  - activity: drive")))
    assert list(found) == sorted(found, key=lambda d: d.sort_key())
