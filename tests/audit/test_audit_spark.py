"""The site's Spark script (docs/audit/audit_spark.py), run with a local Spark session on
the example export with the query `billability sql --dialect spark --map
docs/audit/mapping.yaml --table ehr_export` writes, gives what `billability audit` gives
on the same export with the same mapping: the same columns in the same order, and for
every row the same cells, outcome, rules, reasons, missing facts, problems and policy.

The one difference allowed is the hint of a problem: where the audit suggests a close
code (`did you mean ...?`), the query, which cannot compute one, gives the hint the
audit gives when no code is close.

Spark needs pyspark (the `spark` extra) and Java 17 or later: the shared `spark` fixture
(tests/audit/conftest.py) skips without them, and fails in CI (`CI` set).
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from audit_inputs import EXAMPLE
from billability.audit.mapping import load_mapping
from billability.audit.sql import policy_sql
from billability.cli import main
from billability.policy.compile import load_policy
from policy_texts import CHECKOUT
from sql_engines import csv_cell, query_words

DECISION = ("row", "outcome", "rules", "reasons", "missing", "problems", "policy_id", "policy_version")


@pytest.fixture(scope="module")
def audit_spark() -> ModuleType:
    """The site's script, imported from its file."""
    spec = importlib.util.spec_from_file_location("audit_spark", EXAMPLE / "audit_spark.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def audited_by_billability(tmp_path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The example export as `billability audit` writes it to CSV: its header and rows."""
    out = tmp_path / "audited.csv"
    arguments = ["audit", str(EXAMPLE / "ehr-export.csv"), "--map", str(EXAMPLE / "mapping.yaml")]
    result = CliRunner().invoke(main, [*arguments, "-o", str(out), "--policy", str(CHECKOUT / "policy")])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        return list(reader.fieldnames or ()), list(reader)


def test_the_spark_script_audits_the_example_export_as_billability_does(
    spark: Any, audit_spark: ModuleType, tmp_path: Path
) -> None:
    policy = load_policy(CHECKOUT / "policy")
    mapping = load_mapping(EXAMPLE / "mapping.yaml", policy, None)
    query = policy_sql(policy, audit_spark.TABLE, "spark", mapping=mapping)
    assert audit_spark.TABLE == "ehr_export"

    records = audit_spark.read(spark, str(EXAMPLE / "ehr-export.csv"))
    result = tmp_path / "audited-by-spark"
    audit_spark.write(audit_spark.audit(spark, query, records), str(result))
    written = spark.read.parquet(str(result))
    rows = sorted(written.collect(), key=lambda row: int(row["row"]))

    header, expected = audited_by_billability(tmp_path)
    assert written.columns == header
    assert len(rows) == len(expected) == records.count() == 208
    differing = []
    for row, audited in zip(rows, expected, strict=True):
        by_spark = {name: csv_cell(row[name]) for name in header}
        wanted = dict(audited, problems=query_words(audited["problems"], policy))
        if by_spark != wanted:
            differing.append((audited["row"], by_spark, wanted))
    assert differing == [], f"{len(differing)} rows differ, e.g. {differing[:2]}"
    outcomes = {row["outcome"] for row in expected}
    assert {"billable", "not_billable", "invalid", "not_audited"} <= outcomes
