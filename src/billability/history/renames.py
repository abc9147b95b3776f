"""Facts and values that a change renamed, and a policy translated into the new names.

In: two compiled policies, BASE and HEAD.
Out: the `Rename`s from BASE to HEAD, and BASE rewritten in HEAD's names
(`renamed_policy`), so that the two can be compared scenario by scenario: a pure
rename then changes no outcome.

What counts as a rename: a fact BASE has and HEAD has not, and a fact HEAD has and
BASE has not, of the same type, with exactly the same value names (for an enum) and
range (for a whole number), and the same uses: the same conditions in the same rules
and in the same facts' `relevant_when`, the name aside. Likewise a value one fact
loses and a value the same fact gains, with the same uses. A pair counts only when
it is the one match on both sides: two facts removed and two added that look alike
stay reported as removed and added, for a reader to judge.

Labels, questions and `relevant_when` may change along with the name; the diff
reports those as changes of the fact under its new name.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from billability.model.conditions import nodes
from billability.model.diagnostics import Location
from billability.model.policy import All, AnyOf, Compare, Condition, Fact, FactType, Is, Not, OneOf, Range, Value
from billability.policy.compiled import Policy


@dataclass(frozen=True, slots=True)
class Rename:
    """A name BASE uses that HEAD spells `new`: a fact (`fact` is None) or a value of
    the enum fact `fact`. `location` is where HEAD declares the fact."""

    old: str
    new: str
    fact: str | None = None
    location: Location | None = None

    @property
    def kind(self) -> str:
        return "fact" if self.fact is None else "value"


def find_renames(base: Policy, head: Policy) -> tuple[Rename, ...]:
    """The facts, then the values, that HEAD renamed (see the module's docstring)."""
    facts = _fact_renames(base, head)
    found = [Rename(old, new, None, head.fact_index[new].location) for old, new in facts.items()]
    found += _value_renames(base, head, facts)
    return tuple(found)


def renamed_policy(policy: Policy, renames: Sequence[Rename]) -> Policy:
    """The policy with every renamed fact and value spelled as HEAD spells it."""
    if not renames:
        return policy
    facts = {r.old: r.new for r in renames if r.fact is None}
    values = {(r.fact, r.old): r.new for r in renames if r.fact is not None}

    def value(fact: str, old: Value) -> Value:
        return values.get((fact, old), old) if isinstance(old, str) else old

    def condition(node: Condition) -> Condition:
        match node:
            case Is(fact=name, value=old):  # fact: value
                return Is(facts.get(name, name), value(name, old), node.location)
            case OneOf(fact=name, values=olds):  # fact: [value, ...]
                return OneOf(facts.get(name, name), tuple(value(name, v) for v in olds), node.location)
            case Compare(fact=name):  # fact: {more_than: n}
                return dataclasses.replace(node, fact=facts.get(name, name))
            case Range(items=items):  # fact: {more_than: n, at_most: m}
                return Range(tuple(condition(item) for item in items), node.location)
            case All(items=items):  # all: [...]
                return All(tuple(condition(item) for item in items), node.location)
            case AnyOf(items=items):  # any: [...]
                return AnyOf(tuple(condition(item) for item in items), node.location)
            case Not(item=item):  # not: cond
                return Not(condition(item), node.location)
        return node

    def fact(old: Fact) -> Fact:
        return dataclasses.replace(
            old,
            name=facts.get(old.name, old.name),
            values=tuple(dataclasses.replace(v, name=values.get((old.name, v.name), v.name)) for v in old.values),
            relevant_when=condition(old.relevant_when),
        )

    return dataclasses.replace(
        policy,
        facts=tuple(fact(f) for f in policy.facts),
        rules=tuple(dataclasses.replace(r, when=condition(r.when)) for r in policy.rules),
    )


# --- uses: where a name appears, the name itself aside ----------------------------------

# Where a condition sits ("rule", rule id) or ("relevant_when", fact name), and the
# condition naming the fact or value, with that name replaced by a marker.
Use = tuple[tuple[str, str], Condition]

_THIS = "\0this"  # the name whose uses are collected
_CHANGED = "\0changed"  # another value that only this side has


def _conditions(policy: Policy, owners: Mapping[str, str]) -> Iterator[tuple[tuple[str, str], Condition]]:
    """Every condition of the policy with where it sits; `owners` renames the facts
    whose `relevant_when` it is, so that BASE's places read as HEAD's."""
    for rule in policy.rules:
        yield ("rule", rule.id), rule.when
    for fact in policy.facts:
        yield ("relevant_when", owners.get(fact.name, fact.name)), fact.relevant_when


def _uses(policy: Policy, owners: Mapping[str, str], shape: Callable[[Condition], Condition | None]) -> Counter[Use]:
    found: Counter[Use] = Counter()
    for place, condition in _conditions(policy, owners):
        for _, node in nodes(condition):
            shaped = shape(node)
            if shaped is not None:
                found[(place, shaped)] += 1
    return found


def _fact_uses(policy: Policy, name: str, owners: Mapping[str, str]) -> Counter[Use]:
    def shape(node: Condition) -> Condition | None:
        if isinstance(node, Is | OneOf | Compare) and node.fact == name:
            return dataclasses.replace(node, fact=_THIS)
        return None

    return _uses(policy, owners, shape)


def _value_uses(
    policy: Policy, fact: str, value: str, only_here: frozenset[str], owners: Mapping[str, str]
) -> Counter[Use]:
    def marked(v: Value) -> Value:
        return _THIS if v == value else _CHANGED if v in only_here else v

    def shape(node: Condition) -> Condition | None:
        if isinstance(node, Is) and node.fact == fact and node.value == value:
            return dataclasses.replace(node, value=_THIS)
        if isinstance(node, OneOf) and node.fact == fact and value in node.values:
            return dataclasses.replace(node, values=tuple(marked(v) for v in node.values))
        return None

    return _uses(policy, owners, shape)


# --- pairing what one side lost with what the other gained ------------------------------


def _one_to_one(matches: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The pairs where the old name matches one new name that no other old name matches."""
    claimed = Counter(new for candidates in matches.values() for new in candidates)
    return {old: news[0] for old, news in matches.items() if len(news) == 1 and claimed[news[0]] == 1}


def _same_domain(old: Fact, new: Fact) -> bool:
    return (
        old.type is new.type
        and set(old.value_names) == set(new.value_names)
        and (old.minimum, old.maximum) == (new.minimum, new.maximum)
    )


def _fact_renames(base: Policy, head: Policy) -> dict[str, str]:
    before, after = base.fact_index, head.fact_index
    removed = [name for name in before if name not in after]
    added = [name for name in after if name not in before]
    found: dict[str, str] = {}
    # A fact used in another renamed fact's `relevant_when` matches once that one is
    # known, so pairs are looked for again until no new one appears.
    while True:
        taken = set(found.values())
        matches = {
            old: [
                new
                for new in added
                if new not in taken
                and _same_domain(before[old], after[new])
                and _fact_uses(base, old, found) == _fact_uses(head, new, {})
            ]
            for old in removed
            if old not in found
        }
        paired = _one_to_one(matches)
        if not paired:
            return found
        found.update(paired)


def _value_renames(base: Policy, head: Policy, facts: Mapping[str, str]) -> list[Rename]:
    before = base.fact_index
    found: list[Rename] = []
    for new_fact in head.facts:
        old_fact = before.get(new_fact.name)
        if old_fact is None or not (old_fact.type is new_fact.type is FactType.ENUM):
            continue
        removed = frozenset(v for v in old_fact.value_names if v not in new_fact.value_names)
        added = frozenset(v for v in new_fact.value_names if v not in old_fact.value_names)
        name = new_fact.name
        matches = {
            old: [
                new
                for new in sorted(added)
                if _value_uses(base, name, old, removed, facts) == _value_uses(head, name, new, added, {})
            ]
            for old in sorted(removed)
        }
        paired = _one_to_one(matches)
        order = {v: i for i, v in enumerate(old_fact.value_names)}
        for old in sorted(paired, key=order.__getitem__):
            found.append(Rename(old, paired[old], name, new_fact.location))
    return found
