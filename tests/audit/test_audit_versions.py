"""The audit decides each row by the version of the policy in force on its service date.

The two-version fixture (tests/fixtures/versioned: 1.0 from 2026-01-01, 2.0 from
2026-07-01, under which a counselor's video call to a provider goes from needs review
to billable), and the bundled policy with a second version made in a copy: each row's
outcome and `policy_version` in both engines, which write the same bytes.
"""

from __future__ import annotations

import csv
import datetime
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from billability.audit import audit_file
from billability.audit.report import summary_tables, versions_sentence
from billability.model.diagnostics import Problems
from billability.policy.versions import SUMS, load_versions
from maintainer_changes import CHECKOUT, advocacy_by_email_needs_review

VERSIONED = Path(__file__).resolve().parent.parent / "fixtures" / "versioned" / "policy"
HEADER = ("service_id", "served", "credential", "activity", "mode", "minutes")
SWITCH_CALL = ("counselor", "provider_call", "video")

# service id, service date, the call's cells -> outcome, version, the problem's code
ROWS = [
    ("S1", "12/31/2025", SWITCH_CALL, "invalid", "", "version.before-first"),
    ("S2", "1/1/2026", SWITCH_CALL, "needs_review", "1.0", None),
    ("S3", "6/30/2026", SWITCH_CALL, "needs_review", "1.0", None),
    ("S4", "7/1/2026", SWITCH_CALL, "billable", "2.0", None),
    ("S5", " 7/2/2026 ", SWITCH_CALL, "billable", "2.0", None),
    ("S6", "", SWITCH_CALL, "invalid", "", "record.no-service-date"),
    ("S7", "13/45/2026", SWITCH_CALL, "invalid", "", "record.date"),
    ("S8", "2/30/2026", SWITCH_CALL, "invalid", "", "record.date"),
    ("S9", "2026-08-01", SWITCH_CALL, "invalid", "", "record.date"),
    ("S10", "6/30/2026", ("counselor", "provider_call", "fax"), "invalid", "1.0", "record.unknown-value"),
    ("S11", "8/15/2026", ("counselor", "provider_call", "fax"), "invalid", "2.0", "record.unknown-value"),
    ("S12", "6/30/2026", ("counselor", "provider_call", "video"), "needs_review", "1.0", None),
]
MAPPING = """\
policy: clinic
service_date: {column: served, format: m/d/yyyy}
facts:
  provider_credential: {column: credential}
  activity: {column: activity}
  contact_mode: {column: mode}
summary:
  minutes: minutes
"""


def _export(folder: Path, rows: list[tuple[str, str, tuple[str, ...]]]) -> Path:
    path = folder / "services.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows((service, served, *cells, "30") for service, served, cells in rows)
    return path


@pytest.fixture
def dated(tmp_path: Path) -> tuple[Path, Path]:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return _export(tmp_path, [(s, d, cells) for s, d, cells, *_ in ROWS]), mapping


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_each_row_is_decided_by_the_version_in_force_on_its_date(
    dated: tuple[Path, Path], tmp_path: Path, engine: str
) -> None:
    records, mapping = dated
    out = tmp_path / f"{engine}.jsonl"
    summary = audit_file(records, mapping=mapping, output=out, policy=VERSIONED, engine=engine)
    found = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["outcome"], r["policy_version"]) for r in found] == [(o, v) for *_, o, v, _ in ROWS]
    codes = [next((p["code"] for p in r["problems"]), None) for r in found]
    assert codes == [code for *_, code in ROWS]
    date_problems = [r["problems"][0] for r in found if r["problems"] and r["policy_version"] == ""]
    assert {(p["column"], p["severity"]) for p in date_problems} == {("served", "error")}
    assert [p["value"] for p in date_problems] == ["12/31/2025", "", "13/45/2026", "2/30/2026", "2026-08-01"]
    assert summary.by_version == (("1.0", 4), ("2.0", 3))
    assert summary.invalid_rows == (1, 6, 7, 8, 9, 10, 11)
    # One rule, worded by each version as it decided.
    assert {(r.outcome, r.rule, r.reason, r.rows) for r in summary.rules} == {
        ("needs_review", "provider-call-video", "the table names only the phone", 3),
        ("billable", "provider-call-video", "a video call to a provider counts as a call", 2),
    }
    assert versions_sentence(summary).startswith("Decided by version 1.0 (4 rows) and 2.0 (3 rows)")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_both_engines_write_the_same_bytes(dated: tuple[Path, Path], tmp_path: Path, suffix: str) -> None:
    records, mapping = dated
    written = {}
    for engine in ("duckdb", "python"):
        out = tmp_path / f"{engine}{suffix}"
        report = tmp_path / f"{engine}.html"
        ran = datetime.datetime(2026, 12, 6, tzinfo=datetime.UTC)
        audit_file(records, mapping=mapping, output=out, report=report, policy=VERSIONED, engine=engine, run_at=ran)
        written[engine] = (out.read_bytes(), report.read_text(encoding="utf-8").replace(engine, "ENGINE"))
    assert written["duckdb"] == written["python"]
    assert "Decided by version 1.0 (4 rows) and 2.0 (3 rows)" in written["python"][1]


def test_both_engines_write_the_same_parquet_rows(dated: tuple[Path, Path], tmp_path: Path) -> None:
    records, mapping = dated
    found = {}
    for engine in ("duckdb", "python"):
        out = tmp_path / f"{engine}.parquet"
        audit_file(records, mapping=mapping, output=out, policy=VERSIONED, engine=engine)
        with duckdb.connect() as connection:
            found[engine] = connection.execute("SELECT * FROM read_parquet(?) ORDER BY row", [str(out)]).fetchall()
    assert found["duckdb"] == found["python"]
    assert [row[-1] for row in found["python"]][:4] == ["", "1.0", "1.0", "2.0"]


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_without_an_output_the_engines_count_alike(dated: tuple[Path, Path], engine: str) -> None:
    records, mapping = dated
    summary = audit_file(records, mapping=mapping, policy=VERSIONED, engine=engine)
    assert summary.by_version == (("1.0", 4), ("2.0", 3))
    assert summary.count("invalid") == 7
    assert summary.invalid_rows == (1, 6, 7, 8, 9, 10, 11)


def test_the_terminal_summary_names_the_versions(dated: tuple[Path, Path]) -> None:
    records, mapping = dated
    summary = audit_file(records, mapping=mapping, policy=VERSIONED)
    console = Console(width=200, record=True)
    console.print(summary_tables(summary))
    assert "Decided by version 1.0 (4 rows) and 2.0 (3 rows)" in console.export_text()


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_without_a_service_date_the_current_version_decides(
    dated: tuple[Path, Path], tmp_path: Path, engine: str
) -> None:
    records, _ = dated
    mapping = tmp_path / "undated.yaml"
    mapping.write_text(MAPPING.replace("service_date: {column: served, format: m/d/yyyy}\n", ""), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = audit_file(records, mapping=mapping, output=out, policy=VERSIONED, engine=engine)
    found = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["policy_version"] for r in found} == {"2.0"}
    assert found[2]["outcome"] == "billable"
    assert summary.by_version == ()


def test_a_service_date_column_the_export_lacks_is_located(dated: tuple[Path, Path], tmp_path: Path) -> None:
    records, _ = dated
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING.replace("column: served", "column: servd"), encoding="utf-8")
    with pytest.raises(Problems) as raised:
        audit_file(records, mapping=mapping, policy=VERSIONED)
    [problem] = raised.value.diagnostics
    assert problem.code == "mapping.unknown-column"
    assert (problem.location.line, problem.location.column) == (2, 24)


def test_a_service_date_format_the_audit_does_not_read_is_located(tmp_path: Path, dated: tuple[Path, Path]) -> None:
    records, _ = dated
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING.replace("format: m/d/yyyy", "format: mm/dd/yy"), encoding="utf-8")
    with pytest.raises(Problems) as raised:
        audit_file(records, mapping=mapping, policy=VERSIONED)
    [problem] = raised.value.diagnostics
    assert problem.code.startswith("schema.")
    assert problem.location.line == 2


# --- the bundled policy, with a second version made in a copy --------------------------------

# The columns of the example export that advocacy by email is read from, in the released
# version's names (the example's own mapping follows the current version).
BUNDLED_MAPPING = """\
policy: case-management
service_date: {column: service_date, format: m/d/yyyy}
facts:
  provider_credential: {column: staff_credential, codes: {LCSW: lpha}}
  activity: {column: service_type, codes: {Advocacy: advocacy}}
  contact_mode: {column: contact_method, codes: {Email: email}}
  contact_successful: {column: contact_outcome, codes: {Reached: true}}
summary:
  minutes: minutes
"""
BUNDLED_HEADER = (
    "service_id", "service_date", "client_id", "staff_name", "staff_credential", "program", "procedure",
    "service_type", "contact_method", "contact_outcome", "medical_necessity", "progress_note", "discharge_date",
    "minutes",
)  # fmt: skip
ADVOCACY_BY_EMAIL = ("Staff 01", "LCSW", "Program", "Case Management", "Advocacy", "Email", "Reached", "Y", "Y")


@pytest.fixture
def bundled_versions(tmp_path: Path) -> Path:
    """A copy of the checkout's policy and corpus (with their releases) in which advocating
    for a client by email needs review from a new version on, not before."""
    root = tmp_path / "repository"
    for folder in ("policy", "corpus"):
        # The latest released version as the current one, with every release: the new
        # version follows what staff are billed by, whatever a maintainer edits in between.
        latest = sorted((CHECKOUT / folder / "releases").iterdir())[-1]
        shutil.copytree(latest, root / folder, ignore=shutil.ignore_patterns(SUMS))
        shutil.copytree(CHECKOUT / folder / "releases", root / folder / "releases")
    advocacy_by_email_needs_review(root)
    return root / "policy"


def _written(day: datetime.date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_the_bundled_policy_decides_before_and_after_a_new_version(
    bundled_versions: Path, tmp_path: Path, engine: str
) -> None:
    versions = load_versions(bundled_versions)
    first = datetime.date.fromisoformat(versions.current.effective_from)
    earlier, raised = versions.versions[-2].version, versions.current.version
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        BUNDLED_MAPPING,
        encoding="utf-8",
    )
    # Advocacy by email: the day before the new version, and its first day.
    records = tmp_path / "advocacy.csv"
    with records.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(BUNDLED_HEADER)
        for n, served in enumerate((first - datetime.timedelta(days=1), first), start=1):
            writer.writerow((f"S{n}", _written(served), "C1", *ADVOCACY_BY_EMAIL, "", "30"))
    out = tmp_path / "out.jsonl"
    audit_file(records, mapping=mapping, output=out, policy=bundled_versions, engine=engine)
    found = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["outcome"], r["policy_version"]) for r in found] == [
        ("not_billable", earlier),
        ("needs_review", raised),
    ]
    assert found[1]["rules"] == ["advocacy-by-email"]


def test_a_fact_an_earlier_version_declares_otherwise_is_located(dated: tuple[Path, Path], tmp_path: Path) -> None:
    records, mapping = dated
    policy = tmp_path / "policy"
    shutil.copytree(VERSIONED, policy)
    facts = policy / "facts.yaml"
    facts.write_text(
        facts.read_text(encoding="utf-8").replace(
            "      video:\n        label: Video call\n",
            "      video:\n        label: Video call\n      fax:\n        label: Fax\n",
        ),
        encoding="utf-8",
    )
    with pytest.raises(Problems) as raised:
        audit_file(records, mapping=mapping, policy=policy)
    [problem] = raised.value.diagnostics
    assert problem.code == "mapping.version"
    assert (problem.location.line, problem.location.column) == (6, 3)
    assert "version 1.0" in problem.message
