"""Compile the conditions of a policy: its rules' `when:` and its facts' `relevant_when:`.

In: a condition as read from a `CheckedFile` (a mapping of tests, `all`, `any` and
`not`), with the policy's declared facts in hand.
Out: the model's `Condition` (`Is`, `OneOf`, `Compare`, `Range`, `All`, `AnyOf`,
`Not`), each located where it is written, or None; every problem found on the way
(`policy.unknown-fact`, `policy.unknown-value`, `policy.type-mismatch`,
`policy.duplicate-value`, `policy.empty-range`, `policy.out-of-range`) is added to the
problems the compiler collects.
"""

from __future__ import annotations

from typing import Any

from billability.model.diagnostics import Diagnostic, Location, hint_for, one_of, shown
from billability.model.policy import (
    LOWER_BOUNDS,
    All,
    AnyOf,
    Compare,
    Condition,
    Fact,
    FactType,
    Is,
    Not,
    OneOf,
    Range,
)
from billability.policy.checked_file import CheckedFile
from billability.policy.source import PathKey

_COMBINATORS = ("all", "any", "not")


class ConditionCompiler:
    """Compiles conditions against the declared facts, adding its problems to `problems`."""

    def __init__(
        self, facts: dict[str, Fact], unclear_facts: list[str], all_facts_known: bool, problems: list[Diagnostic]
    ) -> None:
        self.facts = facts
        # Facts whose declaration has a schema error: declared, but what they allow is unknown.
        self.unclear_facts = unclear_facts
        # Whether every fact name is known: no file unread, no section of the wrong shape.
        self.all_facts_known = all_facts_known
        self.problems = problems

    def problem(self, code: str, message: str, where: Location, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(code, message, where, hint))

    def condition(self, raw: Any, file: CheckedFile, path: PathKey) -> Condition | None:
        """A `when:` mapping; each entry must hold, so several entries are an `all`.
        None when the schema found the mapping itself wrong (what is inside is still checked)."""
        if not isinstance(raw, dict) or not file.holds(path):
            return None
        parts: list[Condition] = []
        for key, value in raw.items():
            at = (*path, key)
            match key:
                case "all" | "any":
                    # all: [cond, ...]   any: [cond, ...]
                    if not isinstance(value, list) or not file.holds(at):
                        continue
                    items = (self.condition(v, file, (*at, i)) for i, v in enumerate(value))
                    checked = tuple(item for item in items if item is not None)
                    parts.append(All(checked, file.where(at)) if key == "all" else AnyOf(checked, file.where(at)))
                case "not":
                    # not: {cond}
                    item = self.condition(value, file, at)
                    if item is not None:
                        parts.append(Not(item, file.where(at)))
                case _:
                    # fact: value   fact: [value, ...]   fact: {more_than: n}
                    test = self._test(key, value, file, at)
                    if test is not None:
                        parts.append(test)
        if len(parts) == 1:
            return parts[0]
        return All(tuple(parts), file.where(path))

    def _test(self, name: str, value: Any, file: CheckedFile, path: PathKey) -> Condition | None:
        fact = self.facts.get(name)
        where = file.where(path)
        if fact is None:
            if name not in self.unclear_facts and self.all_facts_known and path not in file.bad_names:
                self.problem(
                    "policy.unknown-fact",
                    f"`{name}` is not a declared fact",
                    file.where_key(path),
                    hint=hint_for(name, [*self.facts, *self.unclear_facts, *_COMBINATORS]),
                )
            return None
        if not file.sound(path):
            return None
        if isinstance(value, dict):
            return self._comparison(fact, value, file, path)
        if isinstance(value, list):
            checked = [self._value(fact, v, file.where((*path, i))) for i, v in enumerate(value)]
            if len(set(map(repr, value))) != len(value):
                self.problem("policy.duplicate-value", f"a value is listed twice for `{name}`", where)
            return OneOf(name, tuple(v for v in checked if v is not None), where)
        checked_value = self._value(fact, value, where)
        return Is(name, checked_value, where) if checked_value is not None else None

    def _comparison(self, fact: Fact, bounds: dict[str, int], file: CheckedFile, path: PathKey) -> Condition | None:
        """`fact: {more_than: 30}`, or a range `fact: {more_than: 30, at_most: 45}` (the
        schema allows at most one lower and one upper bound)."""
        if fact.type is not FactType.INTEGER:
            op = next(iter(bounds))
            self.problem(
                "policy.type-mismatch",
                f"`{op}` compares numbers, but `{fact.name}` is {_kind(fact)}",
                file.where_key((*path, op)),
                hint=_value_hint(fact),
            )
            return None
        if len(bounds) == 1:
            ((op, bound),) = bounds.items()
            return Compare(fact.name, op, bound, file.where(path))
        # Lower bound first, however the maintainer ordered the keys.
        ordered = sorted(bounds.items(), key=lambda entry: entry[0] not in LOWER_BOUNDS)
        lower, upper = (Compare(fact.name, op, bound, file.where_key((*path, op))) for op, bound in ordered)
        span = Range((lower, upper), file.where(path))
        low, high = span.span
        if low > high:
            self.problem(
                "policy.empty-range",
                f"no whole number is {_words(lower)} and {_words(upper)}, so `{fact.name}` can never be in this range",
                file.where(path),
                hint=f"a range goes from its lower bound up to its upper bound: did you mean "
                f"`{{{lower.op}: {upper.bound}, {upper.op}: {lower.bound}}}`?"
                if lower.bound > upper.bound
                else "widen the range so that it holds at least one number",
            )
            return None
        return span

    def _value(self, fact: Fact, value: Any, where: Location) -> Any:
        if fact.type is FactType.ENUM:
            if not isinstance(value, str):
                self.problem(
                    "policy.type-mismatch",
                    f"`{fact.name}` takes one of its listed values, not {shown(value)}",
                    where,
                    hint=one_of(fact.value_names),
                )
                return None
            if value not in fact.value_names:
                self.problem(
                    "policy.unknown-value",
                    f"`{value}` is not a value of `{fact.name}`",
                    where,
                    hint=hint_for(value, fact.value_names),
                )
                return None
            return value
        if fact.type is FactType.BOOLEAN:
            if not isinstance(value, bool):
                self.problem(
                    "policy.type-mismatch",
                    f"`{fact.name}` is true or false, not {shown(value)}",
                    where,
                    hint="write `true` or `false`",
                )
                return None
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(
                "policy.type-mismatch",
                f"`{fact.name}` is a whole number, not {shown(value)}",
                where,
                hint="compare with `more_than`, `at_least`, `less_than` or `at_most`",
            )
            return None
        if fact.minimum is not None and value < fact.minimum:
            self.problem("policy.out-of-range", f"`{fact.name}` is never below {fact.minimum}", where)
        return value


def _words(comparison: Compare) -> str:
    return f"{comparison.op.replace('_', ' ')} {comparison.bound}"


def _kind(fact: Fact) -> str:
    return {FactType.ENUM: "a list of values", FactType.BOOLEAN: "true or false", FactType.INTEGER: "a number"}[
        fact.type
    ]


def _value_hint(fact: Fact) -> str | None:
    if fact.type is FactType.ENUM:
        return one_of(fact.value_names)
    if fact.type is FactType.BOOLEAN:
        return f"write `{fact.name}: true` or `{fact.name}: false`"
    return None
