"""Reading messy exports: `--encoding`, `--delimiter`, CRLF lines, long lines, and JSON
Lines whose values arrive as text or as literals. Both engines read them alike, and
what they cannot read is located at the line where it is, with a hint."""

from __future__ import annotations

import codecs
import json
import tempfile
from pathlib import Path

import duckdb
import pytest

from audit_inputs import ENGINES, EXPORT, MAPPING, audit, read_csv
from billability.audit.formats import Format
from billability.audit.reading_errors import located_error
from billability.audit.records import open_export
from billability.model.diagnostics import Problems

# The export with a name that is not ASCII on data line 6 (the file's sixth line).
ACCENTED = EXPORT.replace("S5,Staff 03,", "S5,José Peña,")


def write(path: Path, text: str, encoding: str = "utf-8", newline: str = "\n", bom: bytes = b"") -> Path:
    path.write_bytes(bom + text.replace("\n", newline).encode(encoding))
    return path


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


@pytest.fixture
def spare_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary folder of its own, to see what the audit leaves in it."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def audited(records: Path, mapping: Path, out: Path, *options: str) -> dict[str, bytes]:
    """Each engine's output of the export, by engine; each run exits 0."""
    outputs = {}
    for engine in ENGINES:
        target = out.with_name(f"{engine}-{out.name}")
        status, _, stderr = audit(records, mapping, "-o", target, "--engine", engine, *options)
        assert status == 0, stderr
        outputs[engine] = target.read_bytes()
    return outputs


@pytest.fixture
def tidy_output(tmp_path: Path, mapping: Path) -> bytes:
    """Both engines' output of the accented export, saved as UTF-8 with LF line ends."""
    tidy = write(tmp_path / "tidy.csv", ACCENTED)
    outputs = audited(tidy, mapping, tmp_path / "tidy-out.csv")
    assert outputs["duckdb"] == outputs["python"]
    return outputs["duckdb"]


# --- encodings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom", "newline", "options"),
    [
        ("utf-8", codecs.BOM_UTF8, "\r\n", ()),
        ("utf-8", codecs.BOM_UTF8, "\n", ("--encoding", "utf-8-sig")),
        ("cp1252", b"", "\r\n", ("--encoding", "cp1252")),
        ("latin-1", b"", "\n", ("--encoding", "latin-1")),
        ("utf-16", b"", "\r\n", ("--encoding", "utf-16")),
        ("utf-16-le", b"", "\n", ("--encoding", "utf-16-le")),
        ("utf-16-be", codecs.BOM_UTF16_BE, "\n", ("--encoding", "utf-16")),
    ],
)
def test_an_export_in_any_encoding_comes_out_as_utf8_text(
    tmp_path: Path,
    mapping: Path,
    spare_temp: Path,
    tidy_output: bytes,
    encoding: str,
    bom: bytes,
    newline: str,
    options: tuple[str, ...],
) -> None:
    records = write(tmp_path / "export.csv", ACCENTED, encoding, newline, bom)
    outputs = audited(records, mapping, tmp_path / "out.csv", *options)
    assert outputs["duckdb"] == outputs["python"] == tidy_output
    assert "José Peña".encode() in tidy_output
    assert list(spare_temp.iterdir()) == []  # the UTF-8 copy is removed


@pytest.mark.parametrize("engine", ENGINES)
def test_a_byte_that_is_not_utf8_is_located_at_its_line_with_a_hint_naming_the_encoding(
    tmp_path: Path, mapping: Path, engine: str
) -> None:
    records = write(tmp_path / "export.csv", ACCENTED, "cp1252", "\r\n")
    status, _, stderr = audit(records, mapping, "--engine", engine, "-o", tmp_path / "out.csv")
    assert status == 2
    assert f"{records}:6: error[file.encoding]" in stderr
    assert "`--encoding cp1252`" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv", "mapping.yaml"]


def test_a_byte_that_is_not_utf8_in_the_header_is_located_there(tmp_path: Path) -> None:
    records = write(tmp_path / "export.csv", "service_id,Médico\nS1,x\n", "cp1252")
    with pytest.raises(Problems) as raised:
        open_export(records)
    (problem,) = raised.value.diagnostics
    assert (problem.code, problem.location and problem.location.line) == ("file.encoding", 1)
    assert problem.location.column == 13
    assert "--encoding" in (problem.hint or "")


def test_a_byte_that_is_not_text_in_the_given_encoding_is_located_at_its_line_and_column(
    tmp_path: Path, spare_temp: Path
) -> None:
    # 0x81 is no character in cp1252; the chunks of the copy must not move the place.
    lines = ["id,name"] + [f"{n},Ana" for n in range(1, 200_000)] + ["200000,Jo\x81e"]
    records = tmp_path / "export.csv"
    records.write_bytes("\r\n".join(lines).encode("latin-1"))
    with pytest.raises(Problems) as raised:
        open_export(records, encoding="cp1252")
    (problem,) = raised.value.diagnostics
    assert problem.code == "file.encoding" and "0x81" in problem.message
    assert str(problem.location) == f"{records}:200001:10"
    assert "--encoding" in (problem.hint or "")
    assert list(spare_temp.iterdir()) == []


def test_a_utf16_export_read_as_utf8_is_told_to_give_utf16(tmp_path: Path) -> None:
    records = write(tmp_path / "export.csv", EXPORT, "utf-16")
    for encoding in (None, "cp1252"):
        with pytest.raises(Problems) as raised:
            open_export(records, encoding=encoding)
        (problem,) = raised.value.diagnostics
        assert problem.code == "file.encoding" and "`--encoding utf-16`" in (problem.hint or "")


def test_the_utf8_copy_is_removed_when_the_export_is_closed(tmp_path: Path, spare_temp: Path) -> None:
    records = write(tmp_path / "export.csv", ACCENTED, "cp1252")
    with open_export(records, encoding="cp1252") as export:
        assert export.columns[1] == "staff_name" and export.encoding == "cp1252"
        (copy,) = spare_temp.iterdir()
        assert "José Peña" in copy.read_text(encoding="utf-8")
    assert list(spare_temp.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "suffix", "option", "code"),
    [
        ("cp9999", ".csv", "--encoding", "records.encoding"),
        ("rot13", ".csv", "--encoding", "records.encoding"),
        ("utf-8", ".parquet", "--encoding", "records.encoding"),
        (";;", ".csv", "--delimiter", "records.delimiter"),
        ('"', ".csv", "--delimiter", "records.delimiter"),
        (";", ".jsonl", "--delimiter", "records.delimiter"),
    ],
)
def test_an_option_that_cannot_read_the_export_is_refused(
    tmp_path: Path, mapping: Path, name: str, suffix: str, option: str, code: str
) -> None:
    records = write(tmp_path / f"export{suffix}", EXPORT)
    status, _, stderr = audit(records, mapping, option, name)
    assert status == 2 and f"error[{code}]" in stderr and f"option {option} `{name}`" in stderr


# --- line ends and long lines ---------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_malformed_line_has_the_same_reason_whatever_ends_the_lines(tmp_path: Path, engine: str) -> None:
    said = set()
    for newline in ("\n", "\r\n"):
        records = write(
            tmp_path / "facts.csv", "activity,documented\nbenefits,true\nbenefits,true,extra\n", newline=newline
        )
        status, _, stderr = audit(records, None, "--engine", engine)
        assert status == 2
        said.add(stderr)
    (stderr,) = said
    assert "facts.csv:3: error[records.malformed]: this line has 3 cells; the header has 2" in stderr


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_very_long_line_is_not_shown_whole(tmp_path: Path, newline: str) -> None:
    cell = "x" * 3_000_000
    records = write(tmp_path / "facts.csv", f"activity,documented\nbenefits,true\nbenefits,{cell}\n", newline=newline)
    status, _, stderr = audit(records, None)
    assert status == 2 and "facts.csv:3: error[records.malformed]" in stderr
    assert len(stderr) < 400


def test_a_line_duckdb_gives_no_reason_for_is_shown_shortened() -> None:
    long_line = "advocacy," + "y" * 10_000
    for newline in ("", "\n"):
        text = f"Invalid Input Error: CSV Error on Line: 4\nOriginal Line: {newline}{long_line}\r\nSomething odd\n"
        problem = located_error(duckdb.InvalidInputException(text), "r.csv", Format.CSV)
        assert str(problem.location) == "r.csv:4"
        assert problem.message == f"cannot read this line: `{long_line[:80]}…`"


# --- delimiters -----------------------------------------------------------------------------


@pytest.mark.parametrize(("delimiter", "option"), [(";", ";"), ("\t", "tab"), ("\t", "\\t"), ("|", "|")])
def test_an_export_with_another_delimiter_comes_out_as_the_comma_one(
    tmp_path: Path, mapping: Path, tidy_output: bytes, delimiter: str, option: str
) -> None:
    records = write(tmp_path / "export.csv", ACCENTED.replace(",", delimiter), newline="\r\n")
    outputs = audited(records, mapping, tmp_path / "out.csv", "--delimiter", option)
    assert outputs["duckdb"] == outputs["python"] == tidy_output


@pytest.mark.parametrize(
    ("delimiter", "given", "named"),
    [
        (";", (), "give `--delimiter ';'`"),
        ("\t", (), "give `--delimiter tab`"),
        ("|", ("--delimiter", ";"), "give `--delimiter '|'`"),
        (",", ("--delimiter", "tab"), "leave out `--delimiter`"),
    ],
)
def test_a_header_read_as_one_column_suggests_the_delimiter(
    tmp_path: Path, mapping: Path, delimiter: str, given: tuple[str, ...], named: str
) -> None:
    records = write(tmp_path / "export.csv", EXPORT.replace(",", delimiter))
    status, _, stderr = audit(records, mapping, *given)
    assert status == 2 and "error[mapping.unknown-column]" in stderr
    hints = [line for line in stderr.splitlines() if line.startswith("  hint:")]
    assert hints and all(named in hint for hint in hints)


def test_a_quoted_cell_may_hold_the_delimiter(tmp_path: Path, mapping: Path) -> None:
    records = write(tmp_path / "export.csv", EXPORT.replace(",", ";").replace("Staff 01;", '"Staff; 01";'))
    audited(records, mapping, tmp_path / "out.csv", "--delimiter", ";")
    rows = read_csv(tmp_path / "duckdb-out.csv")
    assert rows[0]["staff_name"] == "Staff; 01" and len(rows) == 11


# --- JSON Lines: a value means the same as text or as a literal -------------------------------

JSONL_MAPPING = """\
policy: clinic
facts:
  activity: {column: activity}
  documented: {column: documented}
  days_since_discharge: {column: days}
  contact_mode:
    column: contact
    codes: {"true": phone, "12": email, "false": ~}
"""
LITERALS = [
    {"activity": "handoff", "documented": True, "days": 12, "contact": True},
    {"activity": "handoff", "documented": False, "days": 31, "contact": 12},
    {"activity": "handoff", "documented": True, "days": 40.0, "contact": False},
    {"activity": "handoff", "documented": None, "days": None, "contact": None},
    {"activity": "provider_call", "documented": True, "days": 3, "contact": True},
    {"activity": "provider_call", "documented": None, "days": None, "contact": 12},
]
# The same values as JSON text; blank and whitespace-only text is unknown, as null is.
TEXTS = [
    {"activity": "handoff", "documented": "true", "days": "12", "contact": "true"},
    {"activity": "handoff", "documented": "false", "days": "31", "contact": "12"},
    {"activity": "handoff", "documented": " true", "days": "40", "contact": "false"},
    {"activity": "handoff", "documented": "", "days": "  ", "contact": ""},
    {"activity": "provider_call", "documented": "true", "days": " 3 ", "contact": "true "},
    {"activity": "provider_call", "documented": "   ", "days": "", "contact": "12"},
]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_json_value_means_the_same_as_text_or_as_a_literal(tmp_path: Path, engine: str) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(JSONL_MAPPING, encoding="utf-8")
    decided = {}
    for name, lines in (("literals", LITERALS), ("mixed", [*LITERALS, *TEXTS])):
        records = tmp_path / f"{name}.jsonl"
        records.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        out = tmp_path / f"{name}-{engine}.jsonl"
        status, _, stderr = audit(records, mapping, "--engine", engine, "-o", out)
        assert status == 0, stderr
        decided[name] = [
            {key: row[key] for key in ("outcome", "rules", "missing", "problems")}
            for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())
        ]
    literals, mixed = decided["literals"], decided["mixed"]
    assert mixed[: len(LITERALS)] == literals
    assert mixed[len(LITERALS) :] == literals
    assert all(row["outcome"] != "invalid" for row in literals)


def test_both_engines_read_mixed_json_values_alike(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(JSONL_MAPPING, encoding="utf-8")
    odd = [{"activity": "handoff", "documented": "maybe", "days": "1.5", "contact": "x"}, {"days": 2.5}]
    records = tmp_path / "mixed.jsonl"
    records.write_text("".join(json.dumps(line) + "\n" for line in [*LITERALS, *TEXTS, *odd]), encoding="utf-8")
    outputs = audited(records, mapping, tmp_path / "out.jsonl")
    assert outputs["duckdb"] == outputs["python"]
    assert b'"documented":"true"' in outputs["duckdb"]  # the cells come out as they came in


@pytest.mark.parametrize("engine", ENGINES)
def test_a_json_line_that_is_not_utf8_is_located_at_its_line(tmp_path: Path, engine: str) -> None:
    lines = [json.dumps({"activity": "benefits", "name": "Ana"})] * 5 + ['{"activity": "benefits", "name": "José"}']
    records = tmp_path / "facts.jsonl"
    records.write_bytes("\n".join([*lines, *lines[:2]]).encode("cp1252") + b"\n")
    status, _, stderr = audit(records, None, "--engine", engine)
    assert status == 2 and f"{records}:6: error[file.encoding]" in stderr and "`--encoding cp1252`" in stderr
    status, stdout, stderr = audit(records, None, "--engine", engine, "--encoding", "cp1252")
    assert status == 0 and "8 rows audited" in stdout, stderr


def test_a_malformed_json_line_is_located_at_its_line(tmp_path: Path) -> None:
    records = tmp_path / "facts.jsonl"
    records.write_text('{"activity": "benefits"}\n{"activity": }\n{"activity": "driving"}\n', encoding="utf-8")
    status, _, stderr = audit(records, None, "-o", tmp_path / "out.csv")
    assert status == 2 and f"{records}:2: error[records.unreadable]" in stderr


def test_a_json_value_of_another_kind_far_down_the_file_reads_as_near_the_top(tmp_path: Path) -> None:
    # DuckDB takes a column's kind from its first lines (some twenty thousand).
    first = {"activity": "handoff", "documented": True, "days": 12, "contact": True}
    lines = [first] * 30_000 + TEXTS
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(JSONL_MAPPING, encoding="utf-8")
    records = tmp_path / "late.jsonl"
    records.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    outputs = audited(records, mapping, tmp_path / "out.jsonl")
    assert outputs["duckdb"] == outputs["python"]
    near_the_top = tmp_path / "top.jsonl"
    near_the_top.write_text("".join(json.dumps(line) + "\n" for line in [*TEXTS, *LITERALS]), encoding="utf-8")
    top = audited(near_the_top, mapping, tmp_path / "top-out.jsonl")["python"]

    def decided(output: bytes) -> list[tuple[str, ...]]:
        rows = [json.loads(line) for line in output.decode().splitlines()]
        return [(row["outcome"], *row["rules"], *row["missing"], *row["problems"]) for row in rows]

    assert decided(outputs["python"])[-len(TEXTS) :] == decided(top)[: len(TEXTS)]
    assert decided(top)[: len(TEXTS)] == decided(top)[len(TEXTS) :]


def test_a_windows_export_with_semicolons_comes_out_as_the_tidy_one(
    tmp_path: Path, mapping: Path, tidy_output: bytes, spare_temp: Path
) -> None:
    records = write(tmp_path / "export.csv", ACCENTED.replace(",", ";"), "cp1252", "\r\n")
    status, _, stderr = audit(records, mapping, "--delimiter", ";")
    assert status == 2 and f"{records}:6: error[file.encoding]" in stderr
    outputs = audited(records, mapping, tmp_path / "out.csv", "--encoding", "cp1252", "--delimiter", ";")
    assert outputs["duckdb"] == outputs["python"] == tidy_output
    assert list(spare_temp.iterdir()) == []
