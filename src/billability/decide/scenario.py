"""A scenario's facts: checked against the policy's declarations, and judged by a condition.

In: a `PolicyData` and a scenario (a mapping from fact name to value; a fact left out,
or given as None, is unknown).
Out: `validate`, the scenario's known facts, or `ScenarioError` with every problem; and
`truth`, the three-valued truth (true, false, or unknown) of a condition on a
scenario: the one place where a condition form gets its meaning.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from billability.model.diagnostics import Diagnostic, Location, ScenarioError, hint_for, one_of, shown
from billability.model.policy import (
    All,
    Always,
    AnyOf,
    Compare,
    Condition,
    Fact,
    FactType,
    Is,
    Not,
    OneOf,
    PolicyData,
    Value,
)

Scenario = Mapping[str, Value]
Locate = Callable[[str], Location | None]


# --- the one place where a condition form gets its meaning ---------------------------


def truth(condition: Condition, scenario: Scenario) -> bool | None:
    """Three-valued truth of a condition: True, False, or None when unknown facts decide it."""
    match condition:
        case Always():
            # relevant_when: always
            return True
        case Is(fact=name, value=value):
            # fact: value
            known = scenario.get(name)
            return None if known is None else known == value
        case OneOf(fact=name, values=values):
            # fact: [value, value]
            known = scenario.get(name)
            return None if known is None else known in values
        case Compare(fact=name, op=op, bound=bound):
            # fact: {more_than: 30}
            known = scenario.get(name)
            return None if known is None else _compare(op, known, bound)
        case All(items=items):
            # all: [...], or several entries of one mapping
            result: bool | None = True
            for item in items:
                holds = truth(item, scenario)
                if holds is False:
                    return False
                if holds is None:
                    result = None
            return result
        case AnyOf(items=items):
            # any: [...]
            result = False
            for item in items:
                holds = truth(item, scenario)
                if holds is True:
                    return True
                if holds is None:
                    result = None
            return result
        case Not(item=item):
            # not: {...}
            holds = truth(item, scenario)
            return None if holds is None else not holds
    raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover


def _compare(op: str, known: Any, bound: int) -> bool:
    if op == "more_than":
        return bool(known > bound)
    if op == "at_least":
        return bool(known >= bound)
    if op == "less_than":
        return bool(known < bound)
    return bool(known <= bound)


# --- validation of a scenario ---------------------------------------------------------


def validate(policy: PolicyData, facts: Mapping[str, Any], locate: Locate | None = None) -> Scenario:
    """The known facts of a scenario, checked against the policy's declarations."""
    return scenario_check(policy).validate(facts, locate)


@dataclass(frozen=True, slots=True, eq=False)
class ScenarioCheck:
    """What checking a scenario precomputes once per policy."""

    facts: dict[str, Fact]
    valid: Callable[[Mapping[str, Any]], bool]  # true for a valid scenario (may be false, or raise, for others)
    complete: Callable[[Mapping[str, Any]], bool]  # the same, for one that gives every fact
    size: int

    def validate(self, facts: Mapping[str, Any], locate: Locate | None) -> Scenario:
        try:
            clean = self.valid(facts)
        except TypeError:
            clean = False
        if not clean:
            problems = _problems(self, facts, locate)
            if problems:
                raise ScenarioError(problems)
        if None in facts.values():
            return {k: v for k, v in facts.items() if v is not None}
        return facts


_CHECKS: weakref.WeakKeyDictionary[PolicyData, ScenarioCheck] = weakref.WeakKeyDictionary()


def scenario_check(policy: PolicyData) -> ScenarioCheck:
    """The policy's scenario check, built once."""
    check = _CHECKS.get(policy)
    if check is None:
        check = _CHECKS[policy] = ScenarioCheck(
            facts={fact.name: fact for fact in policy.facts},
            valid=_valid_check(policy, every_fact=False),
            complete=_valid_check(policy, every_fact=True),
            size=len(policy.facts),
        )
    return check


def _problems(check: ScenarioCheck, facts: Mapping[str, Any], locate: Locate | None) -> list[Diagnostic]:
    where = locate or (lambda name: None)
    problems: list[Diagnostic] = []
    for name, value in facts.items():
        if not isinstance(name, str) or name not in check.facts:
            problems.append(
                Diagnostic(
                    "scenario.unknown-fact",
                    f"`{name}` is not a fact of this policy",
                    where(str(name)),
                    hint=hint_for(str(name), check.facts),
                )
            )
            continue
        if value is None:
            continue
        fact = check.facts[name]
        if fact.type is FactType.ENUM:
            if not isinstance(value, str):
                problems.append(
                    Diagnostic(
                        "scenario.type",
                        f"`{name}` takes one of its values, not {shown(value)}",
                        where(name),
                        one_of(fact.value_names),
                    )
                )
            elif value not in fact.value_names:
                problems.append(
                    Diagnostic(
                        "scenario.unknown-value",
                        f"`{value}` is not a value of `{name}`",
                        where(name),
                        hint=hint_for(value, fact.value_names),
                    )
                )
        elif fact.type is FactType.BOOLEAN:
            if not isinstance(value, bool):
                problems.append(
                    Diagnostic(
                        "scenario.type",
                        f"`{name}` is true or false, not {shown(value)}",
                        where(name),
                        "write `true` or `false`",
                    )
                )
        elif isinstance(value, bool) or not isinstance(value, int):
            problems.append(
                Diagnostic(
                    "scenario.type",
                    f"`{name}` is a whole number, not {shown(value)}",
                    where(name),
                    "write a number such as `12`",
                )
            )
        elif fact.minimum is not None and value < fact.minimum:
            problems.append(
                Diagnostic(
                    "scenario.out-of-range", f"`{name}` cannot be less than {fact.minimum}, got {value}", where(name)
                )
            )
        elif fact.maximum is not None and value > fact.maximum:
            problems.append(
                Diagnostic(
                    "scenario.out-of-range", f"`{name}` cannot be more than {fact.maximum}, got {value}", where(name)
                )
            )
    return problems


def _valid_check(policy: PolicyData, every_fact: bool) -> Callable[[Mapping[str, Any]], bool]:
    """One expression, true for a scenario that names only declared facts and gives each a
    valid value or None. It may be false or raise for a valid scenario (a number beyond
    64 bits), which then takes the full check; with `every_fact`, it is only for scenarios
    that give every fact and raises KeyError when one is left out."""
    constants: dict[str, Any] = {"names": frozenset(fact.name for fact in policy.facts)}
    tests = [] if every_fact else ["s.keys() <= names"]
    for at, fact in enumerate(policy.facts):
        constants[f"n{at}"] = fact.name
        value = f"s[n{at}]" if every_fact else f"s.get(n{at})"
        if fact.type is FactType.ENUM:
            constants[f"v{at}"] = frozenset((*fact.value_names, None))
            tests.append(f"{value} in v{at}")
        elif fact.type is FactType.BOOLEAN:
            tests.append(f"((x := {value}) is True or x is False or x is None)")
        else:
            constants[f"low{at}"] = fact.minimum if fact.minimum is not None else -(2**63)
            constants[f"high{at}"] = fact.maximum if fact.maximum is not None else 2**63
            tests.append(f"((x := {value}) is None or (x.__class__ is int and low{at} <= x <= high{at}))")
    body = " and ".join(tests) or "True"
    check: Callable[[Mapping[str, Any]], bool] = eval(f"lambda s: {body}", constants)  # values enter as constants
    return check
