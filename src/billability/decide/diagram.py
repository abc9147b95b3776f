"""Compile a policy into one exact decision diagram, and write it for the browser.

In: a compiled `PolicyData`.
Out: a `Diagram`: a reduced, ordered decision diagram over the policy's facts in
question order. Each node asks one fact and has one branch per class of its values
plus an `unknown` branch (the fact left out, or None); each leaf is the exact
`Decision` the reference engine (`evaluate.reference_decide`) gives every scenario,
complete or partial, whose path ends there. `walk` follows a valid scenario to its
leaf; `diagram_json` and `diagram_script` give the browser's form.

The classes of a fact's values: every enum value; true and false; for a whole number,
each number the policy compares it with (`comparison_bounds`) is a class of its own,
and the runs of numbers between and around them, clipped to the fact's minimum and
maximum, are the others. Within one class every condition of the policy comes out the
same, so one representative value decides for the whole class.

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

The JSON form (`diagram_json`), deterministic and without the trace, reasons or quotes:

    {
      "policy": {"id": "case-management", "version": "1.0"},
      "facts": [
        {"name": "activity", "type": "enum", "classes": ["advocacy", ...]},
        {"name": "documented", "type": "boolean", "classes": [true, false]},
        {"name": "days", "type": "integer", "classes": [[0, 29], [30, 30], [31, null]]}
      ],
      "nodes": [{"fact": 0, "branches": [1, 7, ...], "unknown": 9}, ...],
      "leaves": [{"outcome": "not_billable", "rules": ["..."], "missing": []}, ...],
      "root": 0
    }

`fact` is a position in `facts`; `branches` has one child per class, in the order of
`classes` (a whole number's class is `[first, last]`, null meaning no end). A child
`k` below `len(nodes)` is `nodes[k]`, any other is `leaves[k - len(nodes)]`. This form
is reduced again over what it keeps, so a fact that changes only the trace is not
asked there. `diagram_script` wraps it in the JavaScript that `decide.js` reads.
"""

from __future__ import annotations

import json
import weakref
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from billability.decide.evaluate import ReferencePlan, comparison_bounds, reference_plan, truth
from billability.model.policy import (
    All,
    Always,
    AnyOf,
    Compare,
    Condition,
    Decision,
    Fact,
    FactType,
    Is,
    Not,
    OneOf,
    Outcome,
    PolicyData,
    Value,
    facts_of,
)

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


# --- the browser's form ----------------------------------------------------------------


def diagram_json(diagram: Diagram, reasons: bool = False) -> dict[str, Any]:
    """The diagram reduced again over outcome, deciding rules and missing facts (see the
    module docstring for the shape); every node comes before its children. With
    `reasons`, over the reasons too, and each leaf has its `reasons`."""
    keys: dict[tuple[Any, ...], int] = {}  # a reduced node or leaf -> its number here
    items: list[tuple[Any, ...]] = []
    memo: dict[int, int] = {}

    def reduce(child: Child) -> int:
        found = memo.get(id(child))
        if found is not None:
            return found
        if isinstance(child, Decision):
            key: tuple[Any, ...] = ("leaf", str(child.outcome), child.rules, child.missing)
            if reasons:
                key += (child.reasons,)
        else:
            branches = tuple(reduce(branch) for branch in child.branches)
            unknown = reduce(child.unknown)
            if all(branch == unknown for branch in branches):
                memo[id(child)] = unknown
                return unknown
            key = ("node", child.position, branches, unknown)
        found = keys.setdefault(key, len(items))
        if found == len(items):
            items.append(key)
        memo[id(child)] = found
        return found

    root = reduce(diagram.root)
    # Nodes in reverse post-order (every node before its children), leaves as first met.
    finished: list[int] = []
    visited: set[int] = set()

    def visit(item: int) -> None:
        visited.add(item)
        key = items[item]
        if key[0] == "node":
            for child in (*key[2], key[3]):
                if child not in visited:
                    visit(child)
        finished.append(item)

    visit(root)
    ordered = finished[::-1]
    nodes = [item for item in ordered if items[item][0] == "node"]
    leaves = list(dict.fromkeys(c for n in nodes for c in (*items[n][2], items[n][3]) if items[c][0] == "leaf"))
    if items[root][0] == "leaf":
        leaves = [root]
    number = {item: at for at, item in enumerate(nodes)}
    number.update({item: len(nodes) + at for at, item in enumerate(leaves)})
    return {
        "policy": {"id": diagram.policy_id, "version": diagram.policy_version},
        "facts": [classes.as_json() for classes in diagram.facts],
        "nodes": [
            {"fact": items[n][1], "branches": [number[b] for b in items[n][2]], "unknown": number[items[n][3]]}
            for n in nodes
        ],
        "leaves": [
            {"outcome": items[n][1], "rules": list(items[n][2]), "missing": list(items[n][3])}
            | ({"reasons": list(items[n][4])} if reasons else {})
            for n in leaves
        ],
        "root": number[root],
    }


def diagram_script(policy: PolicyData) -> str:
    """The body of `diagram.js`: sets `window.billability.diagram` to the JSON form.
    Deterministic, and safe inside a `<script>` element (`<`, `>` and `&` escaped)."""
    text = json.dumps(diagram_json(diagram_of(policy)), sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        "// The policy's decision diagram, generated from the policy by billability: do not edit.\n"
        "window.billability = window.billability || {};\n" + f"window.billability.diagram = {text};\n"
    )
