"""What a change to the policy does: the exact scenarios whose outcome changes.

In: two compiled policies, BASE and HEAD, or two `Side`s (`revisions.read_side`:
the working tree, a folder or a git revision, each with its corpus).
Out: a `PolicyDiff`: the facts and values renamed; the groups of scenarios whose
outcome changes, each a set of restrictions with the outcome before and after and how
many combinations it holds; the groups of partial scenarios (some facts unknown) that
go to or from `undetermined`; the joint regions both come from; the rules and facts
added, removed or changed; the corpus cases that HEAD fails, the cases removed from the
corpus or added to it (by name, BASE's corpus against HEAD's), and the corpus files of
either side that do not load. `diff_report` says it all in words.

Renames first: BASE is translated into HEAD's names (`renames.renamed_policy`)
before anything is compared, so a pure rename changes no outcome and no rule, and
is reported once, as a rename.

The groups come from one partition of the two policies' joint space
(`joint_regions`): the complete groups are the scenarios, every fact answered, whose
decided outcome changes; the partial groups are those (some fact left blank) that go to
or from `undetermined`. `changes.changes_between` reads such a partition for the
site's words, without counting.

How scenarios are counted (`asked.AskedFacts`): a group counts the combinations of
the answers it holds, and a fact counts only where it is asked, that is where its
`relevant_when` (either side's) holds given the other answers; elsewhere it is left
blank, and counts once. (Advocacy by email counts the
credentials, not the hand-off questions advocacy never asks.) Enum and boolean facts
are counted. A whole-number fact has no upper end, so it is not counted but stated as
a range in the group's condition ("days since discharge: 31 to 45"); when that range
is bounded the group also says how many whole numbers it spans, so combinations x
numbers gives the scenarios. A value or fact that only one side declares is a scenario
only that side can decide: the other side shows "no such scenario".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from billability.checks.corpus import Case, decided_by, run_case
from billability.history.asked import AskedFacts
from billability.history.joint_regions import (
    OutcomeChange,
    changed_combinations,
    changed_regions,
    counted_changes,
    joined_regions,
    joint_regions,
    partial_regions,
)
from billability.history.renames import Rename, renamed_policy
from billability.history.revisions import Side
from billability.model.diagnostics import Diagnostic, Location, ScenarioError
from billability.model.policy import Always, Condition, Fact, Rule
from billability.policy.compiled import Policy

# --- what changed --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleChange:
    rule: str
    change: str  # added, removed or changed
    fields: tuple[str, ...]
    location: Location | None


@dataclass(frozen=True, slots=True)
class FactChange:
    fact: str
    change: str  # added, removed or changed
    details: tuple[str, ...]
    location: Location | None


@dataclass(frozen=True, slots=True)
class CaseFailure:
    """A corpus case HEAD fails; `failed_before` when BASE failed it as well."""

    location: Location
    name: str
    differences: tuple[str, ...]
    failed_before: bool


@dataclass(frozen=True, slots=True)
class CaseChange:
    """A corpus case only one side has: `removed` (BASE's corpus has a case of that
    name, HEAD's has none; located in BASE's files) or `added`."""

    location: Location
    name: str
    change: str  # added or removed


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    """`corpus` names HEAD's corpus as shown (None: no corpus was run), and
    `cases_run` how many of its cases loaded and ran."""

    base: str
    head: str
    renames: tuple[Rename, ...]
    # The groups of scenarios whose outcome changes: every fact that is asked answered.
    outcome_changes: tuple[OutcomeChange, ...]
    # How many combinations of answers the joint space holds, and how many change.
    combinations: int
    changed_combinations: int
    settings: tuple[str, ...]
    facts: tuple[FactChange, ...]
    rules: tuple[RuleChange, ...]
    # The groups of partial scenarios (some fact blank) that go to or from undetermined.
    undetermined_changes: tuple[OutcomeChange, ...] = ()
    # The joint partition, blanks included; each region's key is (BASE's outcome, HEAD's).
    # BASE in HEAD's names, and HEAD: their labels word the groups.
    policies: tuple[Policy, Policy] | None = None
    corpus: str | None = None
    cases_run: int = 0
    failing_cases: tuple[CaseFailure, ...] = ()
    corpus_problems: tuple[Diagnostic, ...] = ()
    case_changes: tuple[CaseChange, ...] = ()
    # The policy's declared version on each side (`policy.yaml`'s `version`).
    versions: tuple[str, str] = ("", "")

    @property
    def outcomes_change(self) -> bool:
        return bool(self.outcome_changes or self.undetermined_changes)

    @property
    def version_note(self) -> str | None:
        """A reminder when outcomes change and the version staff see stays the same."""
        before, after = self.versions
        if not self.outcome_changes or before != after:
            return None
        return (
            f"outcomes change but the version is still {before}: raise `version` in policy.yaml, "
            "so staff and saved decisions can tell the two apart"
        )

    @property
    def corpus_loads(self) -> bool:
        return not self.corpus_problems


def diff_sides(base: Side, head: Side, compare_corpora: bool = True) -> PolicyDiff:
    """Compare the two sides' policies, run HEAD's corpus with HEAD (the cases HEAD's
    version decides: a case dated in an earlier version's days is not HEAD's to decide),
    and collect the corpus files of either side that do not load. With `compare_corpora`
    (HEAD's corpus is its own, not one given in its place) and both corpora loading
    whole, list the cases removed and added."""
    diff = diff_policies(base.policy, head.policy, base.label, head.label)
    own = decided_by(head.policy, head.cases)
    failing = _failing_cases(renamed_policy(base.policy, diff.renames), head.policy, own)
    compared = compare_corpora and all(side.corpus is not None and not side.problems for side in (base, head))
    return dataclasses.replace(
        diff,
        corpus=head.corpus,
        cases_run=len(own),
        failing_cases=failing,
        corpus_problems=tuple(sorted((*base.problems, *head.problems), key=Diagnostic.sort_key)),
        case_changes=_case_changes(base.cases, head.cases) if compared else (),
    )


def _case_changes(before: Iterable[Case], after: Iterable[Case]) -> tuple[CaseChange, ...]:
    """The cases, by name, only one corpus has: the removed ones first, each in file order."""
    old = {case.name: case for case in before}
    new = {case.name: case for case in after}
    removed = [CaseChange(case.location, case.name, "removed") for name, case in old.items() if name not in new]
    added = [CaseChange(case.location, case.name, "added") for name, case in new.items() if name not in old]
    return tuple(removed + added)


def diff_policies(base: Policy, head: Policy, base_label: str = "base", head_label: str = "head") -> PolicyDiff:
    """Compare two policies over their joint input space, BASE read in HEAD's names."""
    joint = joint_regions(base, head)
    base, space = joint.base, joint.space
    asked = AskedFacts.of(space, base, head)
    outcome_changes = counted_changes(asked, joined_regions(space, changed_regions(joint), blanks=False), blanks=False)
    return PolicyDiff(
        base=base_label,
        head=head_label,
        renames=joint.renames,
        outcome_changes=outcome_changes,
        combinations=asked.combinations((), blanks=False),
        changed_combinations=changed_combinations(space, asked, outcome_changes),
        settings=_settings(base, head),
        facts=fact_changes(base, head),
        rules=rule_changes(base, head),
        undetermined_changes=counted_changes(
            asked, joined_regions(space, partial_regions(joint), blanks=True), blanks=True
        ),
        policies=(base, head),
        versions=(base.version, head.version),
    )


def _settings(base: Policy, head: Policy) -> tuple[str, ...]:
    found = []
    if base.version != head.version:
        found.append(f"version: {base.version} -> {head.version}")
    if base.effective_from != head.effective_from:
        found.append(f"effective from: {base.effective_from} -> {head.effective_from}")
    if base.precedence != head.precedence:
        found.append(f"precedence: {', '.join(base.precedence)} -> {', '.join(head.precedence)}")
    if base.default_outcome is not head.default_outcome:
        found.append(f"default outcome: {base.default_outcome} -> {head.default_outcome}")
    if base.default_reason != head.default_reason:
        found.append("default reason reworded")
    return tuple(found)


_RULE_FIELDS = (
    ("title", "title"),
    ("topic", "topic"),
    ("outcome", "outcome"),
    ("when", "when"),
    ("reason", "reason"),
    ("quotes", "source"),
)


def rule_changes(base: Policy, head: Policy) -> tuple[RuleChange, ...]:
    before: dict[str, Rule] = {rule.id: rule for rule in base.rules}
    after: dict[str, Rule] = {rule.id: rule for rule in head.rules}
    found = []
    for rule_id in sorted(before.keys() | after.keys()):
        old, new = before.get(rule_id), after.get(rule_id)
        if old is None and new is not None:
            found.append(RuleChange(rule_id, "added", (), new.location))
        elif new is None and old is not None:
            found.append(RuleChange(rule_id, "removed", (), old.location))
        elif old is not None and new is not None:
            fields = tuple(shown for name, shown in _RULE_FIELDS if getattr(old, name) != getattr(new, name))
            if fields:
                found.append(RuleChange(rule_id, "changed", fields, new.location))
    return tuple(found)


def fact_changes(base: Policy, head: Policy) -> tuple[FactChange, ...]:
    before, after = base.fact_index, head.fact_index
    found = []
    for name in [*before, *(n for n in after if n not in before)]:
        old, new = before.get(name), after.get(name)
        if old is None and new is not None:
            found.append(FactChange(name, "added", (), new.location))
        elif new is None and old is not None:
            found.append(FactChange(name, "removed", (), old.location))
        elif old is not None and new is not None:
            details = _fact_details(old, new)
            if details:
                found.append(FactChange(name, "changed", details, new.location))
    return tuple(found)


def _fact_details(old: Fact, new: Fact) -> tuple[str, ...]:
    details = [f"value `{v}` added" for v in new.value_names if v not in old.value_names]
    details += [f"value `{v}` removed" for v in old.value_names if v not in new.value_names]
    labels = {v.name: v for v in old.values}
    details += [f"value `{v.name}` relabelled" for v in new.values if v.name in labels and labels[v.name] != v]
    for name in ("label", "question", "minimum", "maximum"):
        if getattr(old, name) != getattr(new, name):
            details.append(f"{name} changed")
    if not _same_condition(old.relevant_when, new.relevant_when):
        details.append("relevant_when changed")
    return tuple(details)


def _same_condition(old: Condition, new: Condition) -> bool:
    # `always` carries its location in comparisons; where it was written is not a change.
    if isinstance(old, Always) and isinstance(new, Always):
        return True
    return old == new


def _failing_cases(base: Policy, head: Policy, cases: Iterable[Case]) -> tuple[CaseFailure, ...]:
    """HEAD's failing cases; `base` is BASE in HEAD's names, so a case written for HEAD
    can say whether it failed before the change too."""
    failures: list[CaseFailure] = []
    for case in cases:
        result = run_case(head, case)
        if result.passed:
            continue
        try:
            failed_before = not run_case(base, case).passed
        except ScenarioError:
            failed_before = True
        failures.append(CaseFailure(case.location, case.name, result.differences, failed_before))
    return tuple(failures)
