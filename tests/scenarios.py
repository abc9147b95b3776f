"""Scenarios for the exactness tests, made from a policy's own declarations: every
complete combination of the facts' domain values, seeded partial scenarios, seeded
invalid scenarios of the kinds a table of records can hold, and by brute force every
scenario staff can give (each fact answered where it is asked, blank elsewhere).

Every scenario lists its facts in the policy's order, so the problems `evaluate` reports
for an invalid one come in that order too. Nothing here names a fact or a value of any
particular policy.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator
from typing import Any

from billability.decide.regions import space_of
from billability.decide.scenario import truth
from billability.decide.value_classes import domain
from billability.model.policy import Fact, FactType, Value, facts_of
from billability.policy.compiled import Policy

# Wrong texts for a choice fact, besides near misses of its own values. A column of text
# can hold each of them.
STRAY_TEXTS = ("", "nope", "n/a", "o'clock", "café", " ")
# Texts a yes/no column stored as text may hold that are neither `true` nor `false`.
NOT_TRUE_OR_FALSE = ("yes", "no", "TRUE", "False", "1", "0", "", "maybe", "true ")
# Fractions that make a number no whole number, each written alike by Python and SQL.
FRACTIONS = (0.5, 0.25, 0.75, 0.1)


def complete_combinations(policy: Policy) -> Iterator[dict[str, Value]]:
    """Every combination of the facts' domain values (whole numbers: the compared
    numbers, their neighbours and the lowest allowed)."""
    names = [fact.name for fact in policy.facts]
    for values in itertools.product(*(domain(policy, fact) for fact in policy.facts)):
        yield dict(zip(names, values, strict=True))


def partial_scenarios(policy: Policy, count: int, seed: int, most_unknown: int) -> list[dict[str, Value | None]]:
    """Seeded random partial scenarios: one to `most_unknown` facts left out or given as None."""
    rng = random.Random(seed)
    names = [fact.name for fact in policy.facts]
    domains = {fact.name: domain(policy, fact) for fact in policy.facts}
    made: list[dict[str, Value | None]] = []
    for _ in range(count):
        scenario: dict[str, Value | None] = {name: rng.choice(domains[name]) for name in names}
        for name in rng.sample(names, rng.randint(1, min(most_unknown, len(names)))):
            if rng.random() < 0.5:
                del scenario[name]
            else:
                scenario[name] = None
        made.append(scenario)
    return made


def half_known_scenarios(policy: Policy, count: int, seed: int) -> list[dict[str, Value | None]]:
    """Seeded random scenarios where each fact is known half the time; an unknown fact is
    left out or given as None."""
    rng = random.Random(seed)
    made: list[dict[str, Value | None]] = []
    for _ in range(count):
        scenario: dict[str, Value | None] = {}
        for fact in policy.facts:
            choice = rng.random()
            if choice < 0.5:
                scenario[fact.name] = rng.choice(domain(policy, fact))
            elif choice < 0.75:
                scenario[fact.name] = None
        made.append(scenario)
    return made


def wrong_values(fact: Fact, typed: bool = False) -> tuple[Any, ...]:
    """Values of the fact `evaluate` refuses that a column of records can hold: a text that
    is none of a choice fact's values, a number below the minimum or above the maximum,
    a number with a fraction, a text other than `true`/`false` for a yes/no fact. With
    `typed`, only those a column of the fact's own type holds (no fractions, no texts for
    yes/no facts)."""
    if fact.type is FactType.ENUM:
        near = [f"{value}x" for value in fact.value_names[:2]] + [fact.value_names[0].upper()]
        return tuple(t for t in (*near, *STRAY_TEXTS) if t not in fact.value_names)
    if fact.type is FactType.BOOLEAN:
        return () if typed else NOT_TRUE_OR_FALSE
    wrong: list[Any] = []
    if fact.minimum is not None:
        wrong += [fact.minimum - 1, fact.minimum - 30]
    if fact.maximum is not None:
        wrong += [fact.maximum + 1, fact.maximum + 30]
    if not typed:
        anchor = fact.minimum if fact.minimum is not None else 0
        wrong += [anchor + step + fraction for step in (0, 7, -3) for fraction in FRACTIONS]
    return tuple(wrong)


def wrong_value_codes(policy: Policy, typed: bool = False) -> set[str]:
    """The codes `evaluate` reports for the wrong values `wrong_values` gives the policy's facts."""
    codes = set()
    for fact in policy.facts:
        if fact.type is FactType.ENUM:
            codes.add("scenario.unknown-value")
        elif not typed:
            codes.add("scenario.type")
        if fact.type is FactType.INTEGER and (fact.minimum is not None or fact.maximum is not None):
            codes.add("scenario.out-of-range")
    return codes


def invalid_scenarios(
    policy: Policy, count: int, seed: int, most_wrong: int = 2, typed: bool = False
) -> list[dict[str, Any]]:
    """Seeded scenarios with one to `most_wrong` facts given a wrong value (see
    `wrong_values`, and `typed` there), and about a third of the other facts unknown (left
    out or None); none when no fact of the policy can be given a wrong value."""
    rng = random.Random(seed)
    domains = {fact.name: domain(policy, fact) for fact in policy.facts}
    wrong = {fact.name: wrong_values(fact, typed) for fact in policy.facts}
    names = [fact.name for fact in policy.facts]
    can_be_wrong = [name for name in names if wrong[name]]
    if not can_be_wrong:
        return []
    made: list[dict[str, Any]] = []
    for _ in range(count):
        faulty = set(rng.sample(can_be_wrong, rng.randint(1, min(most_wrong, len(can_be_wrong)))))
        scenario: dict[str, Any] = {}
        for name in names:
            if name in faulty:
                scenario[name] = rng.choice(wrong[name])
            elif rng.random() < 0.33:
                if rng.random() < 0.5:
                    scenario[name] = None
            else:
                scenario[name] = rng.choice(domains[name])
        made.append(scenario)
    return made


def asked_scenarios(*policies: Policy, blanks: bool = False) -> list[dict[str, Value | None]]:
    """Every scenario staff can give, by brute force: each fact of the joint space known
    (one value per piece) where it is asked and blank (None) elsewhere; with `blanks`, an
    asked fact may be blank too. A fact is asked where some policy's `relevant_when` for
    it holds, or, with `blanks`, is unknown for a fact it looks at that is asked and
    left blank."""
    space = space_of(*policies)
    relevance = {
        name: [policy.fact_index[name].relevant_when for policy in policies if name in policy.fact_index]
        for name in space.facts
    }

    def asked(name: str, scenario: dict[str, Value | None], seen: frozenset[str]) -> bool:
        known = {k: v for k, v in scenario.items() if v is not None and k != name}
        for condition in relevance[name]:
            holds = truth(condition, known)
            if holds or (
                holds is None
                and blanks
                and any(
                    scenario[other] is None and other not in seen and asked(other, scenario, seen | {name})
                    for other in facts_of(condition)
                    if other != name
                )
            ):
                return True
        return False

    found = []
    for values in itertools.product(*([*(p.value for p in space.pieces[name]), None] for name in space.facts)):
        scenario: dict[str, Value | None] = dict(zip(space.facts, values, strict=True))
        if all(
            (value is None and (blanks or not asked(name, scenario, frozenset())))
            or (value is not None and asked(name, scenario, frozenset()))
            for name, value in scenario.items()
        ):
            found.append(scenario)
    return found


def combinations_of(scenarios: Iterable[dict[str, Value | None]], *policies: Policy) -> int:
    """How many combinations of the enum and yes/no answers the scenarios hold (whole numbers are ranges)."""
    finite = space_of(*policies).finite
    return len({tuple((k, v) for k, v in s.items() if k in finite) for s in scenarios})
