"""Audit an export: decide every service record under the policy and sum up the results.

In: an `Export` (records.py), a `Binding` of its columns to the policy's facts
(mapping.py), an `Engine` that decides scenarios, and maybe a `ResultsWriter`.
Out: every row's `RowResult` handed to the writer in input order (rows in = rows out:
a row whose answer depends on a cell that cannot be read is `invalid`, a row outside the
mapping's scope `not_audited`, never dropped), and a `Summary`: rows and minutes by
outcome, the deciding rules, the facts most often missing, the invalid rows, the rows
decided with a warning, the minutes cells that cannot be read, and breakdowns by staff
and program when the mapping names those columns.

A cell that cannot be read (an unknown code, `maybe` for a yes/no fact, a negative
number of days, a date that is no date) gives no fact. The row is decided as if the
cell were blank; when a fact the cell feeds is then among the decision's `missing`
facts (some value of it would give another answer) the row is `invalid` and the cell's
problem an `error`; otherwise the answer stands, whatever the cell meant, and the
problem is a `warning`. This test is exact: `missing` holds exactly the unknown facts
for which two completions differing only in that fact decide differently, so a fact
outside it can change neither the outcome nor, when the outcome is `undetermined`, the
facts it waits for.

`audit_file` does all of it for an export file, as `billability audit` does: checks the
inputs and the output paths, runs an engine (DuckDB's, or one of `ENGINES`) and writes
the rows and the HTML report, each complete or not at all.

Records repeat the same few combinations of codes: each distinct combination is read
and decided once per run, then looked up. An engine decides a batch of distinct
scenarios at a time, so that another engine (SQL, say) can take its place.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from itertools import compress, islice, repeat
from operator import is_, itemgetter
from pathlib import Path
from typing import Any

from billability.audit.engines import ENGINES, Engine, PythonEngine
from billability.audit.export_text import delimiter_hint
from billability.audit.mapping import ERROR, WARNING, Binding, RowProblem, bind, default_mapping, load_mapping
from billability.audit.mapping import Mapping as ExportMapping
from billability.audit.records import Export, batches, count_rows, open_export
from billability.audit.results import ResultsWriter, RowResult, check_bom, check_places, check_target, temporary_beside
from billability.model.diagnostics import Diagnostic, Location, Problems, ScenarioError, hint_for
from billability.model.policy import Decision, Outcome, Value
from billability.model.resources import project, real_path, shown_path
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy

INVALID = "invalid"
NOT_AUDITED = "not_audited"  # a row outside the mapping's scope: never decided
OUTCOMES: tuple[str, ...] = (*(str(o) for o in Outcome), INVALID, NOT_AUDITED)
__all__ = [
    "ENGINES",
    "ENGINE_NAMES",
    "INVALID",
    "NOT_AUDITED",
    "OUTCOMES",
    "Engine",
    "PythonEngine",
    "Summary",
    "audit",
    "audit_file",
]
FIRST_INVALID_ROWS = 10
MAX_REMEMBERED = 200_000


# --- the summary ---------------------------------------------------------------------


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

    def count(self, outcome: str) -> int:
        return dict(self.by_outcome)[outcome].rows


# --- the audit -----------------------------------------------------------------------


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

    def __init__(self, binding: Binding, engine: Engine) -> None:
        self.binding = binding
        self.engine = engine
        self.index: dict[tuple[Any, ...], int] = {}
        self.by_facts: dict[tuple[tuple[str, Value], ...], int] = {}
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
        read: list[tuple[tuple[Any, ...], tuple[tuple[str, Value], ...], tuple[RowProblem, ...]]] = []
        waiting: dict[tuple[tuple[str, Value], ...], None] = {}
        for key in new:
            if not self.binding.in_scope(key):
                self.index[key] = self.id_of(RowResult(NOT_AUDITED))
                continue
            facts, problems = self.binding.facts(key)
            scenario = tuple(facts.items())
            read.append((key, scenario, problems))
            if scenario not in self.by_facts:
                waiting[scenario] = None
        if waiting:
            decided = self.engine.decide([dict(scenario) for scenario in waiting])
            for scenario, outcome in zip(waiting, decided, strict=True):
                self.by_facts[scenario] = self.id_of(self._result(dict(scenario), outcome))
        for key, scenario, problems in read:
            found = self.by_facts[scenario]
            self.index[key] = self.id_of(with_problems(self.results[found], problems)) if problems else found

    def _result(self, facts: Mapping[str, Value], outcome: Decision | ScenarioError) -> RowResult:
        if isinstance(outcome, Decision):
            return RowResult(str(outcome.outcome), outcome.rules, outcome.reasons, outcome.missing)
        return RowResult(INVALID, problems=tuple(self._problem(facts, d) for d in outcome.diagnostics))

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
        return RowResult(INVALID, problems=marked)
    return RowResult(result.outcome, result.rules, result.reasons, result.missing, marked)


@dataclass
class Counts:
    """What the summary needs, counted a batch at a time at C speed: rows by result and
    minutes cell (the cell None when no column holds minutes), and rows by outcome, staff
    cell and program cell. Both stay as small as the distinct values they count."""

    rows: Counter[tuple[int, Any]] = field(default_factory=Counter)
    groups: Counter[tuple[str, Any, Any]] = field(default_factory=Counter)


def audit(
    export: Export,
    binding: Binding,
    policy: Policy,
    engine: Engine,
    writer: ResultsWriter | None = None,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Decide every row of the export (see the module docstring)."""
    known = Results(binding, engine)
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
    return summarize(export, binding, policy, engine.name, known.results, counts, done, tuple(invalid_rows))


_HOURS_AND_MINUTES = re.compile(r"([0-9]+):([0-5][0-9])\Z")


class _Unreadable(Exception):
    """A minutes cell that holds something, but no minutes."""


def _minutes(cell: Any) -> int | None:
    """A minutes cell as a whole number of minutes (a number, or `h:mm`), None when it
    is blank; raises `_Unreadable` when it holds something else."""
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
        raise _Unreadable from None
    if not 0 <= value < 1e9:
        raise _Unreadable
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
            minutes = _minutes(cell)
        except _Unreadable:
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
    for index, number in rows_of.items():
        result, minutes = results[index], minutes_of[index]
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
    reasons = {rule.id: rule.reason for rule in policy.rules}
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
                (RuleTally(rule, outcome, reasons.get(rule, ""), n, m) for (outcome, rule), (n, m) in by_rule.items()),
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
    )


# --- an export file audited as `billability audit` audits it --------------------------

ENGINE_NAMES: tuple[str, ...] = ("duckdb", *sorted(ENGINES))
# What DuckDB's Python client raises when a signal stops a query it runs.
DUCKDB_INTERRUPTED = "Query interrupted"


def audit_file(
    records: str | os.PathLike[str],
    *,
    mapping: str | os.PathLike[str] | None = None,
    output: str | os.PathLike[str] | None = None,
    report: str | os.PathLike[str] | None = None,
    policy: Policy | str | os.PathLike[str] | None = None,
    engine: str = "duckdb",
    input_format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    bom: bool = False,
    run_at: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Audit the export at `records` as `billability audit` does; its `Summary`.

    Everything is checked before anything runs, and raised at once as `Problems`, each
    located (an output path at the option naming it: `option --report `x.csv``): the
    policy (a `Policy`, a file or folder, or by default the checkout's `policy/`, else
    the bundled one), the export, the mapping (without one, the columns named like
    facts), the engine (`ENGINE_NAMES`) and the output paths. An output that is an input
    (the export, the mapping, a policy file) or the other output, by any spelling or
    link, is refused, as is a folder that does not exist. Nothing is written then.

    The rows (`output`: .csv, .jsonl or .parquet) and the HTML report (`report`) are
    written under hidden names beside their places and moved into them once both are
    complete: an audit that fails or is stopped (`KeyboardInterrupt`, also raised when a
    signal stops a DuckDB query) leaves no file behind and earlier outputs as they were.
    `encoding` and `delimiter` are the export's text encoding and a CSV file's cell
    separator (`records.open_export`); with `bom`, a CSV output starts with a byte order
    mark. The report says when the audit ran (`run_at`, by default now) and the SHA-256
    of the export and the mapping.
    `progress`, when given, is told the rows done and the rows in all now and then."""
    if not isinstance(policy, Policy):
        policy = load_policy(Path(policy) if policy is not None else project().policy)
    rows_to = Path(output) if output is not None else None
    report_to = Path(report) if report is not None else None
    given = (output, report)
    started = run_at if run_at is not None else datetime.now(UTC)
    export, binding = _checked(Path(records), mapping, policy, engine, (input_format, encoding, delimiter, bom), given)
    parts: list[Path] = []
    try:
        rows_part = _part_beside(rows_to, parts) if rows_to is not None else None
        summary = _decided(export, binding, policy, engine, rows_part, progress, bom)
        if report_to is not None:
            from billability.audit.provenance import record_provenance
            from billability.audit.report import report_html

            provenance = record_provenance(export.path, Path(mapping) if mapping is not None else None, started)
            _part_beside(report_to, parts).write_text(report_html(summary, provenance), encoding="utf-8")
        for part, target in zip(parts, (t for t in (rows_to, report_to) if t is not None), strict=True):
            os.replace(part, target)
    except Problems as error:
        raise Problems(_said_of_targets(error.diagnostics, parts, (rows_to, report_to))) from None
    except OSError as error:
        raise Problems([_unwritable(error, (rows_to, report_to))]) from None
    except RuntimeError as error:
        if str(error) == DUCKDB_INTERRUPTED:
            raise KeyboardInterrupt from None
        raise
    finally:
        export.close()
        for part in parts:
            part.unlink(missing_ok=True)
    return summary


def _checked(
    records: Path,
    mapping_path: str | os.PathLike[str] | None,
    policy: Policy,
    engine: str,
    reading: tuple[str | None, str | None, str | None, bool],
    targets: tuple[str | os.PathLike[str] | None, str | os.PathLike[str] | None],
) -> tuple[Export, Binding]:
    """The export and its binding to the policy's facts, once every input and output
    checks out; else every problem found, raised at once. `reading` is the export's
    format, encoding and delimiter, and whether the output takes a byte order mark."""
    input_format, encoding, delimiter, bom = reading
    problems: list[Diagnostic] = []
    if engine not in ENGINE_NAMES:
        where = Location(f"option --engine `{engine}`")
        problems.append(Diagnostic("audit.engine", "no engine has this name", where, hint_for(engine, ENGINE_NAMES)))
    export: Export | None = None
    try:
        export = open_export(records, input_format, encoding, delimiter)
    except Problems as error:
        problems += error.diagnostics
    chosen: ExportMapping | None = None
    if mapping_path is not None:
        try:
            chosen = load_mapping(Path(mapping_path), policy, export.columns if export is not None else None)
        except Problems as error:
            problems += error.diagnostics
    elif export is not None:
        chosen = default_mapping(policy, export.columns)
        if not chosen.facts:
            problems.append(
                Diagnostic(
                    "records.no-facts",
                    "no column is named like a fact of the policy",
                    Location(export.shown, 1),
                    hint=delimiter_hint(export.columns)
                    or "give `--map` a mapping of the export's columns to facts, or name the columns "
                    + ", ".join(f"`{f.name}`" for f in policy.facts),
                )
            )
    rows_to, report_to = targets
    inputs = [("the export being audited", records)]
    if mapping_path is not None:
        inputs.append(("the mapping", Path(mapping_path)))
    inputs += [(f"the policy file `{f}`", real_path(f)) for f in (*policy.files, policy.source_file) if f]
    outputs = [("--output", "the rows", rows_to), ("--report", "the report", report_to)]
    problems += check_places([(o, w, os.fspath(t)) for o, w, t in outputs if t is not None], inputs)
    if export is not None and rows_to is not None:
        problems += check_target(Path(rows_to), export)
    problems += check_bom(Path(rows_to) if rows_to is not None else None, bom)
    if problems or export is None or chosen is None:
        if export is not None:
            export.close()
        raise Problems(problems)
    return export, bind(chosen, policy, export.columns)


def _part_beside(target: Path, parts: list[Path]) -> Path:
    """A new hidden file beside `target`, with its extension, added to `parts`."""
    part = temporary_beside(target, ".part" + target.suffix)
    parts.append(part)
    return part


def _decided(
    export: Export,
    binding: Binding,
    policy: Policy,
    engine: str,
    target: Path | None,
    progress: Callable[[int, int], None] | None,
    bom: bool,
) -> Summary:
    """Every row decided by the engine, written to `target` when there is one."""
    total = count_rows(export) if progress is not None else 0
    if engine == "duckdb":
        from billability.audit.duckdb_engine import audit_in_duckdb

        def share_done(share: float) -> None:
            if progress is not None:
                progress(int(share * total), total)

        return audit_in_duckdb(export, binding, policy, target, share_done if progress is not None else None, bom)

    def rows_done(done: int) -> None:
        if progress is not None:
            progress(done, total)

    writer = ResultsWriter(target, export, (policy.id, policy.version), bom) if target is not None else None
    try:
        told = rows_done if progress is not None else None
        summary = audit(export, binding, policy, ENGINES[engine](policy), writer, told)
        if writer is not None:
            writer.commit()
    finally:
        if writer is not None:
            writer.discard()
    return summary


def _said_of_targets(
    diagnostics: Iterable[Diagnostic], parts: Sequence[Path], targets: tuple[Path | None, Path | None]
) -> list[Diagnostic]:
    """Diagnostics located at a hidden part file, said of the file it was to become."""
    shown = dict(zip((shown_path(p) for p in parts), (shown_path(t) for t in targets if t is not None), strict=False))
    return [
        replace(d, location=replace(d.location, file=shown[d.location.file]))
        if d.location is not None and d.location.file in shown
        else d
        for d in diagnostics
    ]


def _unwritable(error: OSError, targets: tuple[Path | None, Path | None]) -> Diagnostic:
    """A file error of the run, said of the output it was writing when it was one."""
    path = str(error.filename or "")
    target = next((t for t in targets if t is not None and f".{t.name}." in Path(path).name), None)
    where = Location(shown_path(target if target is not None else path))
    return Diagnostic("file.unwritable", f"cannot write the file: {error.strerror}", where)
