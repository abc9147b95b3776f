"""Measure a policy change's impact on an export as `billability diff --records` does:
read both sides, check the inputs, decide every row twice, write the report.

In: BASE and HEAD as `billability diff` names them, the export, its mapping and how the
export is written, the engine's name, and maybe the HTML report's path.
Out: `impact_of_change` gives the `Impact` (`impact.measure_impact`), or raises
`Problems` with every mistake found before anything runs; the report is written whole
(a hidden file beside its place, then moved there) or not at all, never over an input.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from billability.audit.binding import bind
from billability.audit.impact import FileNamed, Impact, measure_impact
from billability.audit.impact_pairs import Decider, decide_pairs, shown_columns
from billability.audit.impact_report import impact_html
from billability.audit.mapping import Mapping as ExportMapping
from billability.audit.mapping import default_mapping, load_mapping, no_facts
from billability.audit.provenance import sha256_of
from billability.audit.records import Export, open_export
from billability.audit.results import check_places, temporary_beside
from billability.audit.run import DUCKDB_INTERRUPTED, ENGINE_NAMES
from billability.history.revisions import Side, read_sides
from billability.model.diagnostics import Diagnostic, Location, Problems, hint_for
from billability.model.resources import real_path, shown_path
from billability.policy.compiled import Policy


def impact_of_change(
    base: str,
    head: str | None,
    records: str | os.PathLike[str],
    *,
    mapping: str | os.PathLike[str] | None = None,
    folder: str | None = None,
    engine: str = "duckdb",
    input_format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    report: str | os.PathLike[str] | None = None,
) -> Impact:
    """The impact of the change from BASE to HEAD (None: the working tree) on the rows of
    `records` (see the module docstring). Every input is checked before anything runs,
    and every problem raised at once as `Problems`; the report is written under a
    hidden name beside its place and moved there once complete, never over an input.
    A signal stopping DuckDB's query comes out as `KeyboardInterrupt`."""
    from_side, to_side = read_sides(base, head, folder)
    reading = (input_format, encoding, delimiter)
    export, deciders, chosen = _checked(Path(records), mapping, (from_side, to_side), engine, reading, report)
    try:
        columns = shown_columns(export, chosen.columns)
        try:
            pairs = decide_pairs(export, deciders, engine, columns)
        except RuntimeError as error:
            if str(error) == DUCKDB_INTERRUPTED:
                raise KeyboardInterrupt from None
            raise
        named = FileNamed(shown_path(Path(mapping)), sha256_of(Path(mapping))) if mapping is not None else None
        inputs = (FileNamed(shown_path(Path(records)), sha256_of(Path(records))), named)
        impact = measure_impact(pairs, (from_side, to_side), inputs, engine, columns, chosen.minutes)
    finally:
        export.close()
    if report is not None:
        _write_report(Path(report), impact)
    return impact


def _checked(
    records: Path,
    mapping_path: str | os.PathLike[str] | None,
    sides: tuple[Side, Side],
    engine: str,
    reading: tuple[str | None, str | None, str | None],
    report: str | os.PathLike[str] | None,
) -> tuple[Export, tuple[Decider, Decider], ExportMapping]:
    """The export and each side's binding to it, once every input checks out; else
    every problem found, raised at once. `reading` is the export's format, encoding and
    delimiter. A mapping that does not fit one side says so under that side's name."""
    problems: list[Diagnostic] = []
    if engine not in ENGINE_NAMES:
        where = Location(f"option --engine `{engine}`")
        problems.append(Diagnostic("audit.engine", "no engine has this name", where, hint_for(engine, ENGINE_NAMES)))
    export: Export | None = None
    try:
        export = open_export(records, *reading)
    except Problems as error:
        problems += error.diagnostics
    mappings: list[ExportMapping] = []
    found: list[list[Diagnostic]] = []
    for side in sides:
        try:
            mappings.append(_mapping_for(side.policy, mapping_path, export))
            found.append([])
        except Problems as error:
            found.append(list(error.diagnostics))
    problems += _said_of_sides(found, sides)
    if report is not None:
        inputs = [("the export", records)]
        if mapping_path is not None:
            inputs.append(("the mapping", Path(mapping_path)))
        for side in sides:
            files = (*side.policy.files, side.policy.source_file)
            inputs += [(f"the policy file `{f}`", real_path(f)) for f in files if f]
        problems += check_places([("--report", "the report", os.fspath(report))], inputs)
    if problems or export is None or len(mappings) < len(sides):
        if export is not None:
            export.close()
        raise Problems(problems)
    deciders = tuple(
        (bind(m, side.policy, export.columns), side.policy) for m, side in zip(mappings, sides, strict=True)
    )
    return export, (deciders[0], deciders[1]), mappings[1]


def _mapping_for(policy: Policy, mapping_path: str | os.PathLike[str] | None, export: Export | None) -> ExportMapping:
    """The mapping read against one side's policy: the file, or the columns named like its facts."""
    if mapping_path is not None:
        return load_mapping(Path(mapping_path), policy, export.columns if export is not None else None)
    if export is None:
        raise Problems([])
    chosen = default_mapping(policy, export.columns)
    if not chosen.facts:
        raise Problems([no_facts(policy, export.columns, export.shown)])
    return chosen


def _said_of_sides(found: list[list[Diagnostic]], sides: tuple[Side, Side]) -> list[Diagnostic]:
    """The mapping's problems with each side's policy, each once: one found under one
    side alone says which, unless it has a hint of its own."""
    said: list[Diagnostic] = []
    for n, diagnostics in enumerate(found):
        other = found[1 - n]
        for d in diagnostics:
            if d in other:
                if n == 0:
                    said.append(d)
                continue
            hint = d.hint or f"so under {sides[n].label}'s policy, not under {sides[1 - n].label}'s"
            said.append(replace(d, hint=hint))
    return said


def _write_report(target: Path, impact: Impact) -> None:
    """The HTML page written beside `target` under a hidden name, then moved into place;
    nothing is left when writing fails or is stopped."""
    part = temporary_beside(target, ".part" + target.suffix)
    try:
        part.write_text(impact_html(impact), encoding="utf-8")
        os.replace(part, target)
    except OSError as error:
        where = Location(shown_path(target))
        raise Problems([Diagnostic("file.unwritable", f"cannot write the file: {error.strerror}", where)]) from None
    finally:
        part.unlink(missing_ok=True)
