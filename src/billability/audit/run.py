"""Audit an export file as `billability audit` does: check, run an engine, write.

In: the paths of an export, its mapping, the outputs (rows and HTML report) and the
policy (or a compiled `Policy`), the engine's name, and how the export is written.
With a service date in the mapping, every version of a policy folder decides the rows
of its days (`policy.versions.load_versions`); a compiled `Policy` is one version.
Out: `audit_file` does all of it for an export file, as `billability audit` does: checks
the inputs and the output paths, runs an engine (DuckDB's, or one of `ENGINES`) and
writes the rows and the HTML report, each complete or not at all; it gives the audit's
`Summary`, or raises `Problems` with every mistake found.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from billability.audit.binding import Binding, bind
from billability.audit.duckdb_engine import audit_in_duckdb
from billability.audit.engines import ENGINES
from billability.audit.mapping import Mapping as ExportMapping
from billability.audit.mapping import default_mapping, load_mapping, no_facts
from billability.audit.provenance import record_provenance
from billability.audit.python_audit import audit
from billability.audit.records import Export, count_rows, open_export
from billability.audit.report import report_html
from billability.audit.results import ResultsWriter, check_bom, check_places, check_target, temporary_beside
from billability.audit.summary import Summary
from billability.model.diagnostics import Diagnostic, Location, Problems, hint_for
from billability.model.resources import project, real_path, shown_path
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from billability.policy.versions import load_versions

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
    folder = None
    if not isinstance(policy, Policy):
        folder = Path(policy) if policy is not None else project().policy
        policy = load_policy(folder)
    rows_to = Path(output) if output is not None else None
    report_to = Path(report) if report is not None else None
    given = (output, report)
    started = run_at if run_at is not None else datetime.now(UTC)
    reading = (input_format, encoding, delimiter, bom)
    export, binding, versions = _checked(Path(records), mapping, (policy, folder), engine, reading, given)
    parts: list[Path] = []
    try:
        rows_part = _part_beside(rows_to, parts) if rows_to is not None else None
        summary = _decided(export, binding, versions, engine, rows_part, progress, bom)
        if report_to is not None:
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
    given: tuple[Policy, Path | None],
    engine: str,
    reading: tuple[str | None, str | None, str | None, bool],
    targets: tuple[str | os.PathLike[str] | None, str | os.PathLike[str] | None],
) -> tuple[Export, Binding, tuple[Policy, ...]]:
    """The export, its binding to the policy's facts and the versions of the policy that
    decide its rows (oldest first, the current one last: every version of the policy's
    `folder` when the mapping names a service date, else the policy alone), once every
    input and output checks out; else every problem found, raised at once. `reading` is
    the export's format, encoding and delimiter, and whether the output takes a byte
    order mark."""
    policy, folder = given
    versions: tuple[Policy, ...] = (policy,)
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
        columns = export.columns if export is not None else None
        try:
            chosen = load_mapping(Path(mapping_path), policy, columns)
            if chosen.service_date is not None and folder is not None:
                versions = (*load_versions(folder).versions[:-1], policy)
                chosen = load_mapping(Path(mapping_path), policy, columns, versions[:-1])
        except Problems as error:
            problems += error.diagnostics
    elif export is not None:
        chosen = default_mapping(policy, export.columns)
        if not chosen.facts:
            problems.append(no_facts(policy, export.columns, export.shown))
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
    return export, bind(chosen, policy, export.columns, versions), versions


def _part_beside(target: Path, parts: list[Path]) -> Path:
    """A new hidden file beside `target`, with its extension, added to `parts`."""
    part = temporary_beside(target, ".part" + target.suffix)
    parts.append(part)
    return part


def _decided(
    export: Export,
    binding: Binding,
    versions: tuple[Policy, ...],
    engine: str,
    target: Path | None,
    progress: Callable[[int, int], None] | None,
    bom: bool,
) -> Summary:
    """Every row decided by the engine, written to `target` when there is one; by the
    version its service date picks when the binding reads one (`versions`, oldest
    first, the current one last)."""
    policy = versions[-1]
    total = count_rows(export) if progress is not None else 0
    if engine == "duckdb":

        def share_done(share: float) -> None:
            if progress is not None:
                progress(int(share * total), total)

        shares = share_done if progress is not None else None
        return audit_in_duckdb(export, binding, versions, target, shares, bom)

    def rows_done(done: int) -> None:
        if progress is not None:
            progress(done, total)

    writer = ResultsWriter(target, export, (policy.id, policy.version), bom) if target is not None else None
    try:
        told = rows_done if progress is not None else None
        engines = [ENGINES[engine](version) for version in versions]
        summary = audit(export, binding, policy, engines, writer, told)
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
