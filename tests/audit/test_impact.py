"""A policy change's impact on an export (`billability.audit.impact_run.impact_of_change`) is
the difference of two audits, row by row: the audit of the export under BASE's policy and
under HEAD's (`audit_file`), joined by row, give the same rows and minutes by outcome,
the same changes of outcome with the same rows, minutes, deciding rules and first rows,
with both engines, on a plain export and on exports as EHRs write them; and on the
repository's example export under a maintainer's edit of the bundled policy."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from audit_inputs import ENGINES, EXAMPLE, EXPORT, MAPPING, WARNED_EXPORT, read_csv
from billability.audit.impact import Impact
from billability.audit.impact_run import impact_of_change
from billability.audit.run import audit_file
from billability.audit.summary import Summary, UnreadableMinutes, minutes_of_cell
from billability.model.diagnostics import Problems
from maintainer_changes import advocacy_by_email_needs_review
from policy_texts import CHECKOUT, CLINIC, edited_policy

# A video call to a provider goes from needs review to not billable, and a hand-off's
# window shrinks from 14 days to 2.
CLINIC_CHANGE = (
    ("rules/communication.yaml", "    outcome: needs_review\n", "    outcome: not_billable\n"),
    ("rules/connection.yaml", "        more_than: 14\n", "        more_than: 2\n"),
)

# The clinic export as EHRs write it: the plain one; with a byte order mark, CRLF line
# ends, padded codes and cells that cannot be read; in cp1252 with lower-case codes.
MESSY = {
    "plain": (EXPORT, "utf-8", None),
    "bom-crlf-unreadable": (
        WARNED_EXPORT
        + "W11,Staff 01,LCSW,OP,Provider call, video ,maybe,,10\r\nW12,Staff 01, lcsw ,OP,Handoff,,Y,5,1:15\r\n",
        "utf-8",
        None,
    ),
    "cp1252-lowercase": (
        EXPORT.replace("Staff 03", "Zoë Müller").replace(",LCSW,", ", lcsw ,").replace("Handoff", "handoff "),
        "cp1252",
        "cp1252",
    ),
}


def _minutes(cell: str) -> int:
    try:
        return minutes_of_cell(cell) or 0
    except UnreadableMinutes:
        return 0


def audited(export: Path, mapping: Path, policy: Path, engine: str, out: Path, encoding: str | None) -> Summary:
    return audit_file(export, mapping=mapping, output=out, policy=policy, engine=engine, encoding=encoding)


def assert_difference_of_audits(
    impact: Impact, before: list[dict[str, str]], after: list[dict[str, str]], minutes_column: str
) -> None:
    """The impact says what joining the two audits' rows by row number says."""
    assert len(before) == len(after) == impact.rows
    changes: dict[tuple[str, str], dict[str, Any]] = {}
    unchanged = 0
    for old, new in zip(before, after, strict=True):
        assert old["row"] == new["row"]
        if old["outcome"] == new["outcome"]:
            unchanged += 1
            continue
        change = changes.setdefault(
            (old["outcome"], new["outcome"]),
            {"rows": 0, "minutes": 0, "first": [], "before": Counter(), "after": Counter()},
        )
        change["rows"] += 1
        change["minutes"] += _minutes(old[minutes_column])
        change["first"].append(int(old["row"]))
        change["before"][old["rules"].replace(";", ", ")] += 1
        change["after"][new["rules"].replace(";", ", ")] += 1
    assert impact.unchanged_rows == unchanged
    assert {(t.before, t.after) for t in impact.transitions} == set(changes)
    for transition in impact.transitions:
        expected = changes[transition.before, transition.after]
        assert (transition.rows, transition.minutes) == (expected["rows"], expected["minutes"])
        assert [e.row for e in transition.examples] == expected["first"][:5]
        for told, side in ((transition.why_before, "before"), (transition.why_after, "after")):
            assert sum(rows for _, rows in told) == transition.rows
            ruled = {why: rows for why, rows in expected[side].items() if why}
            assert {why: rows for why, rows in told if why in ruled} == ruled
        rows = {int(r["row"]): r for r in before}
        for example in transition.examples:
            assert example.cells == tuple(rows[example.row][c] for c in impact.columns)


def assert_outcomes_as_audited(impact: Impact, before: Summary, after: Summary) -> None:
    for count in impact.by_outcome:
        was, became = dict(before.by_outcome)[count.outcome], dict(after.by_outcome)[count.outcome]
        assert (count.rows_before, count.minutes_before) == (was.rows, was.minutes)
        assert (count.rows_after, count.minutes_after) == (became.rows, became.minutes)
    assert sum(c.rows_before for c in impact.by_outcome) == before.rows


@pytest.fixture
def clinic_sides(tmp_path: Path) -> tuple[Path, Path]:
    """The clinic policy and a copy with `CLINIC_CHANGE` made."""
    return CLINIC / "policy", edited_policy(tmp_path / "head", *CLINIC_CHANGE)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", sorted(MESSY))
def test_the_impact_is_the_difference_of_two_audits(
    tmp_path: Path, clinic_sides: tuple[Path, Path], engine: str, kind: str
) -> None:
    text, codec, encoding = MESSY[kind]
    export, mapping = tmp_path / "export.csv", tmp_path / "mapping.yaml"
    export.write_bytes(text.encode(codec))
    mapping.write_text(MAPPING, encoding="utf-8")
    base, head = clinic_sides
    impact = impact_of_change(str(base), str(head), export, mapping=mapping, engine=engine, encoding=encoding)
    before = audited(export, mapping, base, engine, tmp_path / "before.csv", encoding)
    after = audited(export, mapping, head, engine, tmp_path / "after.csv", encoding)
    assert impact.transitions, "the change must change some row, or this test shows nothing"
    before_rows = read_csv(tmp_path / "before.csv")
    assert_difference_of_audits(impact, before_rows, read_csv(tmp_path / "after.csv"), "minutes")
    assert_outcomes_as_audited(impact, before, after)
    assert (impact.before.version, impact.after.label) == (before.policy_version, str(head))


@pytest.mark.parametrize("kind", sorted(MESSY))
def test_both_engines_measure_the_same_impact(tmp_path: Path, clinic_sides: tuple[Path, Path], kind: str) -> None:
    text, codec, encoding = MESSY[kind]
    export, mapping = tmp_path / "export.csv", tmp_path / "mapping.yaml"
    export.write_bytes(text.encode(codec))
    mapping.write_text(MAPPING, encoding="utf-8")
    base, head = (str(side) for side in clinic_sides)
    found = [
        impact_of_change(base, head, export, mapping=mapping, engine=engine, encoding=encoding) for engine in ENGINES
    ]
    assert [f.engine for f in found] == ENGINES
    assert len({Impact(**{**_fields(f), "engine": ""}) for f in found}) == 1


def _fields(impact: Impact) -> dict[str, Any]:
    return {name: getattr(impact, name) for name in Impact.__dataclass_fields__}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("suffix", "options"), [("parquet", "FORMAT parquet"), ("jsonl", "FORMAT json")])
def test_json_lines_and_parquet_exports_change_as_the_csv_does(
    tmp_path: Path, clinic_sides: tuple[Path, Path], engine: str, suffix: str, options: str
) -> None:
    (tmp_path / "export.csv").write_text(EXPORT, encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    converted = tmp_path / f"export.{suffix}"
    duckdb.execute(
        f"COPY (SELECT * FROM read_csv(?, all_varchar = true)) TO '{converted}' ({options})",
        [str(tmp_path / "export.csv")],
    )
    base, head = (str(side) for side in clinic_sides)
    found = [
        impact_of_change(base, head, tmp_path / name, mapping=tmp_path / "mapping.yaml", engine=engine)
        for name in ("export.csv", converted.name)
    ]
    assert found[0].transitions, "the change must change some row, or this test shows nothing"
    assert [(f.transitions, f.by_outcome, f.unchanged_rows) for f in found] == [
        (found[0].transitions, found[0].by_outcome, found[0].unchanged_rows)
    ] * 2


def test_the_same_policy_on_both_sides_changes_no_row(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text(EXPORT, encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    base = str(CLINIC / "policy")
    impact = impact_of_change(base, base, tmp_path / "export.csv", mapping=tmp_path / "mapping.yaml")
    assert impact.transitions == ()
    assert impact.unchanged_rows == impact.rows == len(EXPORT.splitlines()) - 1


# --- the example export under a maintainer's edit of the bundled policy ------------------------


@pytest.fixture(scope="module")
def review_flips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled policy and corpus with advocacy by email made to need review
    (tests/maintainer_changes.py); its policy folder."""
    root = tmp_path_factory.mktemp("review-flips")
    for folder in ("policy", "corpus"):
        shutil.copytree(CHECKOUT / folder, root / folder)
    advocacy_by_email_needs_review(root)
    return root / "policy"


@pytest.mark.parametrize("engine", ENGINES)
def test_the_impact_on_the_example_export_is_the_difference_of_two_audits(
    tmp_path: Path, review_flips: Path, engine: str
) -> None:
    export, mapping, base = EXAMPLE / "ehr-export.csv", EXAMPLE / "mapping.yaml", CHECKOUT / "policy"
    impact = impact_of_change(str(base), str(review_flips), export, mapping=mapping, engine=engine)
    before = audited(export, mapping, base, engine, tmp_path / "before.csv", None)
    after = audited(export, mapping, review_flips, engine, tmp_path / "after.csv", None)
    assert impact.transitions, "the edit must change some row of the example export"
    assert_difference_of_audits(impact, read_csv(tmp_path / "before.csv"), read_csv(tmp_path / "after.csv"), "minutes")
    assert_outcomes_as_audited(impact, before, after)


# --- what is checked before anything runs ------------------------------------------------------


def test_every_problem_is_raised_at_once_and_nothing_written(tmp_path: Path) -> None:
    (tmp_path / "mapping.yaml").write_text(MAPPING.replace("column: note", "column: notes"), encoding="utf-8")
    base = str(CLINIC / "policy")
    with pytest.raises(Problems) as raised:
        impact_of_change(
            base,
            base,
            tmp_path / "missing.csv",
            mapping=tmp_path / "mapping.yaml",
            engine="spark",
            report=tmp_path / "mapping.yaml",
        )
    codes = sorted(d.code for d in raised.value.diagnostics)
    assert codes == ["audit.engine", "file.same", "file.unreadable"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mapping.yaml"]


def test_a_mapping_that_fits_only_one_side_is_located(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text(EXPORT, encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    head = edited_policy(
        tmp_path / "head",
        ("facts.yaml", "      driving:\n", "      driving_a_client:\n"),
        ("rules/connection.yaml", "      activity: driving\n", "      activity: driving_a_client\n"),
    )
    with pytest.raises(Problems) as raised:
        impact_of_change(str(CLINIC / "policy"), str(head), tmp_path / "export.csv", mapping=tmp_path / "mapping.yaml")
    (problem,) = raised.value.diagnostics
    assert problem.location is not None and problem.location.file.endswith("mapping.yaml")
    assert problem.location.line == MAPPING.splitlines().index("      Transport: driving") + 1


def test_a_mapping_problem_under_both_sides_is_said_once(tmp_path: Path, clinic_sides: tuple[Path, Path]) -> None:
    (tmp_path / "export.csv").write_text(EXPORT, encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(MAPPING.replace("column: note", "column: notes"), encoding="utf-8")
    base, head = (str(side) for side in clinic_sides)
    with pytest.raises(Problems) as raised:
        impact_of_change(base, head, tmp_path / "export.csv", mapping=tmp_path / "mapping.yaml")
    (problem,) = raised.value.diagnostics
    assert problem.location is not None
    assert problem.location.line == MAPPING.splitlines().index("    column: note") + 1


@pytest.mark.parametrize("engine", ENGINES)
def test_an_interrupted_impact_leaves_no_report(
    tmp_path: Path, clinic_sides: tuple[Path, Path], engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "export.csv").write_text(EXPORT, encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "impact.html").write_text("last month's report\n", encoding="utf-8")

    def stopped(*arguments: Any) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr("billability.audit.impact_run.impact_html", stopped)
    base, head = (str(side) for side in clinic_sides)
    with pytest.raises(KeyboardInterrupt):
        impact_of_change(
            base,
            head,
            tmp_path / "export.csv",
            mapping=tmp_path / "mapping.yaml",
            engine=engine,
            report=tmp_path / "impact.html",
        )
    assert (tmp_path / "impact.html").read_text(encoding="utf-8") == "last month's report\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
