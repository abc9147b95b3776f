"""Hypothesis strategies built from a policy's own declarations.

In: a compiled `Policy` (or, for generated policies, the source text their quotes
come from; for hostile edits, policy YAML texts).
Out: strategies for complete, partial, near-threshold and invalid scenarios, for small
generated policies, and for hostile edits of policy text. Everything is derived from
the fact declarations and the numbers the rules compare with, so a fact or a value
a maintainer adds is generated with no test code.

Hypothesis is a test dependency (the `test` extra): import this module from tests only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from billability.decide.value_classes import comparison_bounds
from billability.model.policy import (
    COMPARISONS,
    LOWER_BOUNDS,
    UPPER_BOUNDS,
    All,
    Always,
    AnyOf,
    Compare,
    Condition,
    Fact,
    FactType,
    FactValue,
    Is,
    Not,
    OneOf,
    Outcome,
    Range,
    ReviewContact,
    Rule,
    SourceDocument,
    Topic,
    Value,
)
from billability.policy.compiled import Policy

RULE_OUTCOMES = (Outcome.BILLABLE, Outcome.NOT_BILLABLE, Outcome.NEEDS_REVIEW)

# Integers far from every bound still matter (a window that is "more than 30" must
# hold at 10 000 too), but most draws should sit where the rules change their minds.
_FAR = 10_000


@dataclass(frozen=True, slots=True)
class InvalidScenario:
    """A scenario with exactly one thing wrong: `fact` is the name at fault, `code`
    the diagnostic code the evaluator must report for it."""

    facts: dict[Any, Any]
    fact: Any
    code: str


# --- values of one fact --------------------------------------------------------------


def integer_range(fact: Fact) -> tuple[int, int]:
    """The whole numbers a fact allows, clipped to a range worth generating."""
    low = fact.minimum if fact.minimum is not None else -_FAR
    high = fact.maximum if fact.maximum is not None else low + 2 * _FAR
    return low, high


def near_bounds(policy: Policy, fact: Fact) -> tuple[int, ...]:
    """For a whole-number fact: its minimum, and each compared number and its neighbours
    (29, 30 and 31 for a 30-day window), kept within the fact's range."""
    low, high = integer_range(fact)
    points = {low}
    for bound in comparison_bounds(policy, fact.name):
        points.update((bound - 1, bound, bound + 1))
    return tuple(sorted(p for p in points if low <= p <= high))


def fact_values(policy: Policy, fact: Fact) -> st.SearchStrategy[Value]:
    """Every value the fact allows; whole numbers lean towards the compared numbers."""
    if fact.type is FactType.ENUM:
        return st.sampled_from(fact.value_names)
    if fact.type is FactType.BOOLEAN:
        return st.booleans()
    low, high = integer_range(fact)
    return st.one_of(st.sampled_from(near_bounds(policy, fact)), st.integers(low, high))


# --- scenarios ---------------------------------------------------------------------------


def complete_scenarios(policy: Policy) -> st.SearchStrategy[dict[str, Value]]:
    """Scenarios that give every fact of the policy a valid value."""
    return st.fixed_dictionaries({fact.name: fact_values(policy, fact) for fact in policy.facts})


def near_threshold_scenarios(policy: Policy) -> st.SearchStrategy[dict[str, Value]]:
    """Complete scenarios whose whole-number facts sit on or beside a compared number."""
    values: dict[str, st.SearchStrategy[Value]] = {}
    for fact in policy.facts:
        if fact.type is FactType.INTEGER:
            values[fact.name] = st.sampled_from(near_bounds(policy, fact))
        else:
            values[fact.name] = fact_values(policy, fact)
    return st.fixed_dictionaries(values)


@st.composite
def partial_scenarios(draw: st.DrawFn, policy: Policy, max_unknown: int | None = None) -> dict[str, Value | None]:
    """Scenarios with some facts unknown (left out, or given as null); at most
    `max_unknown` of them when given, so that brute force over completions stays cheap."""
    complete = draw(st.one_of(complete_scenarios(policy), near_threshold_scenarios(policy)))
    names = [fact.name for fact in policy.facts]
    limit = len(names) if max_unknown is None else min(max_unknown, len(names))
    unknown = draw(st.sets(st.sampled_from(names), max_size=limit)) if names else set()
    scenario: dict[str, Value | None] = {}
    for name in names:
        if name not in unknown:
            scenario[name] = complete[name]
        elif draw(st.booleans()):
            scenario[name] = None  # null says unknown as well as leaving the fact out
    return scenario


def _wrong_type_for(fact: Fact) -> st.SearchStrategy[Any]:
    lists = st.lists(st.integers(), max_size=2)
    mappings = st.dictionaries(st.text(max_size=3), st.integers(), max_size=1)
    floats = st.floats(allow_nan=False)
    if fact.type is FactType.ENUM:
        return st.one_of(st.integers(), st.booleans(), floats, lists, mappings)
    if fact.type is FactType.BOOLEAN:
        return st.one_of(st.integers(), st.sampled_from(["true", "false", "yes", "no"]), st.text(), floats, lists)
    return st.one_of(
        st.booleans(), st.text(), floats.filter(lambda x: not x.is_integer()), st.just(1.0), lists, mappings
    )


@st.composite
def invalid_scenarios(draw: st.DrawFn, policy: Policy) -> InvalidScenario:
    """A valid partial scenario with one thing made wrong: a name the policy does not
    declare, a value it does not list, a value out of range, or a value of the wrong type."""
    scenario: dict[Any, Any] = dict(draw(partial_scenarios(policy)))
    declared = {fact.name for fact in policy.facts}
    choices = ["unknown-fact", *(f"fact:{fact.name}" for fact in policy.facts)]
    choice = draw(st.sampled_from(choices))
    if choice == "unknown-fact":
        name = draw(st.one_of(st.text(max_size=20), st.integers()).filter(lambda n: n not in declared))
        scenario[name] = draw(st.one_of(st.none(), st.text(max_size=5), st.integers(), st.booleans()))
        return InvalidScenario(scenario, name, "scenario.unknown-fact")
    fact = policy.fact_index[choice.removeprefix("fact:")]
    kinds = ["type"]
    if fact.type is FactType.ENUM:
        kinds.append("unknown-value")
    if fact.type is FactType.INTEGER and (fact.minimum is not None or fact.maximum is not None):
        kinds.append("out-of-range")
    kind = draw(st.sampled_from(kinds))
    if kind == "unknown-value":
        value: Any = draw(st.text(max_size=20).filter(lambda v: v not in fact.value_names))
    elif kind == "out-of-range":
        sides = []
        if fact.minimum is not None:
            sides.append(st.integers(max_value=fact.minimum - 1))
        if fact.maximum is not None:
            sides.append(st.integers(min_value=fact.maximum + 1))
        value = draw(st.one_of(sides))
    else:
        value = draw(_wrong_type_for(fact))
    scenario[fact.name] = value
    return InvalidScenario(scenario, fact.name, f"scenario.{kind}")


# --- generated policies ----------------------------------------------------------------

_VALUE_NAMES = ("alpha", "beta", "gamma", "delta")


@st.composite
def _facts(draw: st.DrawFn) -> tuple[Fact, ...]:
    count = draw(st.integers(1, 4))
    facts: list[Fact] = []
    for index in range(count):
        kind = draw(st.sampled_from(list(FactType)))
        name = f"fact_{index}"
        if kind is FactType.ENUM:
            size = draw(st.integers(2, len(_VALUE_NAMES)))
            values = tuple(FactValue(v, f"value {v}") for v in _VALUE_NAMES[:size])
            facts.append(Fact(name, kind, f"fact {index}", f"what is fact {index}?", values=values))
        elif kind is FactType.INTEGER:
            minimum = draw(st.one_of(st.none(), st.integers(0, 3)))
            facts.append(Fact(name, kind, f"fact {index}", f"how many for fact {index}?", minimum=minimum))
        else:
            facts.append(Fact(name, kind, f"fact {index}", f"is fact {index} so?"))
    return tuple(facts)


def _tests(fact: Fact) -> st.SearchStrategy[Condition]:
    if fact.type is FactType.ENUM:
        names = fact.value_names
        return st.one_of(
            st.sampled_from(names).map(lambda v: Is(fact.name, v)),
            st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True).map(
                lambda vs: OneOf(fact.name, tuple(vs))
            ),
        )
    if fact.type is FactType.BOOLEAN:
        return st.booleans().map(lambda v: Is(fact.name, v))
    low = fact.minimum if fact.minimum is not None else 0
    return st.one_of(
        st.integers(low, low + 12).map(lambda v: Is(fact.name, v)),
        st.builds(
            lambda op, bound: Compare(fact.name, op, bound), st.sampled_from(sorted(COMPARISONS)), st.integers(0, 12)
        ),
        # fact: {more_than: n, at_most: m}, a range that holds for `lowest` to `lowest + width`
        st.builds(
            _range,
            st.just(fact.name),
            st.sampled_from(LOWER_BOUNDS),
            st.sampled_from(UPPER_BOUNDS),
            st.integers(0, 12),
            st.integers(0, 6),
        ),
    )


def _range(name: str, lower: str, upper: str, lowest: int, width: int) -> Range:
    """A range as compile makes one: never empty."""
    highest = lowest + width
    return Range(
        (
            Compare(name, lower, lowest - 1 if lower == "more_than" else lowest),
            Compare(name, upper, highest + 1 if upper == "less_than" else highest),
        )
    )


def conditions(facts: tuple[Fact, ...]) -> st.SearchStrategy[Condition]:
    """Conditions over the given facts, nesting `all`, `any` and `not` a few levels deep."""
    leaves = st.one_of([_tests(fact) for fact in facts])

    def extend(inner: st.SearchStrategy[Condition]) -> st.SearchStrategy[Condition]:
        items = st.lists(inner, min_size=1, max_size=3).map(tuple)
        return st.one_of(items.map(All), items.map(AnyOf), inner.map(Not))

    return st.recursive(leaves, extend, max_leaves=6)


@st.composite
def policies(draw: st.DrawFn, source_text: str, quote: str) -> Policy:
    """Small policies with 1 to 4 facts of every type and up to 6 rules of any shape;
    `quote` must be verbatim in `source_text` (every rule cites it)."""
    facts = draw(_facts())
    count = draw(st.integers(0, 6))
    rules = tuple(
        Rule(
            id=f"rule-{index}",
            title=f"rule {index}",
            topic="general",
            outcome=draw(st.sampled_from(RULE_OUTCOMES)),
            when=draw(conditions(facts)),
            reason=f"reason {index}",
            quotes=(quote,),
        )
        for index in range(count)
    )
    return Policy(
        id="generated",
        title="A generated policy",
        source_name="source.txt",
        source_text=source_text,
        precedence=tuple(draw(st.permutations(RULE_OUTCOMES))),
        default_outcome=draw(st.sampled_from(RULE_OUTCOMES)),
        default_reason="no rule applies",
        topics=(Topic("general", "General"),),
        facts=tuple(Fact(f.name, f.type, f.label, f.question, f.values, f.minimum, f.maximum, Always()) for f in facts),
        rules=rules,
        version="1.0",
        effective_from="2026-01-01",
        source_document=SourceDocument("A generated table", "A generated clinic", "2025-12-01"),
        review=ReviewContact("QA", "ask before you bill"),
    )


# --- hostile policy text ----------------------------------------------------------------


@st.composite
def hostile_edits(draw: st.DrawFn, texts: dict[str, str]) -> dict[str, str]:
    """Policy texts after one to three careless edits: a deleted line, two values swapped,
    a key duplicated, a line indented wrongly, or random characters typed in."""
    edited = dict(texts)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(edited)))
        lines = edited[name].split("\n")
        at = draw(st.integers(0, max(len(lines) - 1, 0)))
        edit = draw(st.sampled_from(["delete", "swap", "duplicate", "indent", "insert", "replace"]))
        if edit == "delete":
            del lines[at]
        elif edit == "swap":
            other = draw(st.integers(0, max(len(lines) - 1, 0)))
            first, second = lines[at].partition(":"), lines[other].partition(":")
            if first[1] and second[1]:
                lines[at] = first[0] + ":" + second[2]
                lines[other] = second[0] + ":" + first[2]
        elif edit == "duplicate":
            lines.insert(at, lines[at])
        elif edit == "indent":
            shift = draw(st.integers(-4, 4))
            lines[at] = " " * shift + lines[at] if shift > 0 else lines[at][-shift:]
        elif edit == "insert":
            column = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:column] + draw(st.text(max_size=8)) + lines[at][column:]
        else:
            lines[at] = draw(st.text(max_size=30))
        edited[name] = "\n".join(lines)
    return edited
