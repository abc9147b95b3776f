"""The stages under `billability audit` one by one, on the clinic fixture policy: a
mapping file checked and bound to an export's columns, cells read as facts, records read
in batches, results written only when complete."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from billability.audit.binding import Binding, bind
from billability.audit.engines import PythonEngine
from billability.audit.mapping import default_mapping, load_mapping
from billability.audit.outcomes import INVALID
from billability.audit.python_audit import audit
from billability.audit.records import batches, open_export
from billability.audit.results import ResultsWriter
from billability.model.diagnostics import Problems
from billability.policy.compiled import Policy

COLUMNS = ("id", "credential", "service", "mode", "note", "days", "minutes")


def mapping_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def binding(clinic: Policy, tmp_path: Path, text: str) -> Binding:
    return bind(load_mapping(mapping_file(tmp_path, text), clinic, COLUMNS), clinic, COLUMNS)


FULL = """\
facts:
  provider_credential: {column: credential, codes: {LCSW: counselor, Peer: peer, Unknown: ~}}
  activity: {column: service}
  documented: {column: note, codes: {"Y": true, "N": false}}
  days_since_discharge: {column: days}
"""


@pytest.mark.parametrize(
    ("cells", "facts", "codes"),
    [
        (("LCSW", "benefits", None, None), {"provider_credential": "counselor", "activity": "benefits"}, []),
        (
            ("Unknown", " handoff ", "Y", "3"),
            {"activity": "handoff", "documented": True, "days_since_discharge": 3},
            [],
        ),
        (("", None, "  ", ""), {}, []),
        (
            ("RN", "benefit", "maybe", "three"),
            {},
            ["record.unknown-code", "record.unknown-value", "record.unknown-code", "record.type"],
        ),
        ((None, None, None, 7.0), {"days_since_discharge": 7}, []),
        ((None, None, None, "-2"), {}, ["record.out-of-range"]),
    ],
)
def test_cells_are_read_as_facts(
    clinic: Policy, tmp_path: Path, cells: tuple[Any, ...], facts: dict[str, Any], codes: list[str]
) -> None:
    found, problems = binding(clinic, tmp_path, FULL).facts(cells)
    assert found == facts
    assert [p.code for p in problems] == codes


def test_a_problem_names_the_column_the_value_and_a_hint(clinic: Policy, tmp_path: Path) -> None:
    _, (problem,) = binding(clinic, tmp_path, FULL).facts(("LCSX", None, None, None))
    assert (problem.code, problem.column, problem.value) == ("record.unknown-code", "credential", "LCSX")
    assert problem.hint == "did you mean `LCSW`?"


@pytest.mark.parametrize(
    ("text", "located"),
    [
        ("facts:\n  activity: {column: service, codes: {Drive: drive}}\n", (2, 46, "mapping.unknown-value")),
        ("facts:\n  activity: {column: servce}\n", (2, 22, "mapping.unknown-column")),
        ("facts:\n  actvity: {column: service}\n", (2, 3, "mapping.unknown-fact")),
        ("facts:\n  days_since_discharge: {column: days, codes: {none: -1}}\n", (2, 54, "mapping.out-of-range")),
        ("facts:\n  days_since_discharge: {column: days, codes: {a: b}}\n", (2, 51, "mapping.type")),
        ("facts:\n  activity: {column: service, codes: {A: other, A: benefits}}\n", (2, 49, "yaml.duplicate-key")),
        ("facts: {}\n", (1, 8, "schema.empty")),
        ("facts:\n  activity: {codes: {A: other}}\n", (2, 13, "schema.required")),
        ("policy: other\nfacts:\n  activity: {column: service}\n", (1, 9, "mapping.policy")),
    ],
)
def test_mapping_mistakes_are_located(clinic: Policy, tmp_path: Path, text: str, located: tuple[int, int, str]) -> None:
    with pytest.raises(Problems) as raised:
        load_mapping(mapping_file(tmp_path, text), clinic, COLUMNS)
    line, column, code = located
    found = [(d.location.line, d.location.column, d.code) for d in raised.value.diagnostics if d.location]
    assert (line, column, code) in found, raised.value


def test_without_a_mapping_the_columns_named_like_facts_are_read(clinic: Policy) -> None:
    mapping = default_mapping(clinic, ("id", "activity", "documented", "other"))
    assert [(f.fact, f.column, f.codes) for f in mapping.facts] == [
        ("activity", "activity", None),
        ("documented", "documented", None),
    ]


def test_records_come_in_batches_in_file_order(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("id,code\n" + "".join(f"{n},{n:03d}\n" for n in range(1, 26)), encoding="utf-8")
    export = open_export(path)
    read = list(batches(export, size=10))
    assert [len(b) for b in read] == [10, 10, 5]
    assert [row for b in read for row in b][:3] == [("1", "001"), ("2", "002"), ("3", "003")]


def test_an_interrupted_run_leaves_no_file(clinic: Policy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = tmp_path / "export.csv"
    records.write_text("activity\nbenefits\ndriving\n", encoding="utf-8")
    export = open_export(records)
    target = tmp_path / "out.csv"
    writer = ResultsWriter(target, export, ("clinic", "1.0"))
    import billability.audit.python_audit as audit_module

    def interrupted(export: Any, **options: Any) -> Any:
        yield [("benefits", "benefits")] if options.get("as_line") is not None else [("benefits",)]
        raise KeyboardInterrupt

    monkeypatch.setattr(audit_module, "batches", interrupted)
    with pytest.raises(KeyboardInterrupt):
        audit(
            export,
            bind(default_mapping(clinic, export.columns), clinic, export.columns),
            clinic,
            PythonEngine(clinic),
            writer,
        )
    assert [p.name for p in tmp_path.iterdir() if p.name != "export.csv"] != []  # the part file, not the target
    assert not target.exists()
    writer.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]


def test_equal_results_share_one_entry(clinic: Policy, tmp_path: Path) -> None:
    records = tmp_path / "export.csv"
    records.write_text(
        "provider_credential,activity\npeer,benefits\npeer,driving\ncounselor,benefits\ncounselor,nothing\n",
        encoding="utf-8",
    )
    export = open_export(records)
    summary = audit(
        export, bind(default_mapping(clinic, export.columns), clinic, export.columns), clinic, PythonEngine(clinic)
    )
    assert summary.rows == 4
    assert summary.count("not_billable") == 2 and summary.count("billable") == 1 and summary.count(INVALID) == 1
    assert summary.invalid_rows == (4,)


def test_forgetting_the_lookups_midway_changes_no_result(
    clinic: Policy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import billability.audit.python_audit as audit_module

    records = tmp_path / "export.csv"
    cells = ["peer,benefits", "counselor,benefits", "counselor,driving", "counselor,nothing", ",handoff"]
    records.write_text("provider_credential,activity\n" + "\n".join(cells * 7) + "\n", encoding="utf-8")
    export = open_export(records)
    mapping = bind(default_mapping(clinic, export.columns), clinic, export.columns)

    def audited() -> list[str]:
        target = tmp_path / "out.csv"
        writer = ResultsWriter(target, export, ("clinic", "1.0"))
        audit(export, mapping, clinic, PythonEngine(clinic), writer)
        writer.commit()
        return target.read_text(encoding="utf-8").splitlines()

    remembered = audited()
    monkeypatch.setattr(audit_module, "MAX_REMEMBERED", 1)
    monkeypatch.setattr(audit_module, "batches", lambda export, **options: batches(export, size=3, **options))
    assert audited() == remembered
    assert len(remembered) == 36


def test_the_example_mapping_is_valid_as_an_editor_reads_it() -> None:
    """The YAML language server reads YAML 1.2 and checks draft 7 of JSON Schema."""
    import json

    import jsonschema
    import yaml

    from policy_texts import CHECKOUT

    schema = json.loads((CHECKOUT / "schema" / "mapping.schema.json").read_text(encoding="utf-8"))
    example = yaml.safe_load((CHECKOUT / "docs" / "audit" / "mapping.yaml").read_text(encoding="utf-8"))
    assert not [error.message for error in jsonschema.Draft7Validator(schema).iter_errors(example)]
    fraction = {"facts": {"activity": {"column": "service", "codes": {"A": 1.5}}}}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(fraction))


# --- how the mapping speaks the export: codes, dates, scope, minutes ------------------


def test_codes_and_values_are_matched_ignoring_case_and_spaces(clinic: Policy, tmp_path: Path) -> None:
    found, problems = binding(clinic, tmp_path, FULL).facts(("lcsw ", " HANDOFF", "y", None))
    assert found == {"provider_credential": "counselor", "activity": "handoff", "documented": True}
    assert problems == ()
    plain = "facts:\n  activity: {column: service}\n  documented: {column: note}\n"
    assert binding(clinic, tmp_path, plain).facts(("Benefits", "TRUE")) == (
        {"activity": "benefits", "documented": True},
        (),
    )


def test_an_unknown_code_s_hint_names_the_code_as_the_mapping_spells_it(clinic: Policy, tmp_path: Path) -> None:
    _, (problem,) = binding(clinic, tmp_path, FULL).facts(("lcsx", None, None, None))
    assert (problem.code, problem.value, problem.hint) == ("record.unknown-code", "lcsx", "did you mean `LCSW`?")


@pytest.mark.parametrize(
    ("codes", "column"),
    [("{LCSW: counselor, lcsw: peer}", 70), ('{LCSW: counselor, " LCSW": counselor}', 70)],
)
def test_two_codes_that_differ_only_by_case_or_spaces_are_a_located_mistake(
    clinic: Policy, tmp_path: Path, codes: str, column: int
) -> None:
    text = f"facts:\n  provider_credential: {{column: credential, codes: {codes}}}\n"
    with pytest.raises(Problems) as raised:
        load_mapping(mapping_file(tmp_path, text), clinic, COLUMNS)
    (found,) = raised.value.diagnostics
    assert (found.code, found.location.line, found.location.column) == ("mapping.duplicate-code", 2, column)


DATED = ("id", "served", "discharged", "kind", "service", "minutes")
FROM_DATES = """\
facts:
  days_since_discharge:
    from_dates: {{service: served, discharge: discharged}}
    format: {format}
  documented:
    from_dates: {{service: served, discharge: discharged}}
    format: {format}
"""


def dated(clinic: Policy, tmp_path: Path, text: str) -> Binding:
    return bind(load_mapping(mapping_file(tmp_path, text), clinic, DATED), clinic, DATED)


@pytest.mark.parametrize(
    ("date_format", "cells", "facts"),
    [
        ("m/d/yyyy", ("10/8/2026", "10/1/2026"), {"days_since_discharge": 7, "documented": True}),
        ("m/d/yyyy", (" 10/08/2026 ", "9/30/2026"), {"days_since_discharge": 8, "documented": True}),
        ("m/d/yyyy", ("10/8/2026", "10/8/2026"), {"days_since_discharge": 0, "documented": True}),
        ("m/d/yyyy", ("10/1/2026", "10/8/2026"), {"documented": False}),  # before the discharge
        ("m/d/yyyy", ("10/8/2026", ""), {"documented": False}),  # not discharged
        ("m/d/yyyy", ("10/8/2026", None), {"documented": False}),
        ("m/d/yyyy", ("", "10/1/2026"), {}),
        ("d/m/yyyy", ("8/10/2026", "1/10/2026"), {"days_since_discharge": 7, "documented": True}),
        ("yyyy-mm-dd", ("2026-10-08", "2025-10-08"), {"days_since_discharge": 365, "documented": True}),
        (
            "yyyy-mm-dd",
            (datetime.date(2026, 10, 8), datetime.datetime(2026, 10, 1, 9, 30)),
            {"days_since_discharge": 7, "documented": True},
        ),
    ],
)
def test_facts_are_derived_from_a_service_date_and_a_discharge_date(
    clinic: Policy, tmp_path: Path, date_format: str, cells: tuple[Any, Any], facts: dict[str, Any]
) -> None:
    assert dated(clinic, tmp_path, FROM_DATES.format(format=date_format)).facts(cells) == (facts, ())


@pytest.mark.parametrize(
    ("date_format", "cells", "column", "value"),
    [
        ("m/d/yyyy", ("2026-10-08", "10/1/2026"), "served", "2026-10-08"),
        ("m/d/yyyy", ("10/8/2026", "2/30/2026"), "discharged", "2/30/2026"),
        ("m/d/yyyy", ("10/8/26", ""), "served", "10/8/26"),
        ("yyyy-mm-dd", ("2026-10-08", "0000-01-01"), "discharged", "0000-01-01"),
        ("yyyy-mm-dd", ("soon", None), "served", "soon"),
    ],
)
def test_an_unreadable_date_is_one_problem_naming_the_cell_and_the_format(
    clinic: Policy, tmp_path: Path, date_format: str, cells: tuple[Any, Any], column: str, value: str
) -> None:
    found, (problem,) = dated(clinic, tmp_path, FROM_DATES.format(format=date_format)).facts(cells)
    assert found == {}
    assert (problem.code, problem.column, problem.value) == ("record.date", column, value)
    assert problem.hint is not None and date_format in problem.hint


@pytest.mark.parametrize(
    ("text", "located"),
    [
        (
            "facts:\n  activity:\n    from_dates: {service: served, discharge: discharged}\n    format: m/d/yyyy\n",
            (3, 5, "mapping.from-dates"),
        ),
        (
            "facts:\n  documented:\n    column: served\n    from_dates: {service: served, discharge: discharged}\n"
            "    format: m/d/yyyy\n",
            (3, 5, "mapping.from-dates"),
        ),
        (
            "facts:\n  documented:\n    from_dates: {service: served, discharge: discharged}\n",
            (3, 5, "schema.required"),
        ),
        (
            "facts:\n  documented:\n    from_dates: {service: served, discharge: discharged}\n    format: dd.mm.yyyy\n",
            (4, 13, "schema.enum"),
        ),
        (
            "facts:\n  documented:\n    from_dates: {service: served, discharge: dischrged}\n    format: m/d/yyyy\n",
            (3, 46, "mapping.unknown-column"),
        ),
        (
            "facts:\n  activity: {column: service}\nscope: {column: knd, codes: [CM]}\n",
            (3, 17, "mapping.unknown-column"),
        ),
        ("facts:\n  activity: {column: service}\nscope: {column: kind, codes: []}\n", (3, 30, "schema.empty")),
    ],
)
def test_mistakes_in_dates_and_scope_are_located(
    clinic: Policy, tmp_path: Path, text: str, located: tuple[int, int, str]
) -> None:
    with pytest.raises(Problems) as raised:
        load_mapping(mapping_file(tmp_path, text), clinic, DATED)
    found = [(d.location.line, d.location.column, d.code) for d in raised.value.diagnostics if d.location]
    assert located in found, raised.value


@pytest.mark.parametrize(
    ("cell", "in_scope"),
    [
        ("Case Management", True),
        (" case management\t", True),
        ("CM", True),
        ("Group", False),
        ("", False),
        (None, False),
    ],
)
def test_the_scope_says_which_records_are_audited(
    clinic: Policy, tmp_path: Path, cell: str | None, in_scope: bool
) -> None:
    text = "facts:\n  activity: {column: service}\nscope: {column: kind, codes: [Case Management, cm]}\n"
    bound = dated(clinic, tmp_path, text)
    assert bound.in_scope((cell, "benefits")) is in_scope


def test_one_column_feeds_two_facts(clinic: Policy, tmp_path: Path) -> None:
    text = """\
facts:
  activity: {column: service, codes: {Phone follow-up: provider_call, Phone benefits: benefits, Drive: driving}}
  contact_mode: {column: service, codes: {Phone follow-up: phone, Phone benefits: phone, Drive: ~}}
"""
    bound = dated(clinic, tmp_path, text)
    assert bound.indexes == (DATED.index("service"),)
    assert bound.facts(("phone FOLLOW-UP",)) == ({"activity": "provider_call", "contact_mode": "phone"}, ())
    assert bound.facts(("Drive",)) == ({"activity": "driving"}, ())
    assert [p.code for p in bound.facts(("Fax",))[1]] == ["record.unknown-code", "record.unknown-code"]


@pytest.mark.parametrize(
    ("cell", "minutes"),
    [("1:15", 75), (" 0:05 ", 5), ("75", 75), ("2.5", 2), ("", None), (None, None), (datetime.time(1, 15), 75)],
)
def test_minutes_are_read_as_numbers_or_hours_and_minutes(cell: Any, minutes: int | None) -> None:
    from billability.audit.summary import minutes_of_cell

    assert minutes_of_cell(cell) == minutes


@pytest.mark.parametrize("cell", ["1h15", "1:75", "-5", "n/a", "nan", True])
def test_unreadable_minutes_are_never_taken_for_zero(cell: Any) -> None:
    from billability.audit.summary import UnreadableMinutes, minutes_of_cell

    with pytest.raises(UnreadableMinutes):
        minutes_of_cell(cell)
