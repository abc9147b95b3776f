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

One partition serves every reading: the joint space of both policies, each fact also
left blank (`Space.with_blanks`), is split (`regions.partition`) until both policies'
exact outcomes (`regions.outcome_judge`, as `decide` gives them, `undetermined`
included) are settled, and each region keeps the pair (BASE's outcome, HEAD's). Read
without their blank part (`complete_regions`), the regions whose decided outcomes
differ are the groups of changed scenarios. The regions where one side is
`undetermined` and the other is not are the partial groups: a blank credential that
went from not billable to undetermined shows there and nowhere else. (A partial
scenario decided on both sides changes only as its completions do: the complete groups
show it.) `changes.changes_between` reads the same regions for the site's words.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from billability.checks.corpus import Case, run_case
from billability.decide.regions import (
    Judge,
    Leaf,
    Restriction,
    Settled,
    Space,
    Verdict,
    outcome_judge,
    partition,
    space_of,
)
from billability.history.asked import AskedFacts
from billability.history.renames import Rename, find_renames, renamed_policy
from billability.history.revisions import Side
from billability.model.diagnostics import Diagnostic, Location, Problems, ScenarioError
from billability.model.policy import Always, Condition, Fact, Outcome, Rule, Value
from billability.policy.compiled import Policy

# --- what changed --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutcomeChange:
    """Every scenario meeting `restrictions` (a fact not named may be anything, or
    blank where it is not asked) went from `before` to `after` (None: not a scenario
    that side's policy can state). In a group of partial scenarios, a restriction may
    hold None: the fact left blank."""

    restrictions: tuple[Restriction, ...]
    before: Outcome | None
    after: Outcome | None
    combinations: int

    @property
    def numbers(self) -> tuple[tuple[str, int], ...]:
        """For each whole-number fact held to a bounded range: how many numbers it spans."""
        return tuple(
            (r.fact, r.high - r.low + 1)
            for r in self.restrictions
            if r.integer and r.low is not None and r.high is not None
        )


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
    regions: tuple[Leaf, ...] = ()
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
    """Compare the two sides' policies, run HEAD's corpus with HEAD, and collect the
    corpus files of either side that do not load. With `compare_corpora` (HEAD's corpus
    is its own, not one given in its place) and both corpora loading whole, list the
    cases removed and added."""
    diff = diff_policies(base.policy, head.policy, base.label, head.label)
    failing = _failing_cases(renamed_policy(base.policy, diff.renames), head.policy, head.cases)
    compared = compare_corpora and all(side.corpus is not None and not side.problems for side in (base, head))
    return dataclasses.replace(
        diff,
        corpus=head.corpus,
        cases_run=len(head.cases),
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
    renames = find_renames(base, head)
    base = renamed_policy(base, renames)
    _check_fact_types(base, head)
    space = space_of(base, head)
    regions = partition(space.with_blanks(), pair_judge(base, head))
    asked = AskedFacts.of(space, base, head)
    # Every fact answered: decided before and after (or no such scenario on one side).
    changed = [
        (region.restrictions, before, after)
        for region in complete_regions(regions)
        for before, after in [outcomes(region)]
        if before != after and Outcome.UNDETERMINED not in (before, after)
    ]
    # Some fact left blank: scenarios both sides can state, going to or from undetermined.
    partial = [
        (region.restrictions, before, after)
        for region in regions
        for before, after in [outcomes(region)]
        if before != after and Outcome.UNDETERMINED in (before, after) and None not in (before, after)
    ]
    outcome_changes = _joined(space, asked, changed, blanks=False)
    return PolicyDiff(
        base=base_label,
        head=head_label,
        renames=renames,
        outcome_changes=outcome_changes,
        combinations=asked.combinations((), blanks=False),
        changed_combinations=_changed_combinations(space, asked, outcome_changes),
        settings=_settings(base, head),
        facts=_fact_changes(base, head),
        rules=_rule_changes(base, head),
        undetermined_changes=_joined(space, asked, partial, blanks=True),
        regions=regions,
        policies=(base, head),
        versions=(base.version, head.version),
    )


def pair_judge(base: Policy, head: Policy) -> Judge:
    """A judge of the pair of exact outcomes (BASE's, HEAD's) a scenario gets, facts
    left blank included (see `regions.outcome_judge`)."""
    before, after = outcome_judge(base), outcome_judge(head)

    def judge(scenario: Mapping[str, Value]) -> Verdict:
        first, second = before(scenario), after(scenario)
        if isinstance(first, Settled) and isinstance(second, Settled):
            return Settled((first.key, second.key))
        pending: frozenset[str] = frozenset()
        for verdict in (first, second):
            if not isinstance(verdict, Settled):
                pending |= verdict
        return pending

    return judge


def outcomes(region: Leaf) -> tuple[Outcome | None, Outcome | None]:
    """The outcomes (BASE's, HEAD's) of a region of `PolicyDiff.regions`."""
    assert isinstance(region.key, tuple)
    before: Outcome | None = region.key[0]
    after: Outcome | None = region.key[1]
    return before, after


def complete_regions(regions: Iterable[Leaf]) -> tuple[Leaf, ...]:
    """The regions read without their blank part: every fact answered. A region of
    blanks alone (some fact only blank) holds no such scenario and is left out."""
    found = []
    for region in regions:
        restrictions = []
        for restriction in region.restrictions:
            if restriction.values == (None,):
                break  # the fact only blank: no scenario with every fact answered
            if restriction.blank:
                restriction = dataclasses.replace(
                    restriction, values=tuple(v for v in restriction.values if v is not None)
                )
            restrictions.append(restriction)
        else:
            found.append(Leaf(tuple(restrictions), region.key))
    return tuple(found)


def _joined(
    space: Space,
    asked: AskedFacts,
    regions: Sequence[tuple[tuple[Restriction, ...], Outcome | None, Outcome | None]],
    blanks: bool,
) -> tuple[OutcomeChange, ...]:
    """The regions of one change each, those of the same change that differ in one fact
    only joined (the partition keeps apart what differs where some fact is blank)."""
    found = list(regions)
    joined = True
    while joined:
        joined = False
        for i, (first, before, after) in enumerate(found):
            for j in range(i + 1, len(found)):
                second, other_before, other_after = found[j]
                union = _union(space, first, second, blanks) if (before, after) == (other_before, other_after) else None
                if union is not None:
                    found[i] = (union, before, after)
                    del found[j]
                    joined = True
                    break
            if joined:
                break
    return tuple(
        OutcomeChange(restrictions, before, after, asked.combinations(restrictions, blanks))
        for restrictions, before, after in found
    )


def _union(
    space: Space, first: Sequence[Restriction], second: Sequence[Restriction], blanks: bool
) -> tuple[Restriction, ...] | None:
    """One region for two that differ in one fact only: its values joined (a whole
    number's ranges when they touch); the restriction is dropped when it allows all
    (with `blanks`, all includes blank)."""
    mine, theirs = {r.fact: r for r in first}, {r.fact: r for r in second}
    if mine.keys() != theirs.keys():
        return None
    differing = [name for name in mine if mine[name] != theirs[name]]
    if len(differing) != 1:
        return None
    name = differing[0]
    one, other = mine[name], theirs[name]
    if one.integer:
        if one.blank or other.blank:
            return None
        low, high = (one, other) if (one.low or 0) <= (other.low or 0) else (other, one)
        if low.high is None or high.low != low.high + 1:
            return None
        joined = Restriction(name, low=low.low, high=high.high, integer=True)
        pieces = space.pieces[name]
        whole = not blanks and (joined.low, joined.high) == (pieces[0].restriction.low, pieces[-1].restriction.high)
    else:
        values = set(one.values) | set(other.values)
        every: tuple[Value | None, ...] = (*(p.value for p in space.pieces[name]), *((None,) if blanks else ()))
        joined = Restriction(name, tuple(v for v in every if v in values))
        whole = len(joined.values) == len(every)
    return tuple(joined if r.fact == name else r for r in first if r.fact != name or not whole)


def _changed_combinations(space: Space, asked: AskedFacts, changes: Sequence[OutcomeChange]) -> int:
    """How many combinations of answers change for some whole number. Groups that
    differ only in a whole-number range share their combinations, so the groups' counts
    are not simply added: the finite facts are partitioned once more."""
    boxes = [tuple(r for r in change.restrictions if not r.integer) for change in changes]

    def judge(scenario: Mapping[str, Value]) -> Verdict:
        pending: set[str] = set()
        for box in boxes:
            if any(r.fact in scenario and not r.contains(scenario[r.fact]) for r in box):
                continue
            open_facts = {r.fact for r in box if r.fact not in scenario}
            if not open_facts:
                return Settled(True)
            pending |= open_facts
        return frozenset(pending) if pending else Settled(False)

    return sum(
        asked.combinations(leaf.restrictions, blanks=False) for leaf in partition(space, judge) if leaf.key is True
    )


def _check_fact_types(base: Policy, head: Policy) -> None:
    declared = base.fact_index
    problems = [
        Diagnostic(
            "diff.fact-type-changed",
            f"`{fact.name}` was {declared[fact.name].type} and is now {fact.type}, so their scenarios cannot be compared",
            fact.location,
            hint="give the new meaning a new fact name, and remove the old fact",
        )
        for fact in head.facts
        if fact.name in declared and declared[fact.name].type is not fact.type
    ]
    if problems:
        raise Problems(problems)


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


def _rule_changes(base: Policy, head: Policy) -> tuple[RuleChange, ...]:
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


def _fact_changes(base: Policy, head: Policy) -> tuple[FactChange, ...]:
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
