"""Blank cells and whitespace in `billability audit`, on each engine (`--engine duckdb`
and `--engine python`): a cell that is empty or holds only whitespace (any character
Python's `str.strip()` strips: spaces, tabs, line ends, a no-break space, the Unicode
spaces) is an unknown fact, and whitespace around a code, a value's name, a number or
a date does not count.

Each export is made of base rows and their variants: a base row's cell wrapped in
whitespace must be decided as the base row is (the same outcome, rules, reasons,
missing facts and problems), and a cell holding only whitespace as the base row with
that cell empty. The empty cell itself is unknown: never a problem. Exports are CSV
(plain, with a byte order mark and CRLF line ends, and in cp1252) and JSON Lines,
under a mapping of codes, a mapping of dates and scope, and without a mapping.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from audit_inputs import CLINIC_POLICY, ENGINES, MAPPING
from billability.cli import main

DECISION = ("outcome", "rules", "reasons", "missing", "problems")

# Every character Python's str.strip() strips.
WHITESPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())

# Export 1: the clinic's codes, a yes/no code and a whole number (`days`), by the mapping.
CODED_HEADER = ("service_id", "staff_name", "staff_credential", "program", "service_type", "contact_method")
CODED_HEADER += ("note", "days", "minutes")
CODED_BASES = (
    ("B1", "Staff 01", "LCSW", "OP", "Benefits", "", "", "", "30"),
    ("B2", "Staff 02", "Peer Support", "OP", "Provider call", "Telephone", "", "", "15"),
    ("B3", "Staff 01", "SUD Counselor II", "IOP", "Handoff", "N/A", "Y", "12", "10"),
    ("B4", "Staff 03", "SUD Counselor II", "IOP", "Handoff", "", "", "", "20"),
    ("B5", "Staff 01", "Psychic", "OP", "Benefits", "Voicemail", "Y", "", "25"),
    ("B6", "Staff 01", "LCSW", "OP", "Handoff", "", "maybe", "-3", "25"),
)
CODED_CELLS = ("staff_credential", "service_type", "contact_method", "note", "days")

# Export 2: dates a fact is derived from, and the scope, by the mapping.
DATED_MAPPING = """\
policy: clinic
facts:
  provider_credential: {column: Credential, codes: {LCSW: counselor, Peer Support: peer}}
  activity: {column: ServiceType, codes: {Benefits: benefits, Handoff: handoff, Transport: driving}}
  days_since_discharge:
    from_dates: {service: ServiceDate, discharge: DischargeDate}
    format: m/d/yyyy
scope:
  column: Procedure
  codes: [Case Management]
"""
DATED_HEADER = ("ServiceID", "Procedure", "Credential", "ServiceType", "ServiceDate", "DischargeDate")
DATED_BASES = (
    ("D1", "Case Management", "LCSW", "Handoff", "10/8/2026", "10/1/2026"),
    ("D2", "Case Management", "Peer Support", "Handoff", "10/8/2026", "8/1/2026"),
    ("D3", "Case Management", "LCSW", "Benefits", "10/8/2026", ""),
    ("D4", "Group Counseling", "LCSW", "Handoff", "10/8/2026", "10/1/2026"),
    ("D5", "Case Management", "LCSW", "Handoff", "2/30/2026", "10/1/2026"),
)
DATED_CELLS = ("Procedure", "Credential", "ServiceType", "ServiceDate", "DischargeDate")

# Export 3: no mapping; the columns are named like the facts and hold values' names.
NAMED_HEADER = ("id", "provider_credential", "activity", "contact_mode", "documented", "days_since_discharge")
NAMED_BASES = (
    ("N1", "counselor", "benefits", "", "", ""),
    ("N2", "peer", "provider_call", "phone", "", ""),
    ("N3", "counselor", "handoff", "", "true", "12"),
    ("N4", "counselor", "handoff", "", "false", "31"),
    ("N5", "wizard", "handoff", "", "maybe", "x"),
)
NAMED_CELLS = NAMED_HEADER[1:]

EXPORTS = {
    "coded": (CODED_HEADER, CODED_BASES, CODED_CELLS, MAPPING),
    "dated": (DATED_HEADER, DATED_BASES, DATED_CELLS, DATED_MAPPING),
    "named": (NAMED_HEADER, NAMED_BASES, NAMED_CELLS, None),
}


def variants(
    header: tuple[str, ...], bases: tuple[tuple[str, ...], ...], cells: tuple[str, ...], spaces: str
) -> Iterator[tuple[tuple[str, ...], str, str]]:
    """Every base row (`expect` its own id), then for each cell and whitespace character
    the row with the cell wrapped in it (decided as the base row) and the cell holding only
    whitespace (decided as the base row with the cell empty, `expect` the emptied row's id)."""
    for base in bases:
        yield base, base[0], base[0]
        for cell in cells:
            at = header.index(cell)
            emptied = (*base[:at], "", *base[at + 1 :])
            emptied_id = f"{base[0]}-{cell}-empty"
            yield (emptied_id, *emptied[1:]), emptied_id, emptied_id
            for n, space in enumerate(spaces):
                if base[at]:
                    wraps = (f"{space}{base[at]}{space}", f"{space}{base[at]}", f"{base[at]} {space}")
                    for k, wrapped in enumerate(wraps):
                        row_id = f"{base[0]}-{cell}-{n}-wrapped{k}"
                        yield (row_id, *base[1:at], wrapped, *base[at + 1 :]), row_id, base[0]
                for k, blank in enumerate((space, f" {space}{space}\t")):
                    row_id = f"{base[0]}-{cell}-{n}-blank{k}"
                    yield (row_id, *base[1:at], blank, *base[at + 1 :]), row_id, emptied_id


def csv_cell(text: str) -> str:
    """A cell of a CSV line, quoted when it holds a comma, a quote or a line end (a
    carriage return alone too, which Python's csv writer leaves bare under `\\n` ends)."""
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text


def write(path: Path, header: tuple[str, ...], rows: list[tuple[str, ...]], kind: str) -> list[str]:
    """The rows written as `kind` (csv, csv-bom-crlf, csv-cp1252 or jsonl): the options to
    read them."""
    if kind == "jsonl":
        lines = (json.dumps(dict(zip(header, row, strict=True))) + "\n" for row in rows)
        path.write_text("".join(lines), encoding="utf-8")
        return []
    encoding = "cp1252" if kind == "csv-cp1252" else "utf-8"
    end = "\r\n" if kind == "csv-bom-crlf" else "\n"
    text = "\ufeff" if kind == "csv-bom-crlf" else ""
    text += "".join(",".join(map(csv_cell, line)) + end for line in (header, *rows))
    path.write_text(text, encoding=encoding, newline="")
    return ["--encoding", "cp1252"] if kind == "csv-cp1252" else []


def audited(tmp_path: Path, export: str, kind: str, engine: str) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """The export audited by `engine`: each row's decision by its id, and which row each
    row must be decided as."""
    header, bases, cells, mapping = EXPORTS[export]
    spaces = WHITESPACE
    if kind == "csv-cp1252":
        spaces = "".join(c for c in WHITESPACE if c.encode("cp1252", errors="ignore"))
    made = list(variants(header, bases, cells, spaces))
    records = tmp_path / ("export.jsonl" if kind == "jsonl" else "export.csv")
    options = write(records, header, [row for row, _, _ in made], kind)
    if mapping is not None:
        (tmp_path / "mapping.yaml").write_text(mapping, encoding="utf-8")
        options += ["--map", str(tmp_path / "mapping.yaml")]
    out = tmp_path / "audited.jsonl"
    arguments = ["audit", str(records), *options, "-o", str(out), "--engine", engine, "--policy", CLINIC_POLICY]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n")[:-1]]
    assert len(written) == len(made)
    id_column = header[0]
    decisions = {}
    for line in written:
        decisions[line[id_column]] = {name: json.dumps(line[name]) for name in DECISION}
    return decisions, {row_id: expect for _, row_id, expect in made}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", ["csv", "csv-bom-crlf", "csv-cp1252", "jsonl"])
@pytest.mark.parametrize("export", list(EXPORTS))
def test_whitespace_does_not_count_and_a_blank_cell_is_unknown(
    tmp_path: Path, export: str, kind: str, engine: str
) -> None:
    decisions, expected = audited(tmp_path, export, kind, engine)
    differing = [
        (row_id, decisions[row_id], expect, decisions[expect])
        for row_id, expect in expected.items()
        if decisions[row_id] != decisions[expect]
    ]
    assert differing == [], f"{len(differing)} rows decided otherwise than their base, e.g. {differing[:3]}"
    # An emptied cell is an unknown fact: no problem names its column.
    for row_id, decision in decisions.items():
        if row_id.endswith("-empty"):
            column = row_id.split("-")[1]
            assert f"`{column}`" not in decision["problems"], (row_id, decision)
    # The bases are decided as their facts say: some decided, some unknown, some invalid.
    outcomes = {json.loads(decisions[base[0]]["outcome"]) for base in EXPORTS[export][1]}
    assert len(outcomes) >= 3 and "invalid" in outcomes, outcomes
