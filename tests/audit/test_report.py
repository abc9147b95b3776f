"""The audit report (report.py, its charts in charts.py) and what it names of the audit's
inputs (provenance.py), on summaries and files made here: the same inputs give the same
page, chart labels are whole, and the time and the files' digests are what they should be."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from billability.audit import provenance as provenance_module
from billability.audit.charts import LABEL_PIXELS, guessed_width, label_lines
from billability.audit.outcomes import OUTCOMES
from billability.audit.provenance import Provenance, record_provenance, sha256_of, utc_timestamp
from billability.audit.report import report_html
from billability.audit.summary import GroupTally, RuleTally, Summary, Tally

LONG_RULE = "arm-handoff-not-medically-necessary"
LONG_GROUP = "Outpatient Services North County Adolescent Program"


def summary_with(rule: str = LONG_RULE, group: str = LONG_GROUP) -> Summary:
    return Summary(
        source="../exports/export.csv",
        policy_id="clinic",
        policy_version="2.1",
        engine="duckdb",
        rows=3,
        by_outcome=tuple((o, Tally(1 if o in {"billable", "not_billable", "invalid"} else 0)) for o in OUTCOMES),
        rules=(RuleTally(rule, "not_billable", "not medically necessary", 1, 0),),
        missing=(),
        invalid_rows=(3,),
        problems=(),
        staff_column="staff",
        by_staff=(
            GroupTally(group, tuple(1 if o in {"billable", "not_billable", "invalid"} else 0 for o in OUTCOMES)),
        ),
        policy_effective_from="2026-07-01",
    )


PROVENANCE = Provenance("2026-12-05T19:53:06Z", "export.csv", "a" * 64, "mapping.yaml", "b" * 64)


def chart_labels(html: str) -> list[str]:
    """The text of each label of the page's charts, its lines joined again."""
    labels = re.findall(r'<text text-anchor="end">(.*?)</text>', html)
    return ["".join(re.findall(r"<tspan [^>]*>(.*?)</tspan>", label)) for label in labels]


def test_the_same_summary_and_provenance_give_the_same_page() -> None:
    assert report_html(summary_with(), PROVENANCE) == report_html(summary_with(), PROVENANCE)
    later = replace(PROVENANCE, run_at="2026-12-06T08:00:00Z")
    first, second = report_html(summary_with(), PROVENANCE), report_html(summary_with(), later)
    differing = [(a, b) for a, b in zip(first.splitlines(), second.splitlines(), strict=True) if a != b]
    assert len(differing) == 1 and "2026-12-06T08:00:00Z" in differing[0][1]


def test_a_report_without_a_run_time_says_it_is_not_recorded() -> None:
    html = report_html(summary_with(), Provenance(None, "export.csv", "a" * 64))
    assert "<dt>Run at</dt><dd>not recorded</dd>" in html
    assert "<time" not in html


def test_the_title_is_the_records_file_name_not_the_path_it_was_given_by() -> None:
    html = report_html(summary_with(), PROVENANCE)
    assert "<title>Audit of export.csv</title>" in html and "<h1>Audit of export.csv</h1>" in html
    assert "../exports" not in html


def test_long_chart_labels_are_wrapped_whole_never_cut() -> None:
    html = report_html(summary_with(), PROVENANCE)
    assert "\u2026" not in html
    assert LONG_RULE in chart_labels(html)
    assert LONG_GROUP.replace(" ", "") in [label.replace(" ", "") for label in chart_labels(html)]


@pytest.mark.parametrize(
    ("label", "lines"),
    [
        ("warm-handoff", ["warm-handoff"]),
        (LONG_RULE, ["arm-handoff-not-medically-", "necessary"]),
        ("x" * 65, ["x" * 25, "x" * 25, "x" * 15]),
        ("Outpatient Services North County", ["Outpatient Services North ", "County"]),
        ("OUTPATIENT SERVICES NORTH COUNTY", ["OUTPATIENT SERVICES ", "NORTH COUNTY"]),
        ("W" * 20, ["W" * 16, "W" * 4]),
    ],
)
def test_label_lines_break_after_a_hyphen_or_space_to_fit_and_keep_every_character(
    label: str, lines: list[str]
) -> None:
    assert label_lines(label) == lines
    assert "".join(lines) == label and all(guessed_width(line) <= LABEL_PIXELS for line in lines)


def test_the_run_time_is_given_in_utc_to_the_second() -> None:
    pacific = timezone(timedelta(hours=-8))
    assert utc_timestamp(datetime(2026, 12, 5, 11, 53, 6, 999_999, tzinfo=pacific)) == "2026-12-05T19:53:06Z"
    assert utc_timestamp(datetime(2026, 12, 5, 19, 53, 6, tzinfo=UTC)) == "2026-12-05T19:53:06Z"


def test_sha256_is_read_a_block_at_a_time_and_matches_the_whole_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = bytes(range(256)) * 41  # not a whole number of blocks
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    blocks: list[int] = []
    whole = hashlib.sha256(content).hexdigest()
    real_sha256 = hashlib.sha256

    class CountingDigest:
        def __init__(self) -> None:
            self.digest = real_sha256()

        def update(self, block: bytes) -> None:
            blocks.append(len(block))
            self.digest.update(block)

        def hexdigest(self) -> str:
            return self.digest.hexdigest()

    monkeypatch.setattr(provenance_module, "BLOCK", 1000)
    monkeypatch.setattr(provenance_module.hashlib, "sha256", CountingDigest)
    assert sha256_of(path) == whole
    assert blocks == [1000] * (len(content) // 1000) + [len(content) % 1000]


def test_the_provenance_names_the_files_and_the_time(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    records, mapping = tmp_path / "in" / "export.csv", tmp_path / "mapping.yaml"
    records.write_text("activity\nbenefits\n", encoding="utf-8")
    mapping.write_text("policy: clinic\n", encoding="utf-8")
    at = datetime(2026, 12, 5, 19, 53, 6, tzinfo=UTC)
    assert record_provenance(records, mapping, at) == Provenance(
        "2026-12-05T19:53:06Z",
        "export.csv",
        hashlib.sha256(b"activity\nbenefits\n").hexdigest(),
        "mapping.yaml",
        hashlib.sha256(b"policy: clinic\n").hexdigest(),
    )
    assert record_provenance(records, None, None).mapping_sha256 is None
