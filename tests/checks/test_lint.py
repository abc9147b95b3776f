"""Lint finds what can never matter and where no rule speaks, located, by stable code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from billability import Outcome, Policy, load_policy
from billability.checks.lint import OVERLAP, OVERLAP_BY_DESIGN, by_design, counts, lint_policy
from billability.model.diagnostics import Severity
from billability.model.policy import AnyOf
from billability.policy.compile import compile_texts
from command_line import run
from policy_texts import CLINIC, FACTS, HEADER, SOURCE, rule, small_policy, write_small_policy

TALK = rule("talk", "billable", "activity: talk")
EVERYTHING = rule("rest", "not_billable", "activity: [drive, write]\nreached: true\nminutes: {more_than: 0}")
CLOSED = rule("closed", "needs_review", "not:\n  activity: [drive, write]\n  reached: true\n  minutes: {more_than: 0}")


def test_the_clinic_policy_has_no_errors_and_only_overlaps_by_design(clinic: Policy) -> None:
    found = lint_policy(clinic)
    assert counts(found)[Severity.ERROR] == 0
    assert all(d.location and d.location.line for d in found)
    overlaps = [d for d in found if d.code.startswith("lint.overlap")]
    assert overlaps and {d.code for d in overlaps} == {OVERLAP_BY_DESIGN}
    assert by_design(found) == tuple(overlaps)
    # The credential rule is an exception inside every rule that is not itself not_billable.
    credential = [d for d in overlaps if "`not-a-counselor`" in d.message]
    others = [r for r in clinic.rules if r.outcome is not Outcome.NOT_BILLABLE]
    assert sorted(str(d.location) for d in credential) == sorted(str(r.location) for r in others)


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
        ((TALK, rule("o", "not_billable", "reached: false")), OVERLAP_BY_DESIGN, "talk", Severity.INFO),
        ((TALK, rule("o", "needs_review", "minutes: {at_most: 3}")), OVERLAP, "talk", Severity.INFO),
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
    assert not [d for d in lint_policy(small_policy(*rules)) if d.code in {OVERLAP, OVERLAP_BY_DESIGN}]


# (the rule that loses by the precedence, the rule that wins, whether the overlap is by design)
@pytest.mark.parametrize(
    ("loser", "winner", "designed"),
    [
        # A blanket exclusion on a fact the other rule does not look at.
        (TALK, rule("w", "not_billable", "reached: false"), True),
        # A sub-case: the exception holds only where the rule holds.
        (TALK, rule("w", "not_billable", "activity: talk\nreached: false"), True),
        (rule("l", "billable", "minutes: {more_than: 5}"), rule("w", "not_billable", "minutes: {more_than: 10}\nreached: false"), True),
        # One exception shared by several activities, on a fact the rule does not look at.
        (rule("l", "billable", "activity: talk\nminutes: {at_least: 5}"), rule("w", "not_billable", "activity: [talk, drive]\nreached: false"), True),
        (rule("l", "billable", "any:\n  - activity: talk\n  - reached: true"), rule("w", "not_billable", "minutes: {at_most: 2}"), True),
        (rule("l", "billable", "activity: talk\nreached: true"), rule("w", "not_billable", "activity: [talk, drive]\nreached: [true, false]\nminutes: {at_most: 3}"), True),
        # An exclusion inside a rule that asks for review.
        (rule("l", "needs_review", "activity: talk"), rule("w", "not_billable", "reached: false"), True),
        # Two rules that claim the same value for different outcomes.
        (rule("l", "billable", "activity: [talk, drive]"), rule("w", "not_billable", "activity: [drive, write]"), False),
        (rule("l", "billable", "minutes: {at_least: 5}"), rule("w", "not_billable", "minutes: {at_most: 10}"), False),
        (rule("l", "billable", "activity: [talk, drive]"), rule("w", "not_billable", "activity: [talk, write]\nreached: false"), False),
        # Billable against needs_review: no exclusion decides it.
        (TALK, rule("w", "needs_review", "reached: false"), False),
        (TALK, rule("w", "needs_review", "activity: talk\nreached: false"), False),
    ],
)  # fmt: skip
def test_an_overlap_is_by_design_when_a_not_billable_rule_is_carved_out_of_the_other(
    loser: str, winner: str, designed: bool
) -> None:
    policy = small_policy(loser, winner)
    (overlap,) = [d for d in lint_policy(policy) if d.code in {OVERLAP, OVERLAP_BY_DESIGN}]
    assert overlap.code == (OVERLAP_BY_DESIGN if designed else OVERLAP)
    assert overlap.severity is Severity.INFO
    assert overlap.location == policy.rules[0].location


def test_an_exclusion_that_loses_by_the_precedence_is_no_exception() -> None:
    header = HEADER.replace("[not_billable, needs_review, billable]", "[billable, needs_review, not_billable]")
    texts = {"policy.yaml": header + FACTS + "rules:\n" + TALK + rule("w", "not_billable", "reached: false")}
    policy = compile_texts(texts, SOURCE)
    (overlap,) = [d for d in lint_policy(policy) if d.code in {OVERLAP, OVERLAP_BY_DESIGN}]
    assert (overlap.code, overlap.location) == (OVERLAP, policy.rule("w").location)


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


# --- the lint command ---------------------------------------------------------------------------


def test_lint_summarises_the_overlaps_resolved_by_design_in_one_line(clinic: Policy) -> None:
    found = lint_policy(clinic)
    designed, others = len(by_design(found)), counts(tuple(d for d in found if d.code != OVERLAP_BY_DESIGN))
    status, output, _ = run("lint", "--policy", str(CLINIC / "policy"))
    assert status == 0
    assert OVERLAP_BY_DESIGN not in output
    *listed, summary, last = output.splitlines()
    assert summary.startswith(f"{designed} overlaps resolved by design by the precedence") and "--verbose" in summary
    assert re.fullmatch(
        rf"0 errors, {others[Severity.WARNING]} warnings, {others[Severity.INFO]} notes in \S*clinic/policy/", last
    )
    assert len([line for line in listed if re.match(r"\S+:\d+:\d+: (warning|info)\[", line)]) == (
        others[Severity.WARNING] + others[Severity.INFO]
    )


def test_lint_verbose_lists_the_overlaps_resolved_by_design(clinic: Policy) -> None:
    designed = by_design(lint_policy(clinic))
    status, output, _ = run("lint", "--policy", str(CLINIC / "policy"), "--verbose")
    assert status == 0
    listed = re.findall(r"^(\S+:\d+:\d+): info\[lint\.overlap-by-design\]", output, re.MULTILINE)
    assert listed == [str(d.location) for d in designed]
    assert f"{len(designed)} overlaps resolved by design" in output


SURPRISE = (
    rule("talk-or-drive", "billable", "activity: [talk, drive]"),
    rule("drive-or-write", "not_billable", "activity: [drive, write]"),
    rule("unreached", "not_billable", "reached: false"),
)


def test_a_surprising_overlap_stays_visible(tmp_path: Path) -> None:
    root = write_small_policy(tmp_path, *SURPRISE)
    policy = load_policy(root)
    status, output, _ = run("lint", "--policy", str(root))
    assert status == 0
    (overlap,) = re.findall(r"^(\S+:\d+:\d+): info\[lint\.overlap\]", output, re.MULTILINE)
    assert overlap == str(policy.rule("talk-or-drive").location)
    assert "1 overlap resolved by design" in output
    assert output.splitlines()[-1].startswith("0 errors, ")


@pytest.mark.parametrize("verbose", [False, True])
def test_lint_github_annotations_are_for_what_is_shown(tmp_path: Path, verbose: bool) -> None:
    root = write_small_policy(tmp_path, *SURPRISE)
    status, output, _ = run("lint", "--policy", str(root), "--format", "github", *(["-v"] if verbose else []))
    assert status == 0
    lines = output.splitlines()
    assert lines and all(re.match(r"::(warning|notice) file=[^,]+,line=\d+,col=\d+::\[lint\.", line) for line in lines)
    assert len([line for line in lines if "[lint.overlap]" in line]) == 1
    assert len([line for line in lines if "[lint.overlap-by-design]" in line]) == (1 if verbose else 0)


def test_lint_errors_exit_1_with_locations(tmp_path: Path) -> None:
    root = write_small_policy(
        tmp_path,
        rule("talk", "billable", "activity: talk"),
        rule("never", "billable", "all:\n  - activity: talk\n  - activity: drive"),
    )
    status, output, _ = run("lint", "--policy", str(root))
    assert status == 1
    assert re.search(r"policy\.yaml:\d+:\d+: error\[lint\.never-holds\]", output)
    assert re.search(r"policy\.yaml:\d+:\d+: warning\[lint\.gap\]", output)


def test_lint_of_an_invalid_policy_exits_1(tmp_path: Path) -> None:
    root = write_small_policy(tmp_path, rule("a", "billable", "activity: tlk"))
    status, _, errors = run("lint", "--policy", str(root))
    assert status == 1
    assert re.search(r"policy\.yaml:\d+:\d+: error\[policy\.unknown-value\]", errors)
