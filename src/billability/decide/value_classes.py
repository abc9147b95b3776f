"""The values of a fact that the policy tells apart.

In: a `PolicyData` and one of its facts.
Out: `comparison_bounds`, the numbers the policy compares a whole number fact with;
`domain`, the values worth trying for a fact (what the reference engine splits on);
and `fact_classes`, the classes of the fact's values that every rule treats alike (the
diagram's branches, the audit's columns).

The classes of a fact's values: every enum value; true and false; for a whole number,
each number the policy compares it with is a class of its own, and the runs of numbers
between and around them, clipped to the fact's minimum and maximum, are the others.
Within one class every condition of the policy comes out the same, so one
representative value decides for the whole class.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from billability.model.policy import (
    All,
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


def comparison_bounds(policy: PolicyData, name: str) -> frozenset[int]:
    """The numbers the policy compares fact `name` with (`days: {more_than: 30}`, and
    equality tests such as `days: 30` or `days: [7, 30]`)."""
    bounds: set[int] = set()

    def walk(condition: Condition) -> None:
        match condition:
            case Compare(fact=f, bound=bound) if f == name:
                bounds.add(bound)
            case Is(fact=f, value=value) if f == name and isinstance(value, int) and not isinstance(value, bool):
                bounds.add(value)
            case OneOf(fact=f, values=values) if f == name:
                bounds.update(v for v in values if isinstance(v, int) and not isinstance(v, bool))
            case All(items=items) | AnyOf(items=items):
                for item in items:
                    walk(item)
            case Not(item=item):
                walk(item)

    for rule in policy.rules:
        walk(rule.when)
    for fact in policy.facts:
        walk(fact.relevant_when)
    return frozenset(bounds)


def domain(policy: PolicyData, fact: Fact) -> tuple[Value, ...]:
    """The values worth trying for a fact: every enum value, true and false, or for a whole
    number one value on each side of and at every number the policy compares it with."""
    if fact.type is FactType.ENUM:
        return fact.value_names
    if fact.type is FactType.BOOLEAN:
        return (True, False)
    low = fact.minimum if fact.minimum is not None else -(2**31)
    high = fact.maximum if fact.maximum is not None else 2**31
    points = {low}
    for bound in comparison_bounds(policy, fact.name):
        points.update((bound - 1, bound, bound + 1))
    return tuple(sorted(p for p in points if low <= p <= high))


# --- the classes of a fact's values ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactClasses:
    """The branches of one fact: a representative value per class and, for a whole
    number, each class's first and last number (None: no end on that side)."""

    name: str
    type: FactType
    values: tuple[Value, ...]
    ranges: tuple[tuple[int | None, int | None], ...] = ()

    @property
    def starts(self) -> tuple[int, ...]:
        """The first number of every class but the first (for `bisect_right`)."""
        return tuple(low for low, _ in self.ranges[1:] if low is not None)

    def class_of(self, value: Value) -> int:
        """The position of the class holding a valid value."""
        if self.type is FactType.INTEGER:
            return bisect_right(self.starts, value)
        return self.values.index(value)

    def as_json(self) -> dict[str, Any]:
        classes: list[Any] = [list(r) for r in self.ranges] if self.ranges else list(self.values)
        return {"name": self.name, "type": str(self.type), "classes": classes}


def fact_classes(policy: PolicyData, fact: Fact) -> FactClasses:
    """The classes of values that every rule of the policy treats alike."""
    if fact.type is FactType.ENUM:
        return FactClasses(fact.name, fact.type, fact.value_names)
    if fact.type is FactType.BOOLEAN:
        return FactClasses(fact.name, fact.type, (True, False))
    low, high = fact.minimum, fact.maximum
    bounds = sorted(
        b for b in comparison_bounds(policy, fact.name) if (low is None or b >= low) and (high is None or b <= high)
    )
    ranges: list[tuple[int | None, int | None]] = []
    start = low
    for bound in bounds:
        if start is None or start < bound:
            ranges.append((start, bound - 1))
        ranges.append((bound, bound))
        start = bound + 1
    if start is None or high is None or start <= high:
        ranges.append((start, high))
    values = tuple(next((end for end in r if end is not None), 0) for r in ranges)
    return FactClasses(fact.name, fact.type, values, tuple(ranges))
