"""The joint regions of two policies: where their outcomes differ, as groups of scenarios.

In: two compiled policies, BASE and HEAD.
Out: `JointRegions` (`joint_regions`): the renames, BASE read in HEAD's names, the
joint space and its one partition, each region with the pair (BASE's outcome, HEAD's),
and the same regions read with every fact answered; from them the regions of changed
scenarios (`changed_regions`, `partial_regions`), joined into few groups
(`joined_regions`) and counted (`counted_changes`: `OutcomeChange`s), and how many
combinations change in all (`changed_combinations`). `diff.diff_policies` and
`changes.changes_between` both read one `JointRegions`, so the space is partitioned
once per comparison.

Renames first: BASE is translated into HEAD's names (`renames.renamed_policy`)
before anything is compared, so a pure rename changes no outcome. Facts whose type
changed cannot be compared: `joint_regions` raises `Problems` (`diff.fact-type-changed`).

One partition serves every reading: the joint space of both policies, each fact also
left blank (`Space.with_blanks`), is split (`regions.partition`) until both policies'
exact outcomes (`regions.outcome_judge`, as `decide` gives them, `undetermined`
included) are settled, and each region keeps the pair (BASE's outcome, HEAD's). Read
without their blank part (`complete_regions`), the regions whose decided outcomes
differ are the groups of changed scenarios. The regions where one side is
`undetermined` and the other is not are the partial groups: a blank credential that
went from not billable to undetermined shows there and nowhere else. (A partial
scenario decided on both sides changes only as its completions do: the complete groups
show it.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

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
from billability.model.diagnostics import Diagnostic, Problems
from billability.model.policy import Outcome, Value
from billability.policy.compiled import Policy


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
class JointRegions:
    """Two policies over their joint space: `base` is BASE in HEAD's names; `regions`
    cover every scenario, partial ones included, each keyed (BASE's outcome, HEAD's);
    `complete` are the same regions read with every fact answered."""

    renames: tuple[Rename, ...]
    base: Policy
    head: Policy
    space: Space
    regions: tuple[Leaf, ...]
    complete: tuple[Leaf, ...]


def joint_regions(base: Policy, head: Policy) -> JointRegions:
    """Partition the joint space of two policies, BASE read in HEAD's names, once."""
    renames = find_renames(base, head)
    base = renamed_policy(base, renames)
    _check_fact_types(base, head)
    space = space_of(base, head)
    regions = partition(space.with_blanks(), pair_judge(base, head))
    return JointRegions(renames, base, head, space, regions, complete_regions(regions))


def changed_regions(joint: JointRegions) -> list[tuple[tuple[Restriction, ...], Outcome | None, Outcome | None]]:
    """Every fact answered: decided before and after (or no such scenario on one side)."""
    return [
        (region.restrictions, before, after)
        for region in joint.complete
        for before, after in [outcomes(region)]
        if before != after and Outcome.UNDETERMINED not in (before, after)
    ]


def partial_regions(joint: JointRegions) -> list[tuple[tuple[Restriction, ...], Outcome | None, Outcome | None]]:
    """Some fact left blank: scenarios both sides can state, going to or from undetermined."""
    return [
        (region.restrictions, before, after)
        for region in joint.regions
        for before, after in [outcomes(region)]
        if before != after and Outcome.UNDETERMINED in (before, after) and None not in (before, after)
    ]


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


def joined_regions(
    space: Space,
    regions: Sequence[tuple[tuple[Restriction, ...], Outcome | None, Outcome | None]],
    blanks: bool,
) -> list[tuple[tuple[Restriction, ...], Outcome | None, Outcome | None]]:
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
    return found


def counted_changes(
    asked: AskedFacts,
    regions: Sequence[tuple[tuple[Restriction, ...], Outcome | None, Outcome | None]],
    blanks: bool,
) -> tuple[OutcomeChange, ...]:
    """The joined regions as groups, each with how many combinations of answers it holds."""
    return tuple(
        OutcomeChange(restrictions, before, after, asked.combinations(restrictions, blanks))
        for restrictions, before, after in regions
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


def changed_combinations(space: Space, asked: AskedFacts, changes: Sequence[OutcomeChange]) -> int:
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
