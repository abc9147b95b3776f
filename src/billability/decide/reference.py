"""The reference engine: decide a scenario by splitting on its unknown facts.

In: a `PolicyData` and a scenario (a mapping from fact name to value; a fact left out,
or given as None, is unknown).
Out: a `Decision`: the outcome, the rules that decided it, their reasons and source
quotes, the unknown facts that could change the outcome, and a trace of what each
rule looked at came to. An invalid scenario raises `ScenarioError` with every problem.

How outcomes combine: every rule whose condition holds applies; the outcome is the
first of the policy's `precedence` that some applying rule has, and the deciding
rules are all applying rules with that outcome. When no rule applies, the policy's
default decides.

Unknown facts are unknown, not false. A condition is first judged in three-valued
logic (true, false, unknown). When that cannot settle the outcome, the evaluator
splits on the unknown facts the unsettled rules look at, value by value (for whole
numbers, one value from each interval the policy's comparisons cut), until every
branch is settled. That makes the outcome and `missing` exact: the outcome is the
one all completions share, or `undetermined`; `missing` holds exactly the unknown
facts for which two completions that differ only in that fact decide differently.

That splitting engine is the reference (`reference_decide`). Once a policy has decided
`DIAGRAM_AFTER` scenarios, `engine.decide` compiles it into its decision diagram
(`billability.decide.diagram`), whose leaves are the reference's decisions (built with
this module's plan, `ReferencePlan.conclude`), and from then on walks it: the same
decisions, in a few steps each.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from billability.decide.scenario import Locate, Scenario, ScenarioCheck, scenario_check, truth
from billability.decide.value_classes import domain
from billability.model.diagnostics import Diagnostic, ScenarioError, shown
from billability.model.policy import (
    All,
    Citation,
    Condition,
    Decision,
    Fact,
    FactType,
    Is,
    OneOf,
    Outcome,
    PolicyData,
    Rule,
    TraceEvent,
    Value,
)

# --- the reference engine ------------------------------------------------------------


def reference_decide(policy: PolicyData, facts: Mapping[str, Any], locate: Locate | None = None) -> Decision:
    """Decide one scenario by splitting on unknown facts, never through the diagram: the
    reference the diagram is tested against."""
    plan = reference_plan(policy)
    if not isinstance(facts, Mapping):
        raise ScenarioError(
            [Diagnostic("scenario.type", f"a scenario is a mapping of facts to values, not {shown(facts)}")]
        )
    return plan.decide(plan.validate(facts, locate))


@dataclass(frozen=True, slots=True)
class Candidates:
    """The rules that may apply once the index fact has a given value."""

    rules: tuple[int, ...]
    by_id: tuple[int, ...]  # the same rules in the order of their ids, as a trace lists them


@dataclass(eq=False)
class ReferencePlan:
    """What evaluation precomputes once per policy, and the reference engine."""

    policy: PolicyData
    facts: dict[str, Fact]
    index: str | None
    by_value: dict[Any, Candidates]
    every_rule: Candidates
    domains: dict[str, tuple[Value, ...]]
    check: ScenarioCheck
    events: dict[tuple[int, bool | None], TraceEvent]
    root: Any = None  # the decision diagram's root, once built
    decided: int = 0

    # validation ---------------------------------------------------------------------

    def validate(self, facts: Mapping[str, Any], locate: Locate | None) -> Scenario:
        return self.check.validate(facts, locate)

    # deciding -------------------------------------------------------------------------

    @property
    def stamp(self) -> tuple[str, str]:
        """The policy id and version every decision carries."""
        return self.policy.id, self.policy.version

    def candidates(self, scenario: Scenario) -> Candidates:
        if self.index is None:
            return self.every_rule
        value = scenario.get(self.index)
        return self.every_rule if value is None else self.by_value[value]

    def decide(self, scenario: Scenario) -> Decision:
        candidates, holds = self._truths(scenario)
        return self.conclude(candidates, holds, self.outcomes(scenario), lambda: self.missing(scenario))

    def conclude(
        self,
        candidates: Candidates,
        holds: Mapping[int, bool | None],
        outcomes: frozenset[Outcome],
        missing: Callable[[], tuple[str, ...]],
    ) -> Decision:
        """The decision, given what the candidate rules come to (holds: rule index ->
        truth), the outcomes the completions reach, and the missing facts when asked."""
        rules = self.policy.rules
        # What each candidate rule came to, in the order of their ids.
        trace = tuple([self.events[i, holds[i]] for i in candidates.by_id])
        if len(outcomes) == 1:
            (outcome,) = outcomes
            if self.outcome_of(holds) is outcome:
                # Settled by the rules that apply: they decide.
                deciding = [rules[i] for i in candidates.rules if holds[i] is True and rules[i].outcome is outcome]
            else:
                # Settled only by splitting: cite the rules of that outcome that apply in some completion.
                deciding = [rules[i] for i in candidates.rules if holds[i] is not False and rules[i].outcome is outcome]
            if not deciding:
                return Decision(outcome, (), (self.policy.default_reason,), (), (), trace, *self.stamp)
            return _decision(outcome, deciding, trace, self.stamp)
        asked = missing()
        possible = [
            o.replace("_", " ") for o in (*self.policy.precedence, self.policy.default_outcome) if o in outcomes
        ]
        words = ", ".join(self.facts[name].label.lower() for name in asked)
        reason = f"it could be {' or '.join(dict.fromkeys(possible))}, depending on facts not given: {words}"
        return Decision(Outcome.UNDETERMINED, (), (reason,), (), asked, trace, *self.stamp)

    def outcome_of(self, holds: Mapping[int, bool | None]) -> Outcome | None:
        """The outcome when three-valued truths settle it, else None."""
        rules = self.policy.rules
        for outcome in self.policy.precedence:
            truths = [h for i, h in holds.items() if rules[i].outcome is outcome]
            if True in truths:
                return outcome
            if None in truths:
                return None
        return self.policy.default_outcome

    def _truths(self, scenario: Scenario) -> tuple[Candidates, dict[int, bool | None]]:
        candidates = self.candidates(scenario)
        rules = self.policy.rules
        return candidates, {i: truth(rules[i].when, scenario) for i in candidates.rules}

    # exact reasoning over unknown facts ---------------------------------------------

    def outcomes(self, scenario: Scenario) -> frozenset[Outcome]:
        """Every outcome some completion of the scenario gets."""
        return frozenset(outcome for _, outcome in self.leaves(scenario))

    def leaves(self, scenario: Scenario) -> Iterable[tuple[dict[str, Value], Outcome]]:
        """Settled partial scenarios that together cover every completion."""
        _, holds = self._truths(scenario)
        settled = self.outcome_of(holds)
        if settled is not None:
            yield dict(scenario), settled
            return
        name = self._split_fact(scenario, holds)
        for value in self.domains[name]:
            yield from self.leaves({**scenario, name: value})

    def _split_fact(self, scenario: Scenario, holds: Mapping[int, bool | None]) -> str:
        rules = self.policy.rules
        looked_at = set().union(*(rules[i].facts for i, h in holds.items() if h is None))
        for name in self.facts:
            if name in looked_at and name not in scenario:
                return name
        raise AssertionError("an unsettled rule looks only at known facts")  # pragma: no cover

    def missing(self, scenario: Scenario) -> tuple[str, ...]:
        """Unknown facts for which two completions differing only in that fact decide differently."""
        found: set[str] = set()
        for leaf, outcome in self.leaves(scenario):
            for name in leaf.keys() - scenario.keys() - found:
                for value in self.domains[name]:
                    if value != leaf[name] and self.outcomes({**leaf, name: value}) != {outcome}:
                        found.add(name)
                        break
        return tuple(name for name in self.facts if name in found)


def _decision(
    outcome: Outcome, deciding: list[Rule], trace: tuple[TraceEvent, ...], stamp: tuple[str, str]
) -> Decision:
    # Sorted by id, so that the order of rules in the policy files never shows in a decision.
    deciding = sorted(deciding, key=lambda rule: rule.id)
    return Decision(
        outcome,
        tuple(rule.id for rule in deciding),
        tuple(rule.reason for rule in deciding),
        tuple(Citation(rule.id, rule.quotes) for rule in deciding),
        (),
        trace,
        *stamp,
    )


# --- the plan: what evaluation precomputes once per policy ---------------------------

_PLANS: weakref.WeakKeyDictionary[PolicyData, ReferencePlan] = weakref.WeakKeyDictionary()


@dataclass(slots=True)
class LastPlan:
    """The policy decided last and its plan: a run of decisions under one policy skips
    the lookup of its plan (`engine.decide` reads it first)."""

    policy: PolicyData | None = None
    plan: ReferencePlan | None = None


last_plan = LastPlan()


def reference_plan(policy: PolicyData) -> ReferencePlan:
    """The policy's plan, built once."""
    plan = _PLANS.get(policy)
    if plan is None:
        plan = _build_plan(policy)
        _PLANS[policy] = plan
    last_plan.policy, last_plan.plan = policy, plan
    return plan


def _build_plan(policy: PolicyData) -> ReferencePlan:
    facts = {fact.name: fact for fact in policy.facts}
    index = _index_fact(policy)
    every = _candidates(policy, range(len(policy.rules)))
    by_value: dict[Any, Candidates] = {}
    if index is not None:
        for value in facts[index].value_names:
            allowed = [
                i for i, rule in enumerate(policy.rules) if value in _allowed_values(rule.when, index, facts[index])
            ]
            by_value[value] = _candidates(policy, allowed)
    return ReferencePlan(
        policy=policy,
        facts=facts,
        index=index,
        by_value=by_value,
        every_rule=every,
        domains={fact.name: domain(policy, fact) for fact in policy.facts},
        check=scenario_check(policy),
        events={
            (i, holds): TraceEvent(rule.id, rule.outcome, holds)
            for i, rule in enumerate(policy.rules)
            for holds in (True, False, None)
        },
    )


def _candidates(policy: PolicyData, indexes: Iterable[int]) -> Candidates:
    chosen = tuple(indexes)
    return Candidates(rules=chosen, by_id=tuple(sorted(chosen, key=lambda i: policy.rules[i].id)))


def _allowed_values(condition: Condition, name: str, fact: Fact) -> frozenset[Any]:
    """The values of fact `name` under which the condition can hold, judged from its
    top-level entries (anything deeper is assumed to allow every value)."""
    match condition:
        case Is(fact=f, value=value) if f == name:
            return frozenset((value,))
        case OneOf(fact=f, values=values) if f == name:
            return frozenset(values)
        case All(items=items):
            allowed = frozenset(fact.value_names)
            for item in items:
                allowed &= _allowed_values(item, name, fact)
            return allowed
    return frozenset(fact.value_names)


def _index_fact(policy: PolicyData) -> str | None:
    """The enum fact that the most rules pin at their top level: deciding looks only at
    the rules that can apply for the scenario's value of it."""
    best, best_count = None, 0
    for fact in policy.facts:
        if fact.type is not FactType.ENUM:
            continue
        every = frozenset(fact.value_names)
        count = sum(1 for rule in policy.rules if _allowed_values(rule.when, fact.name, fact) != every)
        if count > best_count:
            best, best_count = fact.name, count
    return best
