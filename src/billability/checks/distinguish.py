"""Tell a policy and a variant of it apart, or prove that no scenario can.

In: a policy and a variant with the same facts and values (a mutant: some rules, the
precedence, the default or a fact's `relevant_when` changed).
Out: a `Witness` (the fewest facts on which the two differ, with what each decides),
or None when they decide every scenario alike, complete or partial: a proof by
exhaustion over the exact partition of the input space, not a search that may miss.

What a scenario shows is what a corpus case checks: the outcome, the deciding rules and
the `missing` facts. A fact's `relevant_when` decides nothing, but it declares where the
fact is worth asking; a variant that changes it is judged as if staff were asked only
what it declares relevant, so it shows a fact left out of `missing` wherever it
declares the fact irrelevant (`shown_decision`).

How the proof goes, in three steps:

1. Complete scenarios. The joint space of both policies (every value, whole numbers
   cut at every number either compares with) is partitioned until both decide each
   region (`regions.partition`); they are equivalent on complete scenarios when every
   region gets the same outcome and deciding rules from both.
2. Partial scenarios. A partial scenario's outcome and `missing` are defined by the
   outcomes of its completions, so step 1 settles them. Its deciding rules come from
   the rules' three-valued truth; where that truth is exact (unknown only when the
   completions disagree, which holds for any condition that names each fact once),
   they too are a function of the completions' deciding rules, so step 1 settles them
   as well. Only where a condition the two policies do not share is inexact (say
   `any: [activity: a, not: {activity: a}]`, unknown although always true) are the
   partial scenarios there compared one by one.
3. Declared relevance. A fact is missing from some partial scenario exactly when it
   changes the outcome of some scenario where every other fact is known, and three-
   valued truth only gets more definite as facts become known; so a variant hides a
   needed fact somewhere exactly when, in some region where the fact changes the
   outcome, its `relevant_when` is false with the fact itself unknown.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from billability.decide.engine import decide
from billability.decide.regions import (
    Judge,
    Leaf,
    Restriction,
    Settled,
    Space,
    Verdict,
    decision_judge,
    partition,
    space_of,
)
from billability.decide.scenario import truth
from billability.model.policy import All, AnyOf, Compare, Condition, Decision, Is, Not, OneOf, Range, Value, facts_of
from billability.policy.compiled import Policy

Scenario = dict[str, Value]


@dataclass(frozen=True, slots=True)
class Witness:
    """A scenario (the fewest facts found) that the policy and the variant decide differently."""

    facts: Mapping[str, Value]
    policy: Decision
    variant: Decision


@dataclass(frozen=True, slots=True)
class Comparison:
    """A policy, a variant of it, and what differs between them: the conditions of the
    rules they do not share, whether the precedence or the default differs (then any
    decision may change), and the facts whose `relevant_when` differs."""

    policy: Policy
    variant: Policy
    unshared: tuple[Condition, ...]
    order_changed: bool
    relevance: tuple[str, ...]


def compare(policy: Policy, variant: Policy) -> Comparison:
    mine = {(rule.id, rule.outcome, rule.when) for rule in policy.rules}
    theirs = {(rule.id, rule.outcome, rule.when) for rule in variant.rules}
    unshared = tuple(when for _, _, when in sorted(mine ^ theirs, key=lambda entry: entry[0]))
    order_changed = (policy.precedence, policy.default_outcome) != (variant.precedence, variant.default_outcome)
    declared = {fact.name: fact.relevant_when for fact in policy.facts}
    relevance = tuple(
        fact.name for fact in variant.facts if declared.get(fact.name, fact.relevant_when) != fact.relevant_when
    )
    return Comparison(policy, variant, unshared, order_changed, relevance)


def alike_at(comparison: Comparison, facts: Mapping[str, Value]) -> bool:
    """Whether the two decide alike every completion of the facts because no rule they do
    not share can apply there (their other rules, precedence and default are the same)."""
    return not comparison.order_changed and all(truth(when, facts) is False for when in comparison.unshared)


def shown_decision(comparison: Comparison, facts: Mapping[str, Value], decided: Decision | None = None) -> Decision:
    """What the variant decides as a corpus case sees it: its decision, with each fact whose
    `relevant_when` it changed left out of `missing` where it declares the fact irrelevant.
    `decided` is the policy's own decision for the facts, when known already."""
    if alike_at(comparison, facts):
        decision = decided or decide(comparison.policy, facts)
    else:
        decision = decide(comparison.variant, facts)
    hidden = {name for name in comparison.relevance if _irrelevant(comparison.variant, name, facts)}
    if not hidden & set(decision.missing):
        return decision
    return replace(decision, missing=tuple(name for name in decision.missing if name not in hidden))


def tell_apart(comparison: Comparison) -> Witness | None:
    """The fewest facts that the two decide differently, or None when no scenario can."""
    space = space_of(comparison.policy, comparison.variant)
    differ = _decisions_differ(comparison, space)
    found = _complete_difference(comparison, space) or _partial_difference(comparison, space, differ)
    if found:
        return _witness(comparison, _fewest(found, differ))
    for name in comparison.relevance:
        found = _hidden_where_needed(comparison, name, space)
        if found:
            return _witness(comparison, _fewest(found, _hides(comparison, name)))
    return None


def _witness(comparison: Comparison, facts: Scenario) -> Witness:
    return Witness(facts, decide(comparison.policy, facts), shown_decision(comparison, facts))


def _decisions_differ(comparison: Comparison, space: Space) -> Callable[[Scenario], bool]:
    """Both decide the scenario (not undetermined) and differ in outcome or deciding rules."""
    outcome_judges = [decision_judge(p, deciding_rules=False) for p in (comparison.policy, comparison.variant)]

    def differ(facts: Scenario) -> bool:
        if alike_at(comparison, facts) or not all(_determined(judge, space, facts) for judge in outcome_judges):
            return False
        first, second = decide(comparison.policy, facts), decide(comparison.variant, facts)
        return (first.outcome, first.rules) != (second.outcome, second.rules)

    return differ


def _determined(outcome_of: Judge, space: Space, facts: Scenario) -> bool:
    """Whether every completion of the facts gets one outcome (what `decide` finds before it
    works out which facts are missing, the costly part, not needed here)."""
    seen: set[Hashable] = set()
    pending = [facts]
    while pending:
        scenario = pending.pop()
        verdict = outcome_of(scenario)
        if isinstance(verdict, Settled):
            seen.add(verdict.key)
            if len(seen) > 1:
                return False
            continue
        name = next(n for n in space.facts if n in verdict and n not in scenario)
        pending.extend({**scenario, name: piece.value} for piece in space.pieces[name])
    return True


def _fewest(scenarios: Sequence[Scenario], tells_apart: Callable[[Scenario], bool]) -> Scenario:
    """The smallest part of one of the scenarios that still tells the two apart (each
    scenario given tells them apart whole), fewest facts first, in declaration order."""
    for size in range(max(len(s) for s in scenarios) + 1):
        for scenario in scenarios:
            for chosen in itertools.combinations(scenario, size):
                part = {name: scenario[name] for name in chosen}
                if tells_apart(part):
                    return part
    raise AssertionError("a witness tells the policies apart whole")  # pragma: no cover


# --- step 1: complete scenarios -----------------------------------------------------------

# Minimizing is a search over parts of a few witnesses; more regions would only slow it.
_WITNESSES_TRIED = 6


def _complete_difference(comparison: Comparison, space: Space) -> list[Scenario]:
    """A complete scenario from each region (up to a few) that the two decide differently."""
    first, second = decision_judge(comparison.policy), decision_judge(comparison.variant)

    def judge(scenario: Mapping[str, Value]) -> Verdict:
        if alike_at(comparison, scenario):
            return Settled(True)
        a, b = first(scenario), second(scenario)
        if isinstance(a, Settled) and isinstance(b, Settled):
            return Settled(a.key == b.key)
        pending: frozenset[str] = frozenset()
        for verdict in (a, b):
            if not isinstance(verdict, Settled):
                pending |= verdict
        return pending

    differing = [leaf for leaf in partition(space, judge) if leaf.key is False]
    return [_complete(space, leaf) for leaf in differing[:_WITNESSES_TRIED]]


def _complete(space: Space, leaf: Leaf) -> Scenario:
    """One complete scenario of a region: the first value each restriction allows."""
    allowed: dict[str, Restriction] = {r.fact: r for r in leaf.restrictions}
    scenario: Scenario = {}
    for name in space.facts:
        restriction = allowed.get(name)
        scenario[name] = next(
            piece.value for piece in space.pieces[name] if restriction is None or restriction.contains(piece.value)
        )
    return scenario


# --- step 2: partial scenarios where three-valued truth is not exact -----------------------


def _partial_difference(comparison: Comparison, space: Space, differ: Callable[[Scenario], bool]) -> list[Scenario]:
    """Partial scenarios that the two decide differently although every complete one agrees:
    only possible where a condition whose truth can differ between them (of a rule they do
    not share, or of any rule when the precedence differs) has an inexact three-valued truth."""
    conditions = comparison.unshared
    if comparison.policy.precedence != comparison.variant.precedence:
        conditions += tuple(rule.when for rule in comparison.policy.rules)
    for gap in (gap for condition in conditions for gap in _inexact(condition, space)):
        fixed = set(gap.known) | set(gap.unknown)
        others = [name for name in space.facts if name not in fixed]
        for rest in _partial_scenarios(space, others):
            scenario = {**gap.known, **rest}
            if differ(scenario):
                return [scenario]
    return []


@dataclass(frozen=True, slots=True)
class _Gap:
    """Known values of some of a condition's facts (its other facts unknown) where its
    three-valued truth is unknown although every completion gives it the same truth."""

    known: Mapping[str, Value]
    unknown: tuple[str, ...]


def _inexact(condition: Condition, space: Space) -> list[_Gap]:
    if _exact_by_shape(condition, space):
        return []
    names = [name for name in space.facts if name in facts_of(condition)]
    gaps: list[_Gap] = []
    for known in _partial_scenarios(space, names):
        if truth(condition, known) is not None:
            continue  # true or false in three values is so in every completion
        unknown = tuple(n for n in names if n not in known)
        truths = {
            truth(condition, {**known, **dict(zip(unknown, completion, strict=True))})
            for completion in itertools.product(*([p.value for p in space.pieces[n]] for n in unknown))
        }
        if len(truths) == 1:
            gaps.append(_Gap(known, unknown))
    return gaps


def _partial_scenarios(space: Space, names: Sequence[str]) -> Iterator[Scenario]:
    """Every scenario over the named facts, each fact either unknown or one of its pieces."""
    options: list[list[Value | None]] = [[None, *(p.value for p in space.pieces[n])] for n in names]
    for values in itertools.product(*options):
        yield {n: v for n, v in zip(names, values, strict=True) if v is not None}


def _tests(condition: Condition) -> Iterator[Is | OneOf | Compare | Range]:
    """Every test of one fact in the condition (a range, both bounds on one fact, is one)."""
    match condition:
        case Is() | OneOf() | Compare() | Range():
            yield condition
        case All(items=items) | AnyOf(items=items):
            for item in items:
                yield from _tests(item)
        case Not(item=item):
            yield from _tests(item)


def _exact_by_shape(condition: Condition, space: Space) -> bool:
    """Three-valued truth is exact for a condition that tests each fact once, each test
    being true for some values of its fact and false for others: its parts share no fact,
    so their unknown parts can be completed independently, each either way. (A test that
    every value passes, such as a list of all of a fact's values, is unknown while its
    fact is, though it is always true.)"""
    tests = list(_tests(condition))
    if len({test.fact for test in tests}) != len(tests):
        return False
    return all(len({truth(test, {test.fact: p.value}) for p in space.pieces[test.fact]}) == 2 for test in tests)


# --- step 3: declared relevance -------------------------------------------------------------


def _irrelevant(policy: Policy, name: str, facts: Mapping[str, Value]) -> bool:
    """The policy declares the fact not worth asking, for the facts known."""
    known = {k: v for k, v in facts.items() if k != name and v is not None}
    return truth(policy.fact_index[name].relevant_when, known) is False


def _hides(comparison: Comparison, name: str) -> Callable[[Scenario], bool]:
    """The policy needs the fact for the scenario, and the variant declares it irrelevant there."""

    def hides(facts: Scenario) -> bool:
        return (
            name not in facts
            and _irrelevant(comparison.variant, name, facts)
            and name in decide(comparison.policy, facts).missing
        )

    return hides


def _hidden_where_needed(comparison: Comparison, name: str, space: Space) -> list[Scenario]:
    """Scenarios, every fact known but `name`, where `name` changes the policy's outcome and
    the variant's `relevant_when` for it is false."""
    condition = comparison.variant.fact_index[name].relevant_when
    looked_at = [n for n in space.facts if n in facts_of(condition) and n != name]
    found: list[Scenario] = []
    for leaf in _where_needed(comparison.policy, name):
        allowed = {r.fact: r for r in leaf.restrictions}
        choices = [
            [p.value for p in space.pieces[n] if n not in allowed or allowed[n].contains(p.value)] for n in looked_at
        ]
        for values in itertools.product(*choices):
            known = dict(zip(looked_at, values, strict=True))
            if truth(condition, known) is False:
                scenario = {**_complete(space, leaf), **known}
                del scenario[name]
                found.append(scenario)
                break
        if len(found) >= _WITNESSES_TRIED:
            break
    return found


_NEEDED: weakref.WeakKeyDictionary[Policy, dict[str, tuple[Leaf, ...]]] = weakref.WeakKeyDictionary()


def _where_needed(policy: Policy, name: str) -> tuple[Leaf, ...]:
    """The regions of the other facts where the fact `name` changes the policy's outcome
    (computed once per policy and fact: every variant of its `relevant_when` asks again)."""
    known = _NEEDED.setdefault(policy, {})
    if name not in known:
        space = space_of(policy)
        outcome_of = decision_judge(policy, deciding_rules=False)
        values = [piece.value for piece in space.pieces[name]]

        def matters(scenario: Mapping[str, Value]) -> Verdict:
            outcomes: set[object] = set()
            pending: set[str] = set()
            for value in values:
                verdict = outcome_of({**scenario, name: value})
                if isinstance(verdict, Settled):
                    outcomes.add(verdict.key)
                else:
                    pending |= verdict
                if len(outcomes) > 1:
                    return Settled(True)
            return frozenset(pending - {name}) if pending else Settled(False)

        known[name] = tuple(leaf for leaf in partition(space, matters) if leaf.key is True)
    return known[name]
