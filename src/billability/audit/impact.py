"""What a policy change does to real services: rows and minutes by outcome before and
after, and the rows that change outcome.

In: `Pairs` (`impact_pairs`: every row of an export decided under two policies, with
the cells of the first rows that change outcome), the two sides
(`history.revisions.Side`), the export's and the mapping's names and SHA-256, and the
columns an example row shows.
Out: an `Impact` (`measure_impact`): both sides' policies, the inputs, rows and
minutes by outcome before and after; each transition (one outcome to another) with its
rows, minutes, why each side decided as it did, and its first rows with their cells;
the rows whose outcome stays, only counted. A row `invalid` or `not_audited` on both
sides is unchanged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from billability.audit.impact_pairs import FIRST_ROWS, Pairs
from billability.audit.outcomes import ERROR, INVALID, NOT_AUDITED, OUTCOMES
from billability.audit.results import RowResult
from billability.audit.summary import UnreadableMinutes, minutes_of_cell
from billability.history.revisions import Side


@dataclass(frozen=True, slots=True)
class PolicySide:
    """One side of the comparison as the report names it."""

    label: str
    policy_id: str
    version: str
    effective_from: str


@dataclass(frozen=True, slots=True)
class FileNamed:
    """An input file: its name as given, and its SHA-256."""

    name: str
    sha256: str


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    """Rows and minutes of one outcome, before and after."""

    outcome: str
    rows_before: int
    minutes_before: int
    rows_after: int
    minutes_after: int


@dataclass(frozen=True, slots=True)
class ExampleRow:
    """A row of the export: its number (from 1) and its cells in `Impact.columns`."""

    row: int
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Transition:
    """The rows that go from one outcome to another. `why_before` and `why_after` say
    what decided them on each side (the deciding rules, the facts an undetermined row
    waits for, the cells an invalid row cannot read), each with its rows."""

    before: str
    after: str
    rows: int
    minutes: int
    why_before: tuple[tuple[str, int], ...]
    why_after: tuple[tuple[str, int], ...]
    examples: tuple[ExampleRow, ...]


@dataclass(frozen=True, slots=True)
class Impact:
    """What a change does to the rows of an export (see the module docstring)."""

    before: PolicySide
    after: PolicySide
    export: FileNamed
    mapping: FileNamed | None
    engine: str
    rows: int
    minutes_column: str | None
    by_outcome: tuple[OutcomeCount, ...]
    transitions: tuple[Transition, ...]
    unchanged_rows: int
    unchanged_minutes: int
    columns: tuple[str, ...]  # the cells each example row shows
    unreadable_minutes: int = 0  # rows whose minutes cell holds no minutes: counted as 0

    @property
    def changed_rows(self) -> int:
        return self.rows - self.unchanged_rows


def measure_impact(
    pairs: Pairs,
    sides: tuple[Side, Side],
    inputs: tuple[FileNamed, FileNamed | None],
    engine: str,
    columns: tuple[str, ...],
    minutes_column: str | None,
) -> Impact:
    """The counts of `pairs` by outcome and by transition, with the example rows' cells
    (in `columns`, as `pairs` holds them)."""
    before_results, after_results = pairs.results
    rows_by: dict[str, list[int]] = {o: [0, 0, 0, 0] for o in OUTCOMES}
    transitions: dict[tuple[str, str], list[int]] = {}
    why: dict[tuple[str, str], tuple[Counter[str], Counter[str]]] = {}
    first: dict[tuple[str, str], list[int]] = {}
    unchanged = [0, 0]
    unreadable = 0
    total = 0
    for (before_id, after_id, cell), count in pairs.rows.items():
        before, after = before_results[before_id], after_results[after_id]
        try:
            minutes = (minutes_of_cell(cell) or 0) * count
        except UnreadableMinutes:
            minutes, unreadable = 0, unreadable + count
        total += count
        for place, outcome in ((0, before.outcome), (2, after.outcome)):
            rows_by[outcome][place] += count
            rows_by[outcome][place + 1] += minutes
        if before.outcome == after.outcome:
            unchanged[0] += count
            unchanged[1] += minutes
            continue
        transition = (before.outcome, after.outcome)
        tally = transitions.setdefault(transition, [0, 0])
        tally[0] += count
        tally[1] += minutes
        told = why.setdefault(transition, (Counter(), Counter()))
        told[0][_why(before)] += count
        told[1][_why(after)] += count
    for (before_id, after_id), numbers in pairs.first_rows.items():
        transition = (before_results[before_id].outcome, after_results[after_id].outcome)
        if transition in transitions:
            first.setdefault(transition, []).extend(numbers)
    firsts = {t: sorted(numbers)[:FIRST_ROWS] for t, numbers in first.items()}
    cells = pairs.cells
    order = {o: n for n, o in enumerate(OUTCOMES)}
    changed = tuple(
        Transition(
            before,
            after,
            rows,
            minutes,
            _ranked(why[before, after][0]),
            _ranked(why[before, after][1]),
            tuple(ExampleRow(n, cells[n]) for n in firsts.get((before, after), [])),
        )
        for (before, after), (rows, minutes) in sorted(
            transitions.items(), key=lambda item: (-item[1][0], order[item[0][0]], order[item[0][1]])
        )
    )
    by_outcome = tuple(
        OutcomeCount(o, *counts) for o, counts in rows_by.items() if any(counts[::2]) or o not in (INVALID, NOT_AUDITED)
    )
    return Impact(
        before=policy_side(sides[0]),
        after=policy_side(sides[1]),
        export=inputs[0],
        mapping=inputs[1],
        engine=engine,
        rows=total,
        minutes_column=minutes_column,
        by_outcome=by_outcome,
        transitions=changed,
        unchanged_rows=unchanged[0],
        unchanged_minutes=unchanged[1],
        columns=columns,
        unreadable_minutes=unreadable,
    )


def _why(result: RowResult) -> str:
    """What decided a row, in a few words: its deciding rules; the facts an undetermined
    row waits for; the cells an invalid row cannot read; the policy's default."""
    if result.outcome == NOT_AUDITED:
        return "out of the mapping's scope"
    if result.outcome == INVALID:
        cells = dict.fromkeys(f"`{p.column}`" for p in result.problems if p.severity == ERROR)
        return "cannot read " + ", ".join(cells) if cells else "a cell that cannot be read"
    if result.rules:
        return ", ".join(result.rules)
    if result.missing:
        return "waits for " + ", ".join(result.missing)
    return "the policy's default"


def _ranked(told: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(told.items(), key=lambda item: (-item[1], item[0])))


def policy_side(side: Side) -> PolicySide:
    """A side as the report names it: its label, and its policy's id, version and date."""
    policy = side.policy
    return PolicySide(side.label, policy.id, policy.version, policy.effective_from)
