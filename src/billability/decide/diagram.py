"""Compile a policy into one exact decision diagram, and walk it.

In: a compiled `PolicyData`.
Out: a `Diagram`: a reduced, ordered decision diagram over the policy's facts in
question order. Each node asks one fact and has one branch per class of its values
plus an `unknown` branch (the fact left out, or None); each leaf is the exact
`Decision` the reference engine (`reference.reference_decide`) gives every scenario,
complete or partial, whose path ends there. `walk` follows a valid scenario to its
leaf; the module `diagram_json` writes the browser's form.

The branches of a node are the classes of the fact's values
(`value_classes.fact_classes`): within one class every condition of the policy comes out
the same, so one representative value decides for the whole class.

How it is built: rules are partially evaluated fact by fact down each path (a rule's
`when` given `activity: transportation` is what is left of it). A fact that no rule
still open looks at cannot change the leaf, so the path skips it; states with the
same leftovers are built once. Equal sub-diagrams are one object, and a node whose
branches all lead to one child is that child. Over complete scenarios the same
leftovers give the outcome as a canonical diagram: the outcomes a partial scenario can
still reach are its terminals, and its `missing` facts are the facts it asks (two
completions that differ only in such a fact decide differently). The index fact of
the reference engine (the trace lists the rules its value leaves possible) is always
asked.
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from billability.decide.reference import ReferencePlan, reference_plan
from billability.decide.scenario import truth
from billability.decide.value_classes import FactClasses, fact_classes
from billability.model.policy import (
    All,
    Always,
    AnyOf,
    Compare,
    Condition,
    Decision,
    FactType,
    Is,
    Not,
    OneOf,
    Outcome,
    PolicyData,
    Value,
    facts_of,
)

# --- the diagram ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """One question: the fact at `position`, a child per class and one for unknown.
    `lookup` maps an enum or yes/no value (and None) straight to its child; for a whole
    number it is empty and `starts` cuts the numbers into classes."""

    position: int
    fact: str
    branches: tuple[Child, ...]
    unknown: Child
    lookup: Mapping[Value | None, Child] = field(default_factory=dict)
    starts: tuple[int, ...] = ()


Child = Node | Decision


@dataclass(frozen=True, slots=True, eq=False)
class Diagram:
    # The policy's id and version, not the policy: a cache of diagrams keyed weakly by
    # policy must not keep its keys alive.
    policy_id: str
    policy_version: str
    facts: tuple[FactClasses, ...]
    root: Child

    def nodes(self) -> Iterator[Node]:
        """Every node once, the root first, depth first in branch order."""
        seen: set[int] = set()
        stack: list[Child] = [self.root]
        while stack:
            child = stack.pop()
            if not isinstance(child, Node) or id(child) in seen:
                continue
            seen.add(id(child))
            yield child
            stack.extend(reversed((*child.branches, child.unknown)))

    def leaves(self) -> tuple[Decision, ...]:
        found: dict[int, Decision] = {}
        for node in self.nodes():
            for child in (*node.branches, node.unknown):
                if isinstance(child, Decision):
                    found.setdefault(id(child), child)
        if isinstance(self.root, Decision):
            found[id(self.root)] = self.root
        return tuple(found.values())

    def decide(self, scenario: Mapping[str, Value | None]) -> Decision:
        return walk(self.root, scenario)


def walk(child: Child, scenario: Mapping[str, Value | None]) -> Decision:
    """The leaf of a valid scenario (a fact absent or None is unknown)."""
    while child.__class__ is Node:
        node: Node = child
        value = scenario.get(node.fact)
        if node.lookup:
            child = node.lookup[value]
        elif value is None:
            child = node.unknown
        else:
            child = node.branches[bisect_right(node.starts, value)]
    return child  # type: ignore[return-value]


_DIAGRAMS: weakref.WeakKeyDictionary[PolicyData, Diagram] = weakref.WeakKeyDictionary()


def diagram_of(policy: PolicyData, limit: int | None = None) -> Diagram:
    """The policy's diagram, built once."""
    diagram = _DIAGRAMS.get(policy)
    if diagram is None:
        diagram = build_diagram(policy, limit)
        _DIAGRAMS[policy] = diagram
    return diagram


# --- partial evaluation ----------------------------------------------------------------


def given(condition: Condition, name: str, value: Value) -> Condition | bool:
    """What is left of a condition once fact `name` has `value`: True, False, or a
    smaller condition over the other facts (same three-valued meaning as `truth`)."""
    match condition:
        case Always():
            return True
        case Is(fact=f) | OneOf(fact=f) | Compare(fact=f):
            if f != name:
                return condition
            holds = truth(condition, {name: value})
            assert holds is not None
            return holds
        case All(items=items) | AnyOf(items=items):
            # all: stops at the first false entry; any: at the first true one
            stop = isinstance(condition, AnyOf)
            left: list[Condition] = []
            for item in items:
                rest = given(item, name, value)
                if rest is stop:
                    return stop
                if rest is not (not stop):
                    left.append(rest)  # type: ignore[arg-type]
            if not left:
                return not stop
            if len(left) == 1:
                return left[0]
            return AnyOf(tuple(left)) if stop else All(tuple(left))
        case Not(item=item):
            rest = given(item, name, value)
            return (not rest) if isinstance(rest, bool) else Not(rest)
    raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover


# --- the build --------------------------------------------------------------------------


class DiagramTooLarge(Exception):
    """The policy's diagram would take more states than the build was allowed."""


_FALSE, _TRUE = 0, 1
_UNASSIGNED = object()  # the index fact is not yet asked on this path

Leftovers = tuple[int, ...]  # per rule, its interned leftover condition


class _Builder:
    """One build: interned leftover conditions, the complete-scenario outcome diagram
    (for reachable outcomes and `missing`), and the decision diagram itself."""

    def __init__(self, policy: PolicyData, limit: int | None) -> None:
        self.policy = policy
        self.limit = limit
        self.plan: ReferencePlan = reference_plan(policy)
        self.classes = tuple(fact_classes(policy, fact) for fact in policy.facts)
        self.names = tuple(fact.name for fact in policy.facts)
        self.index = None if self.plan.index is None else self.names.index(self.plan.index)
        # The rules whose condition looks at each fact, and the rules of each outcome.
        self.touching = tuple(
            tuple(i for i, rule in enumerate(policy.rules) if name in rule.facts) for name in self.names
        )
        self.by_outcome = tuple(
            (outcome, tuple(i for i, rule in enumerate(policy.rules) if rule.outcome is outcome))
            for outcome in policy.precedence
        )
        # Interned conditions: 0 is false, 1 is true; masks[c] has bit i when c looks at fact i.
        self.conditions: list[Condition | bool] = [False, True]
        self.ids: dict[Condition | bool, int] = {}
        self.masks: list[int] = [0, 0]
        self.given_memo: dict[tuple[int, int, int], int] = {}
        # The outcome diagram: terminals and nodes as ids, with what each reaches and asks.
        self.outcome_ids: dict[Any, int] = {}
        self.reached: list[frozenset[Outcome]] = []
        self.asked: list[int] = []
        self.outcome_memo: dict[Leftovers, int] = {}
        # The decision diagram.
        self.unique: dict[tuple[int, tuple[int, ...], int], Node] = {}
        self.leaf_ids: dict[Decision, Decision] = {}
        self.memo: dict[tuple[int, Any, Leftovers], Child] = {}
        self.leaf_memo: dict[tuple[Any, Leftovers], Decision] = {}

    # interned leftovers ------------------------------------------------------------------

    def intern(self, condition: Condition | bool) -> int:
        if condition is False or condition is True:
            return int(condition)
        found = self.ids.get(condition)
        if found is None:
            found = self.ids[condition] = len(self.conditions)
            self.conditions.append(condition)
            mask = 0
            for name in facts_of(condition):
                mask |= 1 << self.names.index(name)
            self.masks.append(mask)
        return found

    def given(self, leftovers: Leftovers, position: int, choice: int) -> Leftovers:
        bit = 1 << position
        masks, memo, conditions = self.masks, self.given_memo, self.conditions
        name, value = self.names[position], self.classes[position].values[choice]
        result = list(leftovers)
        for rule in self.touching[position]:
            condition = result[rule]
            if masks[condition] & bit:
                key = (condition, position, choice)
                rest = memo.get(key)
                if rest is None:
                    rest = memo[key] = self.intern(given(conditions[condition], name, value))  # type: ignore[arg-type]
                result[rule] = rest
        return tuple(result)

    def open_facts(self, leftovers: Leftovers) -> int:
        return reduce(or_, map(self.masks.__getitem__, leftovers), 0)

    def settled(self, leftovers: Leftovers) -> Outcome | None:
        """`ReferencePlan.outcome_of` on leftovers: the first outcome of the precedence
        with a rule that holds, unless an open rule comes first; else the default."""
        for outcome, rules in self.by_outcome:
            conditions = [leftovers[rule] for rule in rules]
            if _TRUE in conditions:
                return outcome
            if any(condition > _TRUE for condition in conditions):
                return None
        return self.policy.default_outcome

    def holds(self, leftovers: Leftovers) -> dict[int, bool | None]:
        return {i: (None if c > _TRUE else c == _TRUE) for i, c in enumerate(leftovers)}

    # outcomes over complete scenarios ----------------------------------------------------

    def outcome_node(self, leftovers: Leftovers) -> int:
        """The canonical outcome diagram of the completions of the leftovers (an id)."""
        found = self.outcome_memo.get(leftovers)
        if found is not None:
            return found
        settled = self.settled(leftovers)
        if settled is not None:
            found = self._outcome_unique(settled, frozenset((settled,)), 0)
        else:
            mask = self.open_facts(leftovers)
            position = (mask & -mask).bit_length() - 1
            children = tuple(
                self.outcome_node(self.given(leftovers, position, choice))
                for choice in range(len(self.classes[position].values))
            )
            if all(child == children[0] for child in children):
                found = children[0]
            else:
                reached = frozenset().union(*(self.reached[c] for c in children))
                asked = 1 << position
                for child in children:
                    asked |= self.asked[child]
                found = self._outcome_unique((position, children), reached, asked)
        self.outcome_memo[leftovers] = found
        return found

    def _outcome_unique(self, key: Any, reached: frozenset[Outcome], asked: int) -> int:
        found = self.outcome_ids.get(key)
        if found is None:
            found = self.outcome_ids[key] = len(self.reached)
            self.reached.append(reached)
            self.asked.append(asked)
        return found

    # the decision diagram ---------------------------------------------------------------

    def build(self, level: int, index_value: Any, leftovers: Leftovers) -> Child:
        mask = self.open_facts(leftovers) >> level << level
        if index_value is _UNASSIGNED and self.index is not None:
            mask |= 1 << self.index
        if not mask:
            return self.leaf(index_value, leftovers)
        position = (mask & -mask).bit_length() - 1
        key = (position, index_value, leftovers)
        found = self.memo.get(key)
        if found is not None:
            return found
        classes = self.classes[position]
        is_index = position == self.index
        branches = tuple(
            self.build(position + 1, value if is_index else index_value, self.given(leftovers, position, choice))
            for choice, value in enumerate(classes.values)
        )
        unknown = self.build(position + 1, None if is_index else index_value, leftovers)
        found = self.node(position, branches, unknown)
        self.memo[key] = found
        if self.limit is not None and len(self.memo) + len(self.leaf_memo) > self.limit:
            raise DiagramTooLarge(f"policy `{self.policy.id}` needs more than {self.limit} states")
        return found

    def node(self, position: int, branches: tuple[Child, ...], unknown: Child) -> Child:
        if all(child is unknown for child in branches):
            return unknown
        key = (position, tuple(id(child) for child in branches), id(unknown))
        found = self.unique.get(key)
        if found is None:
            classes = self.classes[position]
            lookup: dict[Value | None, Child] = {}
            if classes.type is not FactType.INTEGER:
                lookup = {**dict(zip(classes.values, branches, strict=True)), None: unknown}
            found = Node(position, classes.name, branches, unknown, lookup, classes.starts)
            self.unique[key] = found
        return found

    def leaf(self, index_value: Any, leftovers: Leftovers) -> Decision:
        key = (index_value, leftovers)
        found = self.leaf_memo.get(key)
        if found is None:
            # The reference's candidates: the rules the index fact's value leaves possible.
            plan = self.plan
            candidates = plan.every_rule if self.index is None or index_value is None else plan.by_value[index_value]
            everything = self.holds(leftovers)
            holds = {i: everything[i] for i in candidates.rules}
            diagram = self.outcome_node(leftovers)
            asked = self.asked[diagram]
            missing = tuple(name for i, name in enumerate(self.names) if asked >> i & 1)
            decision = self.plan.conclude(candidates, holds, self.reached[diagram], lambda: missing)
            found = self.leaf_ids.setdefault(decision, decision)
            self.leaf_memo[key] = found
        return found


def build_diagram(policy: PolicyData, limit: int | None = None) -> Diagram:
    """Compile the policy into its decision diagram (see the module docstring); raises
    `DiagramTooLarge` when it would take more than `limit` states."""
    builder = _Builder(policy, limit)
    start = tuple(builder.intern(rule.when) for rule in policy.rules)
    root = builder.build(0, _UNASSIGNED, start)
    return Diagram(policy.id, policy.version, builder.classes, root)
