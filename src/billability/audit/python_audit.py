"""Audit an export in Python: decide every service record under the policy, through an engine.

In: an `Export` (`records`), a `Binding` of its columns to the policy's facts
(`binding`), an `Engine` that decides scenarios, and maybe a `ResultsWriter`.
Out: every row's `RowResult` handed to the writer in input order (rows in = rows out:
a row whose answer depends on a cell that cannot be read is `invalid`, a row outside the
mapping's scope `not_audited`, never dropped), and a `Summary` (`summary`): rows and
minutes by outcome, the deciding rules, the facts most often missing, the invalid rows,
the rows decided with a warning, the minutes cells that cannot be read, and breakdowns
by staff and program when the mapping names those columns.

A cell that cannot be read (an unknown code, `maybe` for a yes/no fact, a negative
number of days, a date that is no date) gives no fact. The row is decided as if the
cell were blank; when a fact the cell feeds is then among the decision's `missing`
facts (some value of it would give another answer) the row is `invalid` and the cell's
problem an `error`; otherwise the answer stands, whatever the cell meant, and the
problem is a `warning`. This test is exact: `missing` holds exactly the unknown facts
for which two completions differing only in that fact decide differently, so a fact
outside it can change neither the outcome nor, when the outcome is `undetermined`, the
facts it waits for.

With a service date in the mapping, the version of the policy in force on that day
decides the row (`binding.Binding.version_of`), through its own engine; a row whose
date is blank, no date, or before the first version is `invalid`, with that problem
alone, and names no version.

Records repeat the same few combinations of codes: each distinct combination is read
and decided once per run, then looked up. An engine decides a batch of distinct
scenarios at a time, so that another engine (SQL, say) can take its place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from itertools import compress, islice, repeat
from operator import is_, itemgetter
from typing import Any

from billability.audit.binding import Binding, RowProblem
from billability.audit.engines import Engine
from billability.audit.outcomes import ERROR, INVALID, NOT_AUDITED, WARNING
from billability.audit.records import Export, batches
from billability.audit.results import ResultsWriter, RowResult
from billability.audit.summary import Counts, Summary, summarize
from billability.model.diagnostics import ScenarioError
from billability.model.policy import Decision, Value
from billability.policy.compiled import Policy

FIRST_INVALID_ROWS = 10
MAX_REMEMBERED = 200_000


def _getter(indexes: Sequence[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A function from a row to the tuple of its cells at `indexes` (always a tuple)."""
    if len(indexes) == 1:
        (only,) = indexes
        return lambda row: (row[only],)
    if not indexes:
        return lambda row: ()
    return itemgetter(*indexes)


class Results:
    """The result of each distinct combination of fact cells, read and decided once.

    Many combinations of codes mean the same facts (`LCSW` and `LMFT` are both `lpha`),
    and many facts decide alike: each distinct scenario is decided once, and equal
    results share one id, so that the tallies stay as small as the policy's answers."""

    def __init__(self, binding: Binding, engines: Engine | Sequence[Engine]) -> None:
        self.binding = binding
        self.engines: list[Engine] = list(engines) if isinstance(engines, list | tuple) else [engines]  # type: ignore[list-item]
        self.index: dict[tuple[Any, ...], int] = {}
        self.by_facts: dict[tuple[int, tuple[tuple[str, Value], ...]], int] = {}
        self.ids: dict[RowResult, int] = {}
        self.results: list[RowResult] = []
        self.outcomes: list[str] = []

    def id_of(self, result: RowResult) -> int:
        found = self.ids.get(result)
        if found is None:
            found = self.ids[result] = len(self.results)
            self.results.append(result)
            self.outcomes.append(result.outcome)
        return found

    def forget_if_full(self) -> bool:
        """Start the lookups afresh when they have grown past the bound (the results and
        their ids stay), so that an export whose cells hardly repeat cannot fill memory."""
        full = len(self.index) > MAX_REMEMBERED or len(self.by_facts) > MAX_REMEMBERED
        if full:
            self.index.clear()
            self.by_facts.clear()
        return full

    def add(self, keys: Iterable[tuple[Any, ...]]) -> None:
        """Read and decide the keys not seen yet, so that every key of `keys` has an id."""
        new = [key for key in dict.fromkeys(keys) if key not in self.index]
        if not new:
            return
        read: list[tuple[tuple[Any, ...], tuple[int, tuple[tuple[str, Value], ...]], tuple[RowProblem, ...]]] = []
        waiting: dict[tuple[int, tuple[tuple[str, Value], ...]], None] = {}
        undecided = "" if self.binding.dated is not None else None
        for key in new:
            if not self.binding.in_scope(key):
                self.index[key] = self.id_of(RowResult(NOT_AUDITED, version=undecided))
                continue
            version = self.binding.version_of(key)
            if isinstance(version, RowProblem):
                self.index[key] = self.id_of(RowResult(INVALID, problems=(version,), version=undecided))
                continue
            facts, problems = self.binding.facts(key)
            scenario = (version, tuple(facts.items()))
            read.append((key, scenario, problems))
            if scenario not in self.by_facts:
                waiting[scenario] = None
        for at, engine in enumerate(self.engines):
            asked = [given for version, given in waiting if version == at]
            if not asked:
                continue
            decided = engine.decide([dict(given) for given in asked])
            for given, outcome in zip(asked, decided, strict=True):
                self.by_facts[at, given] = self.id_of(self._result(dict(given), outcome, at))
        for key, scenario, problems in read:
            found = self.by_facts[scenario]
            self.index[key] = self.id_of(with_problems(self.results[found], problems)) if problems else found

    def _result(self, facts: Mapping[str, Value], outcome: Decision | ScenarioError, at: int) -> RowResult:
        dated = self.binding.dated
        version = dated.versions[at] if dated is not None else None
        if isinstance(outcome, Decision):
            return RowResult(str(outcome.outcome), outcome.rules, outcome.reasons, outcome.missing, version=version)
        problems = tuple(self._problem(facts, d) for d in outcome.diagnostics)
        return RowResult(INVALID, problems=problems, version=version)

    def _problem(self, facts: Mapping[str, Value], diagnostic: Any) -> RowProblem:
        """An engine's complaint about a scenario, said of the column the fact came from."""
        named = [word for word in diagnostic.message.split("`")[1::2] if word in facts]
        fact = named[0] if named else ""
        value = facts.get(fact)
        text = "" if value is None else ("true" if value is True else "false" if value is False else str(value))
        return RowProblem(diagnostic.code, self.binding.column_of(fact), text, diagnostic.message, diagnostic.hint)


@lru_cache(maxsize=1 << 16)
def _marked(problem: RowProblem, severity: str) -> RowProblem:
    return problem if problem.severity == severity else replace(problem, severity=severity)


def with_problems(result: RowResult, problems: tuple[RowProblem, ...]) -> RowResult:
    """The result of a row with cells that cannot be read, given its result with those
    cells blank: invalid when some of their facts are among the missing ones (or a
    cell's fact is not known), else that result with the problems as warnings."""
    if not problems:
        return result
    if result.outcome == INVALID:
        return replace(result, problems=(*problems, *result.problems))
    missing = result.missing
    marked = tuple(
        _marked(p, ERROR if not p.facts or any(f in missing for f in p.facts) else WARNING) for p in problems
    )
    if any(p.severity == ERROR for p in marked):
        return RowResult(INVALID, problems=marked, version=result.version)
    return replace(result, problems=marked)


def audit(
    export: Export,
    binding: Binding,
    policy: Policy,
    engines: Engine | Sequence[Engine],
    writer: ResultsWriter | None = None,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Decide every row of the export (see the module docstring): by the engine of the
    version of the policy its service date picks (`engines`, one per version, oldest
    first), or by the one engine without a service date."""
    known = Results(binding, engines)
    if writer is not None:
        # DuckDB makes each row one line of output text, followed by the cells read here.
        needed = sorted({*binding.indexes, *(i for i in binding.summary_indexes if i is not None)})
        moved = {index: place for place, index in enumerate(needed, start=1)}
        binding = replace(
            binding,
            indexes=tuple(moved[i] for i in binding.indexes),
            summary_indexes=tuple(None if i is None else moved[i] for i in binding.summary_indexes),  # type: ignore[arg-type]
        )
        rows_read = batches(export, as_line=needed, line_format=writer.line_format)
    else:
        rows_read = batches(export)
    key_of = _getter(binding.indexes)
    minutes_at, staff_at, program_at = binding.summary_indexes
    counts = Counts()
    minutes_of = itemgetter(minutes_at) if minutes_at is not None else None
    staff_of = itemgetter(staff_at) if staff_at is not None else lambda row: None
    program_of = itemgetter(program_at) if program_at is not None else lambda row: None

    def cells_of(rows: list[tuple[Any, ...]]) -> tuple[Iterable[Any], Iterable[Any]]:
        return map(staff_of, rows), map(program_of, rows)

    groups_of = cells_of if staff_at is not None or program_at is not None else None
    invalid_rows: list[int] = []
    done = 0
    for rows in rows_read:
        keys = list(map(key_of, rows))
        ids: list[Any] = list(map(known.index.get, keys))
        if None in ids:
            # Only the keys not found are read, unless the lookups were just forgotten.
            known.add(keys if known.forget_if_full() else compress(keys, map(is_, ids, repeat(None))))
            ids = list(map(known.index.__getitem__, keys))
        if writer is not None:
            writer.write(rows, done + 1, ids, known.results)
        counts.rows.update(zip(ids, map(minutes_of, rows), strict=True) if minutes_of else zip(ids, repeat(None)))
        if groups_of is not None:
            counts.groups.update(zip(map(known.outcomes.__getitem__, ids), *groups_of(rows), strict=True))
        if len(invalid_rows) < FIRST_INVALID_ROWS:
            invalid = {i for i in set(ids) if known.outcomes[i] == INVALID}
            if invalid:
                found = (done + n for n, i in enumerate(ids, start=1) if i in invalid)
                invalid_rows += islice(found, FIRST_INVALID_ROWS - len(invalid_rows))
        done += len(rows)
        if progress is not None:
            progress(done)
    return summarize(export, binding, policy, known.engines[0].name, known.results, counts, done, tuple(invalid_rows))
