"""`billability audit` end to end on the clinic fixture policy, with small exports written
to tmp_path: every row comes out, in order, decided as `Policy.evaluate` decides it."""

from __future__ import annotations

import csv
import datetime
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from audit_inputs import CLINIC_POLICY, EXPORT, MAPPING, WARNED_EXPORT, audit, read_csv, run
from billability.policy.compiled import Policy
from policy_texts import CHECKOUT

# The same codes, written out again for the independent check against Policy.evaluate.
CODES: dict[str, tuple[str, dict[str, Any] | None]] = {
    "provider_credential": (
        "staff_credential",
        {"LCSW": "counselor", "SUD Counselor II": "counselor", "Peer Support": "peer"},
    ),
    "activity": (
        "service_type",
        {
            "Benefits": "benefits",
            "Handoff": "handoff",
            "Transport": "driving",
            "Provider call": "provider_call",
            "Other": "other",
        },
    ),
    "contact_mode": (
        "contact_method",
        {"Telephone": "phone", "Voicemail": "voicemail", "Email": "email", "Video": "video", "N/A": None},
    ),
    "documented": ("note", {"Y": True, "N": False}),
    "days_since_discharge": ("days", None),
}

EXPECTED = [
    ("S1", "billable"),
    ("S2", "not_billable"),
    ("S3", "needs_review"),
    ("S4", "undetermined"),
    ("S5", "invalid"),
    ("S6", "invalid"),
    ("S7", "invalid"),
    ("S8", "not_billable"),
    ("S9", "undetermined"),
    ("S10", "billable"),
    ("S11", "billable"),
]
OUTPUT_COLUMNS = ["row", "outcome", "rules", "reasons", "missing", "problems", "policy_id", "policy_version"]


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, Path]:
    records = tmp_path / "export.csv"
    records.write_text(EXPORT, encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return records, mapping


# --- rows in, rows out ----------------------------------------------------------------


def test_every_row_comes_out_in_order_with_its_outcome(export: tuple[Path, Path], tmp_path: Path) -> None:
    records, mapping = export
    status, stdout, stderr = audit(records, mapping, "-o", tmp_path / "out.csv")
    assert status == 0, stderr
    rows = read_csv(tmp_path / "out.csv")
    assert [(r["service_id"], r["outcome"]) for r in rows] == EXPECTED
    assert [r["row"] for r in rows] == [str(n) for n in range(1, len(EXPECTED) + 1)]
    assert {r["policy_id"] for r in rows} == {"clinic"}
    assert {r["policy_version"] for r in rows} == {"1.0"}
    assert "wrote the rows" in stdout


def test_input_columns_come_first_unchanged_and_in_order(export: tuple[Path, Path], tmp_path: Path) -> None:
    records, mapping = export
    audit(records, mapping, "-o", tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as file:
        written = list(csv.reader(file))
    with records.open(encoding="utf-8", newline="") as file:
        given = list(csv.reader(file))
    assert written[0] == given[0] + OUTPUT_COLUMNS
    assert [row[: len(given[0])] for row in written[1:]] == given[1:]


def test_unreadable_cells_make_a_row_invalid_and_name_the_column(export: tuple[Path, Path], tmp_path: Path) -> None:
    records, mapping = export
    audit(records, mapping, "-o", tmp_path / "out.jsonl")
    rows = {r["service_id"]: r for r in map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())}
    (unknown,) = rows["S5"]["problems"]
    assert (unknown["code"], unknown["column"], unknown["value"]) == ("record.unknown-code", "staff_credential", "RN")
    (negative,) = rows["S6"]["problems"]
    assert (negative["code"], negative["column"], negative["value"]) == ("record.out-of-range", "days", "-3")
    assert {p["severity"] for r in ("S5", "S6", "S7") for p in rows[r]["problems"]} == {"error"}
    (maybe,) = rows["S7"]["problems"]
    assert (maybe["code"], maybe["column"]) == ("record.unknown-code", "note")
    assert maybe["hint"]
    assert rows["S5"]["rules"] == [] and rows["S5"]["missing"] == []
    assert rows["S4"]["missing"] == ["documented", "days_since_discharge"]


def test_the_output_is_what_policy_evaluate_decides_row_by_row(
    export: tuple[Path, Path], tmp_path: Path, clinic: Policy
) -> None:
    records, mapping = export
    audit(records, mapping, "-o", tmp_path / "out.jsonl")
    written = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    decided = 0
    for given, row in zip(read_csv(records), written, strict=True):
        facts: dict[str, Any] = {}
        for fact, (column, codes) in CODES.items():
            cell = given[column].strip()
            if not cell:
                continue
            if codes is None:
                facts[fact] = int(cell)
            elif cell in codes:
                facts[fact] = codes[cell]
        if row["outcome"] == "invalid":
            continue
        decision = clinic.evaluate({k: v for k, v in facts.items() if v is not None})
        assert (row["outcome"], row["rules"], row["reasons"], row["missing"]) == (
            str(decision.outcome),
            list(decision.rules),
            list(decision.reasons),
            list(decision.missing),
        ), given["service_id"]
        decided += 1
    assert decided == 8


def _convert(source: Path, target: Path) -> None:
    options = "(FORMAT json)" if target.suffix == ".jsonl" else "(FORMAT parquet)"
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_csv(?, all_varchar = true, header = true)) TO '{target}' {options}", [str(source)]
    )


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_each_format_round_trips(export: tuple[Path, Path], tmp_path: Path, suffix: str) -> None:
    records, mapping = export
    if suffix != ".csv":
        converted = tmp_path / f"export{suffix}"
        _convert(records, converted)
        records = converted
    out = tmp_path / f"out{suffix}"
    status, _, stderr = audit(records, mapping, "-o", out)
    assert status == 0, stderr
    reader = {".csv": "read_csv(?, all_varchar = true)", ".jsonl": "read_json(?)", ".parquet": "read_parquet(?)"}[
        suffix
    ]
    cursor = duckdb.connect().execute(f"SELECT * FROM {reader}", [str(out)])
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    assert names == [*read_csv(export[0])[0].keys(), *OUTPUT_COLUMNS]
    assert [(r["service_id"], r["outcome"]) for r in rows] == EXPECTED
    assert [int(r["row"]) for r in rows] == list(range(1, len(EXPECTED) + 1))
    s4 = rows[3]
    if suffix == ".csv":
        assert s4["missing"] == "documented;days_since_discharge"
    else:
        assert list(s4["missing"]) == ["documented", "days_since_discharge"]
        assert rows[4]["problems"][0]["column"] == "staff_credential"


def test_without_a_mapping_columns_named_like_facts_are_the_facts(tmp_path: Path) -> None:
    records = tmp_path / "facts.csv"
    records.write_text(
        "id,provider_credential,activity,contact_mode\n1,counselor,benefits,\n2,,provider_call,\n3,counselor,provider_call,fax\n",
        encoding="utf-8",
    )
    status, _, stderr = audit(records, None, "-o", tmp_path / "out.csv")
    assert status == 0, stderr
    rows = read_csv(tmp_path / "out.csv")
    assert [r["outcome"] for r in rows] == ["billable", "undetermined", "invalid"]
    assert rows[1]["missing"] == "provider_credential;contact_mode"
    assert "record.unknown-value" in rows[2]["problems"] and "contact_mode" in rows[2]["problems"]


def test_an_export_without_a_single_fact_column_is_refused(tmp_path: Path) -> None:
    records = tmp_path / "other.csv"
    records.write_text("a,b\n1,2\n", encoding="utf-8")
    status, _, stderr = audit(records, None, "-o", tmp_path / "out.csv")
    assert status == 2
    assert "error[records.no-facts]" in stderr and "--map" in stderr
    assert not (tmp_path / "out.csv").exists()


# service id: outcome, and the severity of each problem in column order.
WARNED = {
    "W1": ("billable", ["warning"]),
    "W2": ("not_billable", ["warning"]),
    "W3": ("invalid", ["error"]),
    "W4": ("not_billable", ["warning"]),
    "W5": ("invalid", ["error"]),
    "W6": ("not_billable", ["warning"]),
    "W7": ("invalid", ["error"]),
    "W8": ("undetermined", ["warning"]),
    "W9": ("invalid", ["error", "warning"]),
    "W10": ("billable", ["warning"]),
}


def test_a_cell_that_cannot_change_the_answer_gives_a_warning_not_an_invalid_row(
    tmp_path: Path, clinic: Policy
) -> None:
    records = tmp_path / "export.csv"
    records.write_bytes(WARNED_EXPORT.encode("utf-8"))
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    for engine in ("duckdb", "python"):
        status, stdout, stderr = audit(records, mapping, "-o", tmp_path / f"{engine}.jsonl", "--engine", engine)
        assert status == 0, stderr
        assert "6 rows decided with a warning" in stdout
        written = [json.loads(line) for line in (tmp_path / f"{engine}.jsonl").read_text().splitlines()]
        assert {r["service_id"]: (r["outcome"], [p["severity"] for p in r["problems"]]) for r in written} == WARNED
        by_id = {r["service_id"]: r for r in written}
        # A warned row is decided as if its unreadable cell were blank.
        assert clinic.evaluate({"provider_credential": "counselor", "activity": "benefits"}).rules == tuple(
            by_id["W1"]["rules"]
        )
        assert by_id["W8"]["missing"] == ["provider_credential"]
        (days,) = by_id["W1"]["problems"]
        assert (days["code"], days["column"], days["value"]) == ("record.out-of-range", "days", "-3")
        assert [p["column"] for p in by_id["W9"]["problems"]] == ["contact_method", "note"]
        assert by_id["W3"]["rules"] == [] and by_id["W3"]["missing"] == []
    status, _, stderr = audit(records, mapping, "-o", tmp_path / "out.csv")
    assert status == 0, stderr
    rows = {r["service_id"]: r for r in read_csv(tmp_path / "out.csv")}
    assert rows["W1"]["problems"].startswith("warning[record.out-of-range]: column `days`")
    assert rows["W3"]["problems"].startswith("error[record.out-of-range]: column `days`")


def test_check_and_evaluate_still_refuse_what_an_audit_decides_with_a_warning() -> None:
    status, _, stderr = run(
        "check",
        "--policy",
        CLINIC_POLICY,
        "activity=benefits",
        "provider_credential=counselor",
        "days_since_discharge=-3",
    )
    assert status == 2 and "error[scenario.out-of-range]" in stderr


# --- mistakes: located, exit 2, nothing written ------------------------------------------


def test_mapping_mistakes_are_located_all_at_once_and_nothing_is_written(
    export: tuple[Path, Path], tmp_path: Path
) -> None:
    records, mapping = export
    mapping.write_text(
        MAPPING.replace("  activity:\n", "  activty:\n")
        .replace("Peer Support: peer", "Peer Support: peers")
        .replace("column: note", "column: notes")
        .replace('{"Y": true, "N": false}', '{"Y": yes, "N": false}')
        .replace("  staff: staff_name", "  staff: staff_name\n  room: program"),
        encoding="utf-8",
    )
    out, report = tmp_path / "out.csv", tmp_path / "audit.html"
    status, stdout, stderr = audit(records, mapping, "-o", out, "--report", report)
    assert status == 2
    shown = str(mapping)
    for located in [
        f"{shown}:8:21: error[mapping.unknown-value]",
        f"{shown}:9:3: error[mapping.unknown-fact]",
        f"{shown}:21:13: error[mapping.unknown-column]",
        f"{shown}:22:18: error[mapping.type]",
        f"{shown}:28:3: error[schema.unknown-key]",
    ]:
        assert located in stderr, stderr
    assert "did you mean `activity`?" in stderr
    assert "did you mean `note`?" in stderr
    assert "5 errors" in stderr
    assert not out.exists() and not report.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv", "mapping.yaml"]
    assert stdout == ""


def test_a_mapping_for_another_policy_is_refused(export: tuple[Path, Path]) -> None:
    records, mapping = export
    mapping.write_text(MAPPING.replace("policy: clinic", "policy: case-management"), encoding="utf-8")
    status, _, stderr = audit(records, mapping)
    assert status == 2
    assert f"{mapping}:1:9: error[mapping.policy]" in stderr


def test_a_malformed_line_is_located_and_an_existing_output_is_left_as_it_was(
    export: tuple[Path, Path], tmp_path: Path
) -> None:
    records, mapping = export
    lines = EXPORT.splitlines()
    lines.insert(3, "S2b,Staff 02,LCSW,OP,Benefits,,,,15,extra")
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    out.write_text("last month's results\n", encoding="utf-8")
    status, _, stderr = audit(records, mapping, "-o", out, "--report", tmp_path / "audit.html")
    assert status == 2
    assert f"{records}:4: error[records.malformed]" in stderr
    assert "10 cells; the header has 9" in stderr
    assert out.read_text(encoding="utf-8") == "last month's results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv", "mapping.yaml", "out.csv"]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("export.txt", "a,b\n", "records.format"),
        ("missing.csv", None, "file.unreadable"),
        ("dup.csv", "service_id,service_id\n1,2\n", "records.header"),
        ("broken.jsonl", '{"service_id": "S1"}\n{"service_id": \n', "records.unreadable"),
    ],
)
def test_an_input_that_cannot_be_used_exits_2(tmp_path: Path, name: str, content: str | None, code: str) -> None:
    records = tmp_path / name
    if content is not None:
        records.write_text(content, encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    status, _, stderr = audit(records, mapping, "-o", tmp_path / "out.csv")
    assert status == 2
    assert f"error[{code}]" in stderr
    assert not (tmp_path / "out.csv").exists()
    assert "Traceback" not in stderr


def test_format_overrides_the_extension(export: tuple[Path, Path], tmp_path: Path) -> None:
    records, mapping = export
    renamed = records.rename(tmp_path / "export.txt")
    status, _, stderr = audit(renamed, mapping, "--format", "csv", "-o", tmp_path / "out.csv")
    assert status == 0, stderr
    assert len(read_csv(tmp_path / "out.csv")) == len(EXPECTED)


def test_an_output_column_already_in_the_export_is_refused(tmp_path: Path) -> None:
    records = tmp_path / "facts.csv"
    records.write_text("activity,outcome\nbenefits,paid\n", encoding="utf-8")
    status, _, stderr = audit(records, None, "-o", tmp_path / "out.csv")
    assert status == 2
    assert "error[records.column-taken]" in stderr and "`outcome`" in stderr


# --- exit status ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fail_on", "status"),
    [("not_billable", 1), ("invalid,needs_review", 1), ("billable", 1)],
)
def test_fail_on_outcomes_that_occurred(export: tuple[Path, Path], tmp_path: Path, fail_on: str, status: int) -> None:
    records, mapping = export
    out = tmp_path / "out.csv"
    found, _, stderr = audit(records, mapping, "-o", out, "--fail-on", fail_on)
    assert found == status, stderr
    assert len(read_csv(out)) == len(EXPECTED)


def test_fail_on_an_outcome_that_did_not_occur_exits_0(tmp_path: Path) -> None:
    records = tmp_path / "facts.csv"
    records.write_text("provider_credential,activity\ncounselor,benefits\n", encoding="utf-8")
    status, _, _ = audit(records, None, "--fail-on", "not_billable,invalid")
    assert status == 0


def test_fail_on_an_unknown_outcome_exits_2(export: tuple[Path, Path]) -> None:
    records, mapping = export
    status, _, stderr = audit(records, mapping, "--fail-on", "not-billable")
    assert status == 2
    assert "error[cli.fail-on]" in stderr and "did you mean `not_billable`?" in stderr


# --- summary and report -----------------------------------------------------------------


def test_the_summary_counts_rows_and_minutes_by_outcome(export: tuple[Path, Path]) -> None:
    records, mapping = export
    status, stdout, _ = audit(records, mapping)
    assert status == 0
    assert "11 rows audited under clinic 1.0" in stdout
    lines = {line.split()[1]: line.split() for line in stdout.splitlines() if line.startswith("│ ")}
    assert lines["billable"][3:8:2] == ["3", "27.3%", "100"]
    assert lines["invalid"][3:8:2] == ["3", "27.3%", "25"]
    assert "not-a-counselor" in stdout and "driving" in stdout
    assert "first invalid rows: 5, 6, 7" in stdout
    assert "1 row without minutes" in stdout
    assert "minutes that cannot be read in `minutes`: 1 row, such as `abc`" in stdout


def test_rows_out_of_scope_and_unreadable_minutes_are_counted_apart(export: tuple[Path, Path], tmp_path: Path) -> None:
    records, mapping = export
    mapping.write_text(MAPPING + "scope: {column: program, codes: [op]}\n", encoding="utf-8")
    report = tmp_path / "audit.html"
    status, stdout, stderr = audit(records, mapping, "-o", tmp_path / "out.csv", "--report", report)
    assert status == 0, stderr
    assert "11 rows, 7 audited under clinic 1.0" in stdout
    lines = {line.split()[1]: line.split() for line in stdout.splitlines() if line.startswith("│ ")}
    assert lines["not_audited"][3:8:2] == ["4", "36.4%", "100"]
    assert "4 rows out of the mapping's scope (`program`): not audited, never decided" in stdout
    assert [row["outcome"] for row in read_csv(tmp_path / "out.csv")][2:4] == ["not_audited"] * 2
    page = report.read_text(encoding="utf-8")
    assert "Minutes that cannot be read in <code>minutes</code>: 1 row, such as <code>abc</code>" in page
    assert "4 rows out of the mapping&#x27;s scope (<code>program</code>)" in page


def test_the_report_is_one_file_with_every_count_and_no_network(export: tuple[Path, Path], tmp_path: Path) -> None:
    records, mapping = export
    report = tmp_path / "audit.html"
    status, _, _ = audit(records, mapping, "--report", report)
    assert status == 0
    html = report.read_text(encoding="utf-8")
    assert "http" not in html and "<script" not in html and "<link" not in html
    for label, count in [
        ("Billable", 3),
        ("Not billable", 2),
        ("Needs review", 1),
        ("Undetermined", 2),
        ("Invalid", 3),
    ]:
        assert f'<td>{label}</td><td class="n">{count}</td>' in html
    assert html.count("<svg") == 4  # by outcome, by rule, by staff, by program
    headings = [line[:3] for line in html.splitlines() if line.startswith(("<h1", "<h2", "<h3"))]
    assert headings[0] == "<h1" and set(headings[1:]) == {"<h2"}
    assert html.count('<th scope="col"') >= 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.html", "export.csv", "mapping.yaml"]


def _provenance(html: str) -> dict[str, str]:
    """The report's list of what was audited, term by term, as text."""
    items = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html)
    return {term: re.sub(r"<[^>]+>", "", text) for term, text in items}


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_the_report_says_when_what_and_under_which_policy_it_audited(
    export: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    import hashlib
    from datetime import UTC, datetime

    records, mapping = export
    # Run from a folder beside the export's, as an analyst names `../export.csv`.
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    before = datetime.now(UTC).replace(microsecond=0)
    status, _, stderr = audit(Path("../export.csv"), Path("../mapping.yaml"), "--engine", engine, "--report", "a.html")
    after = datetime.now(UTC)
    assert status == 0, stderr
    html = (tmp_path / "work" / "a.html").read_text(encoding="utf-8")
    assert "<title>Audit of export.csv</title>" in html and "<h1>Audit of export.csv</h1>" in html
    assert "../" not in html
    shown = _provenance(html)
    run_at = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) \(UTC\)", shown["Run at"])
    assert run_at is not None, shown["Run at"]
    assert before <= datetime.fromisoformat(run_at.group(1)) <= after
    records_sha = hashlib.sha256(records.read_bytes()).hexdigest()
    mapping_sha = hashlib.sha256(mapping.read_bytes()).hexdigest()
    assert shown["Records"] == f"export.csv, 11 rowsSHA-256 {records_sha}"
    assert shown["Mapping"] == f"mapping.yamlSHA-256 {mapping_sha}"
    assert shown["Engine"] == engine
    assert shown["Policy"] == "clinic, version 1.0, in effect from 2026-01-01"


def test_the_report_of_an_export_without_a_mapping_says_so(tmp_path: Path) -> None:
    records = tmp_path / "facts.csv"
    records.write_text("activity,provider_credential\nbenefits,counselor\n", encoding="utf-8")
    status, _, stderr = audit(records, None, "--report", tmp_path / "a.html")
    assert status == 0, stderr
    shown = _provenance((tmp_path / "a.html").read_text(encoding="utf-8"))
    assert shown["Mapping"] == "none: the columns named like the facts hold them"
    assert shown["Records"].startswith("facts.csv, 1 rowSHA-256 ")


def test_the_report_shows_problems_by_their_message_and_labels_under_a_fitting_header(
    export: tuple[Path, Path], tmp_path: Path
) -> None:
    records, mapping = export
    status, _, _ = audit(records, mapping, "--report", tmp_path / "a.html")
    assert status == 0
    html = (tmp_path / "a.html").read_text(encoding="utf-8")
    # The message of the problem, its words of the export as code, and the code small beside.
    assert (
        "<td><code>RN</code> is not a code the mapping gives for <code>provider_credential</code> "
        '<small class="code">record.unknown-code</small></td>'
    ) in html
    assert "<td>record.unknown-code</td>" not in html
    assert '<th scope="col">Question</th>' not in html
    assert '<th scope="col">Fact</th><th scope="col">Name in the mapping</th>' in html
    # No heading is repeated as a caption: each table is named by its section's heading.
    assert "<caption>" not in html
    named = re.findall(r'<table aria-labelledby="([^"]+)">', html)
    assert len(named) == html.count("<table") == 6
    for section in named:
        assert re.search(rf'<h2 id="{section}">', html), section


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_bom_starts_a_csv_output_with_one_byte_order_mark_for_excel(tmp_path: Path, engine: str) -> None:
    # An export as an EHR writes it: its own byte order mark, CRLF, accents, padded codes.
    records = tmp_path / "export.csv"
    records.write_bytes(
        "\ufeffclient,activity,provider_credential\r\nJosé Núñez,benefits, counselor \r\nZoë Brontë,driving,\r\n".encode()
    )
    plain, marked = tmp_path / "plain.csv", tmp_path / "marked.csv"
    assert audit(records, None, "--engine", engine, "-o", plain)[0] == 0
    status, _, stderr = audit(records, None, "--engine", engine, "-o", marked, "--bom")
    assert status == 0, stderr
    written = marked.read_bytes()
    assert written.startswith(b"\xef\xbb\xbfclient,") and not written[3:].startswith(b"\xef\xbb\xbf")
    assert written[3:] == plain.read_bytes() and not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    with marked.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["client"] for row in rows] == ["José Núñez", "Zoë Brontë"]
    assert [row["outcome"] for row in rows] == ["billable", "not_billable"]


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("out.jsonl", "a byte order mark is for CSV output, and `out.jsonl` is JSON Lines"),
        ("out.parquet", "a byte order mark is for CSV output, and `out.parquet` is Parquet"),
        (None, "there is no output file to start with a byte order mark"),
    ],
)
def test_bom_is_refused_for_other_formats_and_without_an_output(
    export: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str | None, message: str
) -> None:
    records, mapping = export
    monkeypatch.chdir(tmp_path)
    chosen = ["-o", output] if output is not None else []
    status, stdout, stderr = audit(records, mapping, *chosen, "--bom", "--report", "a.html")
    assert status == 2
    assert f"option --bom: error[cli.bom]: {message}" in stderr
    assert stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv", "mapping.yaml"]


# --- the example export and mapping, against the checkout's policy -------------------------


def test_the_example_export_audits_under_the_bundled_policy(tmp_path: Path, policy: Policy) -> None:
    import yaml

    records = CHECKOUT / "docs" / "audit" / "ehr-export.csv"
    mapping = CHECKOUT / "docs" / "audit" / "mapping.yaml"
    out, report = tmp_path / "audited.jsonl", tmp_path / "audit.html"
    status, _, stderr = run(
        "audit", records, "--map", mapping, "-o", out, "--report", report, "--policy", CHECKOUT / "policy"
    )
    assert status == 0, stderr
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    given = read_csv(records)
    assert len(written) == len(given) >= 150
    written_mapping = yaml.safe_load(mapping.read_text(encoding="utf-8"))
    spec, scope = written_mapping["facts"], written_mapping["scope"]
    outcomes = set()
    for cells, row in zip(given, written, strict=True):
        outcomes.add(row["outcome"])
        if cells[scope["column"]].strip().lower() not in {code.lower() for code in scope["codes"]}:
            assert (row["outcome"], row["rules"], row["problems"]) == ("not_audited", [], []), cells
            continue
        facts: dict[str, Any] = {}
        unreadable, unreadable_cells = set(), set()
        for fact, where in spec.items():
            if "from_dates" in where:
                assert where["format"] == "m/d/yyyy"
                dated: dict[str, datetime.date | None] = {}
                for role in ("service", "discharge"):
                    column = where["from_dates"][role]
                    text = cells[column].strip()
                    try:
                        dated[role] = datetime.datetime.strptime(text, "%m/%d/%Y").date() if text else None
                    except ValueError:
                        unreadable.add(fact)
                        unreadable_cells.add(column)
                if fact in unreadable:
                    continue
                served, discharged = dated["service"], dated["discharge"]
                if discharged is None:
                    if fact == "after_discharge":
                        facts[fact] = False
                elif served is not None:
                    days = (served - discharged).days
                    if fact == "after_discharge":
                        facts[fact] = days >= 0
                    elif days >= 0:
                        facts[fact] = days
                continue
            cell = cells[where["column"]].strip().lower()
            if not cell:
                continue
            codes = {str(k).lower(): v for k, v in where.get("codes", {}).items()} if "codes" in where else None
            if codes is None:
                if cell.lstrip("-").isdigit() and int(cell) >= 0:
                    facts[fact] = int(cell)
                else:
                    unreadable.add(fact)
                    unreadable_cells.add(where["column"])
            elif cell in codes:
                if codes[cell] is not None:
                    facts[fact] = codes[cell]
            else:
                unreadable.add(fact)
                unreadable_cells.add(where["column"])
        # Decided as if the unreadable cells were blank; invalid when the answer waits for one.
        decision = policy.evaluate(facts)
        if unreadable & set(decision.missing):
            assert row["outcome"] == "invalid" and row["problems"], cells
            continue
        assert (row["outcome"], row["rules"], row["missing"]) == (
            str(decision.outcome),
            list(decision.rules),
            list(decision.missing),
        ), cells["service_id"]
        assert [p["severity"] for p in row["problems"]] == ["warning"] * len(unreadable_cells)
    assert outcomes == {"billable", "not_billable", "needs_review", "undetermined", "invalid", "not_audited"}
    assert "http" not in report.read_text(encoding="utf-8")


def test_both_engines_are_offered_and_duckdb_is_the_default() -> None:
    status, stdout, _ = run("audit", "--help")
    assert status == 0
    assert "--engine [duckdb|python]" in stdout and "[default: duckdb]" in stdout
    status, _, stderr = run("audit", "x.csv", "--engine", "spark")
    assert status == 2 and "Invalid value for '--engine'" in stderr


def test_cells_with_commas_quotes_and_line_breaks_come_out_as_they_went_in(tmp_path: Path) -> None:
    records = tmp_path / "facts.csv"
    given = [
        ["note", "activity", "provider_credential"],
        ['said "hi", left', "benefits", "counselor"],
        ["two\nlines", "driving", ""],
        [" spaced ", "", "peer"],
        ["", "other", "counselor"],
    ]
    with records.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows(given)
    status, _, stderr = audit(records, None, "-o", tmp_path / "out.csv")
    assert status == 0, stderr
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as file:
        written = list(csv.reader(file))
    assert [row[:3] for row in written] == given
    assert [row[3] for row in written[1:]] == ["1", "2", "3", "4"]


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_the_report_text_contrasts_at_least_4_5_to_1_with_its_backgrounds() -> None:
    import re

    from billability.audit.report import CSS

    texts = set(re.findall(r"(?:^|[;{ ])(?:color|fill): (#[0-9a-f]{6})", CSS))
    backgrounds = set(re.findall(r"background: (#[0-9a-f]{6})", CSS))
    assert texts and "#ffffff" in backgrounds
    for text in texts:
        for background in backgrounds:
            lighter, darker = sorted((_luminance(text), _luminance(background)), reverse=True)
            assert (lighter + 0.05) / (darker + 0.05) >= 4.5, (text, background)


def test_a_problem_feeding_two_facts_is_an_error_when_either_bears_on_the_answer() -> None:
    from billability.audit.binding import RowProblem
    from billability.audit.python_audit import with_problems
    from billability.audit.results import RowResult

    problem = RowProblem(
        "record.date", "ServiceDate", "soon", "not a date", facts=("days_since_discharge", "documented")
    )
    for missing in (("documented",), ("days_since_discharge",), ("documented", "provider_credential")):
        found = with_problems(RowResult("undetermined", missing=missing), (problem,))
        assert (found.outcome, [p.severity for p in found.problems]) == ("invalid", ["error"]), missing
    kept = with_problems(RowResult("undetermined", missing=("provider_credential",)), (problem,))
    assert (kept.outcome, kept.missing, [p.severity for p in kept.problems]) == (
        "undetermined",
        ("provider_credential",),
        ["warning"],
    )
    unnamed = with_problems(RowResult("billable"), (RowProblem("policy.range", "days", "99", "too many"),))
    assert unnamed.outcome == "invalid"
