"""Sum up an audit: rows and minutes by outcome, rule, missing fact, problem and group.

In: the distinct `RowResult`s of an audit and `Counts` of the rows that got each (by
minutes cell, and by outcome, staff cell and program cell), the `Export`, its `Binding`
and the `Policy`.
Out: a `Summary` (`summarize`): rows and minutes by outcome, the deciding rules, the
facts most often missing, the first invalid rows, the rows decided with a warning, the
problems by column and code, the minutes cells that cannot be read, and breakdowns by
staff and program when the mapping names those columns, and with service dates the rows
each version of the policy decided. Both engines sum up through it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

from billability.audit.binding import Binding
from billability.audit.outcomes import ERROR, INVALID, OUTCOMES, WARNING
from billability.audit.records import Export
from billability.audit.results import RowResult
from billability.policy.compiled import Policy


@dataclass(frozen=True, slots=True)
class Tally:
    """Rows and minutes of one part of the export."""

    rows: int = 0
    minutes: int = 0


@dataclass(frozen=True, slots=True)
class RuleTally:
    rule: str
    outcome: str
    reason: str
    rows: int
    minutes: int


@dataclass(frozen=True, slots=True)
class MissingTally:
    fact: str
    label: str
    rows: int


@dataclass(frozen=True, slots=True)
class ProblemTally:
    """Rows with one kind of problem in one column: `severity` says whether those rows
    are invalid (`error`) or decided with a warning (`warning`); `example` is the value
    most of them hold and `message` what is wrong with it; `values` counts the distinct
    values."""

    severity: str
    code: str
    column: str
    example: str
    rows: int
    message: str = ""
    values: int = 1


@dataclass(frozen=True, slots=True)
class GroupTally:
    """One staff member or program: rows by outcome (in `OUTCOMES` order)."""

    name: str
    rows: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.rows)


@dataclass(frozen=True, slots=True)
class Summary:
    source: str
    policy_id: str
    policy_version: str
    engine: str
    rows: int
    by_outcome: tuple[tuple[str, Tally], ...]
    rules: tuple[RuleTally, ...]
    missing: tuple[MissingTally, ...]
    invalid_rows: tuple[int, ...]
    problems: tuple[ProblemTally, ...]
    minutes_column: str | None = None
    rows_without_minutes: int = 0
    unreadable_minutes: ProblemTally | None = None  # minutes cells that are neither blank nor minutes
    scope_column: str | None = None
    staff_column: str | None = None
    by_staff: tuple[GroupTally, ...] = ()
    program_column: str | None = None
    by_program: tuple[GroupTally, ...] = ()
    policy_effective_from: str = ""
    # Rows decided although a cell could not be read (their answer does not depend on it).
    warned_rows: int = 0
    # With service dates: each version of the policy, oldest first, and the rows it decided.
    by_version: tuple[tuple[str, int], ...] = ()

    def count(self, outcome: str) -> int:
        return dict(self.by_outcome)[outcome].rows


@dataclass
class Counts:
    """What the summary needs, counted a batch at a time at C speed: rows by result and
    minutes cell (the cell None when no column holds minutes), and rows by outcome, staff
    cell and program cell. Both stay as small as the distinct values they count."""

    rows: Counter[tuple[int, Any]] = field(default_factory=Counter)
    groups: Counter[tuple[str, Any, Any]] = field(default_factory=Counter)


_HOURS_AND_MINUTES = re.compile(r"([0-9]+):([0-5][0-9])\Z")


class UnreadableMinutes(Exception):
    """A minutes cell that holds something, but no minutes."""


def minutes_of_cell(cell: Any) -> int | None:
    """A minutes cell as a whole number of minutes (a number, or `h:mm`), None when it
    is blank; raises `UnreadableMinutes` when it holds something else."""
    if cell is None:
        return None
    if isinstance(cell, time):
        return cell.hour * 60 + cell.minute
    if isinstance(cell, timedelta):
        return int(cell.total_seconds() // 60)
    text = str(cell).strip()
    if not text:
        return None
    clock = _HOURS_AND_MINUTES.match(text)
    if clock is not None:
        return int(clock.group(1)) * 60 + int(clock.group(2))
    try:
        value = float(text)
    except ValueError:
        raise UnreadableMinutes from None
    if not 0 <= value < 1e9:
        raise UnreadableMinutes
    return int(value)


def _example(values: Counter[str]) -> str:
    """The value most rows with a problem hold (the first in text order among equals)."""
    return min(values.items(), key=lambda item: (-item[1], item[0]))[0]


def _group_name(cell: Any) -> str:
    return ("" if cell is None else str(cell).strip()) or "(blank)"


def summarize(
    export: Export,
    binding: Binding,
    policy: Policy,
    engine: str,
    results: list[RowResult],
    counts: Counts,
    rows: int,
    invalid_rows: tuple[int, ...],
) -> Summary:
    mapping = binding.mapping
    minutes_of: Counter[int] = Counter()
    rows_of: Counter[int] = Counter()
    without_minutes = 0
    unreadable: Counter[str] = Counter()
    for (index, cell), number in counts.rows.items():
        rows_of[index] += number
        if mapping.minutes is None:
            continue
        try:
            minutes = minutes_of_cell(cell)
        except UnreadableMinutes:
            unreadable[str(cell).strip()] += number
            continue
        if minutes is None:
            without_minutes += number
        else:
            minutes_of[index] += minutes * number
    by_outcome: dict[str, list[int]] = {o: [0, 0] for o in OUTCOMES}
    by_rule: dict[tuple[str, str], list[int]] = {}
    missing: Counter[str] = Counter()
    problems: dict[tuple[str, str, str], Counter[str]] = {}
    messages: dict[tuple[str, str, str], str] = {}
    warned = 0
    by_version: Counter[str | None] = Counter()
    for index, number in rows_of.items():
        result, minutes = results[index], minutes_of[index]
        by_version[result.version] += number
        tally = by_outcome[result.outcome]
        tally[0] += number
        tally[1] += minutes
        for rule in result.rules:
            entry = by_rule.setdefault((result.outcome, rule), [0, 0])
            entry[0] += number
            entry[1] += minutes
        for fact in result.missing:
            missing[fact] += number
        for problem in result.problems:
            problems.setdefault((problem.severity, problem.column, problem.code), Counter())[problem.value] += number
            messages[problem.column, problem.code, problem.value] = problem.message
        if result.problems and result.outcome != INVALID:
            warned += number
    reasons: dict[tuple[str, str], str] = {}
    for result in results:  # the reason the deciding version gave (its rule may be worded otherwise now)
        if len(result.rules) == len(result.reasons):
            for rule, reason in zip(result.rules, result.reasons, strict=True):
                reasons.setdefault((result.outcome, rule), reason)
    current = {rule.id: rule.reason for rule in policy.rules}
    labels = {fact.name: fact.label for fact in policy.facts}
    order = {o: n for n, o in enumerate(OUTCOMES)}

    def grouped(role: int) -> tuple[GroupTally, ...]:
        groups: dict[str, Counter[str]] = {}
        for key, number in counts.groups.items():
            groups.setdefault(_group_name(key[role]), Counter())[key[0]] += number
        tallies = [GroupTally(name, tuple(by[o] for o in OUTCOMES)) for name, by in groups.items()]
        return tuple(sorted(tallies, key=lambda g: (-g.total, g.name)))

    return Summary(
        source=export.shown,
        policy_id=policy.id,
        policy_version=policy.version,
        engine=engine,
        rows=rows,
        by_outcome=tuple((o, Tally(*by_outcome[o])) for o in OUTCOMES),
        rules=tuple(
            sorted(
                (
                    RuleTally(rule, outcome, reasons.get((outcome, rule), current.get(rule, "")), n, m)
                    for (outcome, rule), (n, m) in by_rule.items()
                ),
                key=lambda r: (order[r.outcome], -r.rows, r.rule),
            )
        ),
        missing=tuple(
            MissingTally(fact, labels.get(fact, fact), n)
            for fact, n in sorted(missing.items(), key=lambda item: (-item[1], item[0]))
        ),
        invalid_rows=invalid_rows,
        problems=tuple(
            sorted(
                (
                    ProblemTally(
                        severity,
                        code,
                        column,
                        example := _example(values),
                        values.total(),
                        messages[column, code, example],
                        len(values),
                    )
                    for (severity, column, code), values in problems.items()
                ),
                key=lambda p: (p.severity != ERROR, -p.rows, p.column, p.code),
            )
        ),
        minutes_column=mapping.minutes,
        rows_without_minutes=without_minutes,
        unreadable_minutes=ProblemTally(
            WARNING, "record.minutes", mapping.minutes, _example(unreadable), unreadable.total()
        )
        if unreadable and mapping.minutes
        else None,
        scope_column=mapping.scope.column if mapping.scope is not None else None,
        staff_column=mapping.staff,
        by_staff=grouped(1) if mapping.staff else (),
        program_column=mapping.program,
        by_program=grouped(2) if mapping.program else (),
        policy_effective_from=policy.effective_from,
        warned_rows=warned,
        by_version=tuple((v, by_version[v]) for v in binding.dated.versions) if binding.dated is not None else (),
    )
