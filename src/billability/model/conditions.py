"""Walk and rewrite the condition trees of rules, and say a condition in words.

In: a `Condition` (a rule's `when`).
Out: its nodes with their paths (a path is the list of child positions from the
root), a copy with one node replaced or dropped, and a short maintainer-readable
description of a node (`contact_mode is face_to_face or phone`). Mutation testing
and coverage both name conditions this way, so their reports read alike.
"""

from __future__ import annotations

from collections.abc import Iterator

from billability.model.policy import All, Always, AnyOf, Compare, Condition, Is, Not, OneOf, Range, Value, is_range

NodePath = tuple[int, ...]

_COMPARISON_WORDS = {
    "more_than": "more than",
    "at_least": "at least",
    "less_than": "less than",
    "at_most": "at most",
}


def nodes(condition: Condition, path: NodePath = ()) -> Iterator[tuple[NodePath, Condition]]:
    """Every node of the tree, the root first, children in order."""
    yield path, condition
    match condition:
        case All(items=items) | AnyOf(items=items):
            for index, item in enumerate(items):
                yield from nodes(item, (*path, index))
        case Not(item=item):
            yield from nodes(item, (*path, 0))


def replace(condition: Condition, path: NodePath, new: Condition | None) -> Condition:
    """A copy with the node at `path` replaced by `new`, or dropped from its `all` or
    `any` when `new` is None."""
    if not path:
        if new is None:
            raise ValueError("the root of a condition cannot be dropped")
        return new
    first, rest = path[0], path[1:]
    match condition:
        case All(items=items) | AnyOf(items=items):
            changed = list(items)
            if not rest and new is None:
                del changed[first]
            else:
                changed[first] = replace(items[first], rest, new)
            if isinstance(condition, Range) and is_range(tuple(changed)):
                return Range(tuple(changed), condition.location)  # a bound moved: still a range
            kind = All if isinstance(condition, All) else AnyOf
            return kind(tuple(changed), condition.location)
        case Not(item=item) if first == 0:
            return Not(replace(item, rest, new), condition.location)
    raise ValueError(f"no node at {path} in {condition!r}")


def node_at(condition: Condition, path: NodePath) -> Condition:
    for found, node in nodes(condition):
        if found == path:
            return node
    raise ValueError(f"no node at {path} in {condition!r}")


def parent_of(condition: Condition, path: NodePath) -> Condition | None:
    return node_at(condition, path[:-1]) if path else None


def shown(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def describe(condition: Condition) -> str:
    """The condition in a maintainer's words, compact enough for one report line."""
    match condition:
        case Always():
            return "always"
        case Is(fact=name, value=value):
            return f"{name} is {shown(value)}"
        case OneOf(fact=name, values=values):
            return f"{name} is {' or '.join(shown(v) for v in values)}"
        case Compare(fact=name, op=op, bound=bound):
            return f"{name} {_COMPARISON_WORDS.get(op, op)} {bound}"
        case Range(fact=name, lower=lower, upper=upper):
            return f"{name} {_COMPARISON_WORDS[lower.op]} {lower.bound} and {_COMPARISON_WORDS[upper.op]} {upper.bound}"
        case All(items=items):
            return "all of (" + "; ".join(describe(item) for item in items) + ")"
        case AnyOf(items=items):
            return "any of (" + "; ".join(describe(item) for item in items) + ")"
        case Not(item=item):
            return f"not ({describe(item)})"
    raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover
