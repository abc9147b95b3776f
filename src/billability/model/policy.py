"""The compiled policy and the decisions it makes, as frozen values.

In: nothing; these are the types the stages pass along.
Out: `PolicyData` (facts, rules, precedence, source text), its `Condition` forms,
`Decision` (outcome, deciding rules, reasons, citations, missing facts, trace).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from billability.model.diagnostics import Location


class Outcome(StrEnum):
    BILLABLE = "billable"
    NOT_BILLABLE = "not_billable"
    NEEDS_REVIEW = "needs_review"
    UNDETERMINED = "undetermined"


class FactType(StrEnum):
    ENUM = "enum"
    BOOLEAN = "boolean"
    INTEGER = "integer"


Value = str | bool | int


# --- conditions: one class per form a rule's `when:` can take ---------------------


@dataclass(frozen=True, slots=True)
class Always:
    """`relevant_when: always`"""

    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Is:
    """`fact: value`"""

    fact: str
    value: Value
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class OneOf:
    """`fact: [value, value, ...]`"""

    fact: str
    values: tuple[Value, ...]
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Compare:
    """`fact: {more_than: n}` (or `at_least`, `less_than`, `at_most`); also a bound of a `Range`"""

    fact: str
    op: str
    bound: int
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class All:
    """`all: [cond, ...]`, or several entries in one mapping"""

    items: tuple[Condition, ...]
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class AnyOf:
    """`any: [cond, ...]`"""

    items: tuple[Condition, ...]
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    """`not: cond`"""

    item: Condition
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Range(All):
    """`fact: {more_than: 30, at_most: 45}`: a lower and an upper bound on one fact.

    A range holds when both of its comparisons do, so it is an `all` of them (the lower
    bound first): whatever reads an `all` (truth, the decision diagram, coverage, lint,
    the numbers a fact is cut at) reads a range rightly, and each bound is a `Compare`
    node of its own, located at its key, that mutation moves and coverage names. Only
    what writes a condition out (the YAML, the site's words, a one-line description)
    looks for a range, to write it back as one."""

    def __post_init__(self) -> None:
        if not is_range(self.items):
            raise ValueError("a range is a lower bound and an upper bound on one fact")

    @property
    def fact(self) -> str:
        return self.lower.fact

    @property
    def lower(self) -> Compare:
        return _compare_at(self.items, 0)

    @property
    def upper(self) -> Compare:
        return _compare_at(self.items, 1)

    @property
    def span(self) -> tuple[int, int]:
        """The whole numbers the range allows, as (lowest, highest); empty when lowest > highest."""
        low = self.lower.bound + 1 if self.lower.op == "more_than" else self.lower.bound
        high = self.upper.bound - 1 if self.upper.op == "less_than" else self.upper.bound
        return low, high


Condition = Always | Is | OneOf | Compare | All | AnyOf | Not

COMPARISONS = {
    "more_than": ">",
    "at_least": ">=",
    "less_than": "<",
    "at_most": "<=",
}
LOWER_BOUNDS = ("more_than", "at_least")
UPPER_BOUNDS = ("less_than", "at_most")


def is_range(items: tuple[Condition, ...]) -> bool:
    """Whether the entries can make a `Range`: a lower then an upper bound on one fact."""
    return (
        len(items) == 2
        and isinstance(items[0], Compare)
        and isinstance(items[1], Compare)
        and items[0].fact == items[1].fact
        and items[0].op in LOWER_BOUNDS
        and items[1].op in UPPER_BOUNDS
    )


def _compare_at(items: tuple[Condition, ...], index: int) -> Compare:
    item = items[index]
    assert isinstance(item, Compare)
    return item


def facts_of(condition: Condition) -> frozenset[str]:
    """The names of the facts a condition looks at."""
    match condition:
        case Is(fact=name) | OneOf(fact=name) | Compare(fact=name):
            return frozenset((name,))
        case All(items=items) | AnyOf(items=items):
            return frozenset().union(*(facts_of(item) for item in items))
        case Not(item=item):
            return facts_of(item)
    return frozenset()


# --- the policy --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactValue:
    name: str
    label: str
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    type: FactType
    label: str
    question: str
    values: tuple[FactValue, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    relevant_when: Condition = Always()
    location: Location | None = field(default=None, compare=False)

    @property
    def value_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.values)


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    title: str
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    topic: str
    outcome: Outcome
    when: Condition
    reason: str
    quotes: tuple[str, ...]
    location: Location | None = field(default=None, compare=False)

    @property
    def facts(self) -> frozenset[str]:
        return facts_of(self.when)


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """The document the source text is copied from, as staff would cite it."""

    title: str = ""
    publisher: str = ""
    date: str = ""


@dataclass(frozen=True, slots=True)
class ReviewContact:
    """Who decides an activity the policy marks needs review, and how staff reach them."""

    team: str = ""
    how: str = ""


@dataclass(frozen=True, slots=True, eq=False, weakref_slot=True)
class PolicyData:
    """What a compiled policy holds: its facts, rules, precedence and source. Compare
    policies by their rules and facts, not by identity. `billability.policy.compiled.Policy`
    adds `evaluate`."""

    id: str
    title: str
    source_name: str
    source_text: str
    precedence: tuple[Outcome, ...]
    default_outcome: Outcome
    default_reason: str
    topics: tuple[Topic, ...]
    facts: tuple[Fact, ...]
    rules: tuple[Rule, ...]
    files: tuple[str, ...] = ()
    # The source text's file as messages show it (`policy/sources/...txt`), empty when
    # the policy was compiled from texts in memory.
    source_file: str = ""
    version: str = ""
    effective_from: str = ""
    source_document: SourceDocument = SourceDocument()
    review: ReviewContact = ReviewContact()

    @property
    def fact_index(self) -> Mapping[str, Fact]:
        return {fact.name: fact for fact in self.facts}

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


# --- decisions ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Citation:
    rule: str
    quotes: tuple[str, ...]

    @property
    def quote(self) -> str:
        return " ... ".join(self.quotes)


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """What one rule's condition came to for the scenario: true, false or unknown (None)."""

    rule: str
    outcome: Outcome
    holds: bool | None


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    rules: tuple[str, ...]
    reasons: tuple[str, ...]
    citations: tuple[Citation, ...]
    missing: tuple[str, ...] = ()
    trace: tuple[TraceEvent, ...] = ()
    # The policy that decided, so a saved decision says which rules it was made under.
    policy_id: str = ""
    policy_version: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "policy": {"id": self.policy_id, "version": self.policy_version},
            "outcome": str(self.outcome),
            "rules": list(self.rules),
            "reasons": list(self.reasons),
            "citations": [{"rule": c.rule, "quote": c.quote, "quotes": list(c.quotes)} for c in self.citations],
            "missing": list(self.missing),
        }
