"""Find the parts of a policy that can never matter, and the places no rule speaks.

In: a compiled `Policy` (its files are re-read only to point at a value's own line).
Out: located `Diagnostic`s, sorted by location:
- errors: a rule whose condition can never hold (`lint.never-holds`), a rule that
  holds somewhere but never decides because a stronger outcome always wins there
  (`lint.never-decides`);
- warnings: a branch of an `any` that can never hold (`lint.branch-never-holds`), a
  fact no rule looks at (`lint.unused-fact`), an enum value no condition names
  (`lint.unused-value`), scenarios where no rule speaks and the default decides
  (`lint.gap`);
- information: rules with different outcomes that both apply somewhere, and which
  outcome the precedence picks there. Most such overlaps are the policy's design: a
  not_billable exception carved out of a billable (or needs_review) rule
  (`lint.overlap-by-design`, which the command summarises in one line); the others may
  be surprises (`lint.overlap`).

A not_billable rule that wins over a billable or needs_review rule is an exception
carved out of it when either
- it is a sub-case of that rule: it holds only where that rule holds (an undocumented
  hand-off inside hand-offs), or
- it leaves that rule's own choices alone: wherever that rule holds, some values of
  the facts that rule does not look at make the exception hold (an unqualified
  credential, or an unsuccessful contact, inside any activity).
Two rules that claim the same value of a fact for different outcomes (video calls
billable in one, not billable in the other) are neither, and stay visible, as does an
overlap between billable and needs_review (no exclusion decides it).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from billability.decide.regions import Leaf, Settled, Space, Verdict, partition, space_of
from billability.decide.scenario import truth
from billability.decide.table import decision_table
from billability.model.diagnostics import Diagnostic, Location, Severity
from billability.model.policy import (
    All,
    AnyOf,
    Condition,
    Fact,
    FactType,
    Is,
    Not,
    OneOf,
    Outcome,
    Rule,
    Value,
    facts_of,
)
from billability.policy.compiled import Policy
from billability.policy.source import Located, policy_section, reread

# Conditions that overlap in more places than this are summarised, not listed in full.
_SHOWN_PLACES = 3

OVERLAP = "lint.overlap"
OVERLAP_BY_DESIGN = "lint.overlap-by-design"


def lint_policy(policy: Policy) -> tuple[Diagnostic, ...]:
    """Every finding for the policy, sorted by location."""
    space = space_of(policy)
    locator = _Locator()
    findings: list[Diagnostic] = []
    holding = {rule.id: _holds_somewhere(space, rule.when) for rule in policy.rules}
    findings += _never_holds(policy, holding)
    findings += _branches(policy, space)
    findings += _never_decides(policy, holding)
    findings += _unused_facts(policy)
    findings += _unused_values(policy, locator)
    findings += _gaps(policy, locator)
    findings += _overlaps(policy, space, holding)
    return tuple(sorted(findings, key=Diagnostic.sort_key))


def counts(findings: tuple[Diagnostic, ...]) -> Mapping[Severity, int]:
    return {severity: sum(1 for d in findings if d.severity is severity) for severity in Severity}


# --- satisfiability ----------------------------------------------------------------------


def _places(space: Space, condition: Condition) -> tuple[Leaf, ...]:
    """The regions where the condition holds, split only on the facts it looks at."""

    def judge(scenario: Mapping[str, Value]) -> Verdict:
        value = truth(condition, scenario)
        return facts_of(condition) if value is None else Settled(value)

    return tuple(leaf for leaf in partition(space, judge) if leaf.key is True)


def _holds_somewhere(space: Space, condition: Condition) -> bool:
    return bool(_places(space, condition))


def _never_holds(policy: Policy, holding: Mapping[str, bool]) -> Iterator[Diagnostic]:
    for rule in policy.rules:
        if not holding[rule.id]:
            yield Diagnostic(
                "lint.never-holds",
                f"the condition of rule `{rule.id}` can never hold: its parts exclude each other",
                rule.when.location or rule.location,
                hint="check the values it asks for; two entries on one fact must share a value",
            )


def _branches(policy: Policy, space: Space) -> Iterator[Diagnostic]:
    for rule in policy.rules:
        for branch in _any_branches(rule.when):
            if not _holds_somewhere(space, branch):
                yield Diagnostic(
                    "lint.branch-never-holds",
                    f"this branch of `any` in rule `{rule.id}` can never hold, so it adds nothing",
                    branch.location or rule.location,
                    severity=Severity.WARNING,
                )


def _any_branches(condition: Condition) -> Iterator[Condition]:
    match condition:
        case AnyOf(items=items):
            for item in items:
                yield item
                yield from _any_branches(item)
        case All(items=items):
            for item in items:
                yield from _any_branches(item)
        case Not(item=item):
            yield from _any_branches(item)


# --- rules that never decide ------------------------------------------------------------


def _never_decides(policy: Policy, holding: Mapping[str, bool]) -> Iterator[Diagnostic]:
    deciding = {rule_id for region in decision_table(policy).regions for rule_id in region.rules}
    order = " > ".join(policy.precedence)
    for rule in policy.rules:
        if holding[rule.id] and rule.id not in deciding:
            yield Diagnostic(
                "lint.never-decides",
                f"rule `{rule.id}` ({rule.outcome}) never decides: wherever it applies, a rule with an outcome "
                "that comes first in the precedence applies too",
                rule.location,
                hint=f"the precedence is {order}; narrow the stronger rule, or remove this one",
            )


# --- facts and values nobody uses ------------------------------------------------------


def _unused_facts(policy: Policy) -> Iterator[Diagnostic]:
    looked_at = set().union(*(rule.facts for rule in policy.rules))
    for fact in policy.facts:
        if fact.name not in looked_at:
            yield Diagnostic(
                "lint.unused-fact",
                f"no rule looks at the fact `{fact.name}`, so asking it never changes a decision",
                fact.location,
                hint="use it in a rule's `when`, or remove it",
                severity=Severity.WARNING,
            )


def _unused_values(policy: Policy, locator: _Locator) -> Iterator[Diagnostic]:
    named: set[tuple[str, Value]] = set()
    negated: set[str] = set()
    for condition in [*(rule.when for rule in policy.rules), *(fact.relevant_when for fact in policy.facts)]:
        _collect_names(condition, named, negated, under_not=False)
    looked_at = set().union(*(rule.facts for rule in policy.rules))
    for fact in policy.facts:
        # A value a `not` leaves out is used by that negation; an unused fact is reported whole.
        if fact.type is not FactType.ENUM or fact.name in negated or fact.name not in looked_at:
            continue
        for value in fact.value_names:
            if (fact.name, value) not in named:
                yield Diagnostic(
                    "lint.unused-value",
                    f"no condition names the value `{value}` of `{fact.name}`, so it is decided only by rules "
                    "that do not look at this fact",
                    locator.key(fact, ("facts", fact.name, "values", value)),
                    hint="name it in a rule, or remove it if the table does not know it",
                    severity=Severity.WARNING,
                )


def _collect_names(condition: Condition, named: set[tuple[str, Value]], negated: set[str], under_not: bool) -> None:
    match condition:
        case Is(fact=name, value=value):
            named.add((name, value))
            if under_not:
                negated.add(name)
        case OneOf(fact=name, values=values):
            named.update((name, value) for value in values)
            if under_not:
                negated.add(name)
        case All(items=items) | AnyOf(items=items):
            for item in items:
                _collect_names(item, named, negated, under_not)
        case Not(item=item):
            _collect_names(item, named, negated, under_not=True)


# --- gaps and overlaps -------------------------------------------------------------------


def _gaps(policy: Policy, locator: _Locator) -> Iterator[Diagnostic]:
    where = locator.default(policy)
    for region in decision_table(policy).regions:
        if not region.rules:
            yield Diagnostic(
                "lint.gap",
                f"no rule speaks when {region.condition}: the default decides {region.outcome} "
                f"({policy.default_reason})",
                where,
                hint="add a rule for these scenarios if the source text says what they are",
                severity=Severity.WARNING,
            )


def _overlaps(policy: Policy, space: Space, holding: Mapping[str, bool]) -> Iterator[Diagnostic]:
    rank = {outcome: i for i, outcome in enumerate(policy.precedence)}
    live = [rule for rule in policy.rules if holding[rule.id] and rule.outcome in rank]
    for first, second in itertools.combinations(live, 2):
        if first.outcome is second.outcome:
            continue
        places = _places(space, All((first.when, second.when)))
        if not places:
            continue
        winner, loser = sorted((first, second), key=lambda rule: rank[rule.outcome])
        where = _described(places)
        if _is_exception(space, winner, loser):
            yield Diagnostic(
                OVERLAP_BY_DESIGN,
                f"rule `{winner.id}` ({winner.outcome}) is an exception inside rule `{loser.id}` ({loser.outcome}): "
                f"both apply when {where}; {winner.outcome} wins by the precedence",
                loser.location,
                severity=Severity.INFO,
            )
            continue
        yield Diagnostic(
            OVERLAP,
            f"rules `{loser.id}` ({loser.outcome}) and `{winner.id}` ({winner.outcome}) both apply when "
            f"{where}; {winner.outcome} wins by the precedence",
            loser.location,
            severity=Severity.INFO,
        )


def _is_exception(space: Space, winner: Rule, loser: Rule) -> bool:
    """Whether `winner` is a not_billable exception carved out of `loser` (see the module's docstring)."""
    if winner.outcome is not Outcome.NOT_BILLABLE or loser.outcome is Outcome.NOT_BILLABLE:
        return False
    sub_case = not _holds_somewhere(space, All((winner.when, Not(loser.when))))
    return sub_case or _leaves_alone(space, winner.when, loser.when)


def _leaves_alone(space: Space, exception: Condition, general: Condition) -> bool:
    """Wherever `general` holds, some values of the facts it does not look at make `exception` hold."""
    own = facts_of(general)
    needed = facts_of(exception)

    def can_hold(scenario: Mapping[str, Value]) -> bool:
        value = truth(exception, scenario)
        if value is not None:
            return value
        name = next((f for f in space.facts if f in needed and f not in scenario), None)
        return name is not None and any(can_hold({**scenario, name: p.value}) for p in space.pieces[name])

    def always_can_hold(scenario: Mapping[str, Value]) -> bool:
        if truth(general, scenario) is False or truth(exception, scenario) is True:
            return True
        name = next((f for f in space.facts if f in own and f not in scenario), None)
        if name is None:
            return can_hold(scenario)
        return all(always_can_hold({**scenario, name: p.value}) for p in space.pieces[name])

    return always_can_hold({})


def by_design(findings: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """The overlaps the precedence resolves by design (not_billable exceptions inside other rules)."""
    return tuple(d for d in findings if d.code == OVERLAP_BY_DESIGN)


def _described(places: tuple[Leaf, ...]) -> str:
    shown = ["; ".join(r.sentence for r in leaf.restrictions) or "always" for leaf in places[:_SHOWN_PLACES]]
    text = " or ".join(f"({s})" if len(places) > 1 else s for s in shown)
    if len(places) > _SHOWN_PLACES:
        text += f" or {len(places) - _SHOWN_PLACES} more"
    return text


# --- where a finding points ---------------------------------------------------------------


@dataclass
class _Locator:
    """Reads a policy file again only to find a key the compiled policy does not locate."""

    files: dict[str, Located | None] = field(default_factory=dict)

    def read(self, file: str) -> Located | None:
        if file not in self.files:
            self.files[file] = reread(file)
        return self.files[file]

    def key(self, fact: Fact, path: tuple[str, ...]) -> Location | None:
        located = self.read(fact.location.file) if fact.location else None
        if located is None or path not in located.key_locations:
            return fact.location
        return located.where_key(path)

    def default(self, policy: Policy) -> Location | None:
        located = policy_section(policy.files, self.read)
        if located is not None:
            return located.where_key(("policy", "default"))
        return Location(policy.files[0]) if policy.files else None
