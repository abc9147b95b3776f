"""The policy's query as `billability sql` checks and writes it: every problem of the
options at once, in their order, and a file written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from billability.audit.query_file import checked_query, write_query
from billability.audit.sql import policy_sql
from billability.model.diagnostics import Location, Problems
from billability.policy.compiled import Policy
from policy_texts import CLINIC


def test_the_query_is_the_policys_sql_with_a_final_newline(clinic: Policy) -> None:
    query = checked_query(clinic, "claims.records", "postgres")
    assert query.problems == ()
    assert query.text == policy_sql(clinic, "claims.records", "postgres") + "\n"


def test_every_problem_at_once_in_the_order_of_the_options(clinic: Policy, tmp_path: Path) -> None:
    policy_file = CLINIC / "policy" / "policy.yaml"
    query = checked_query(clinic, "a b", "nope", str(tmp_path / "absent.yaml"), str(policy_file))
    assert query.text == ""
    assert [d.code for d in query.problems] == ["sql.dialect", "sql.table", "file.unreadable", "file.same"]
    assert query.problems[0].location == Location("option --dialect `nope`")
    assert query.problems[1].location == Location("option --table `a b`")
    assert query.problems[3].location == Location(f"option --output `{policy_file}`")
    assert "the policy file" in query.problems[3].message


def test_an_output_over_the_mapping_is_refused(clinic: Policy, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("facts:\n  activity:\n    column: activity\n", encoding="utf-8")
    query = checked_query(clinic, "records", "duckdb", str(mapping), str(tmp_path / "." / "mapping.yaml"))
    assert [(d.code, d.message) for d in query.problems] == [("file.same", "this would overwrite the mapping")]


def test_the_query_is_written_whole_with_nothing_left_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "policy.sql"
    target.write_text("old", encoding="utf-8")
    write_query(target, "SELECT 1;\n")
    assert target.read_text(encoding="utf-8") == "SELECT 1;\n"
    assert os.listdir(tmp_path) == ["policy.sql"]


def test_a_query_that_cannot_be_written_is_a_located_problem(tmp_path: Path) -> None:
    target = tmp_path / "absent" / "policy.sql"
    with pytest.raises(Problems) as raised:
        write_query(target, "SELECT 1;\n")
    (problem,) = raised.value.diagnostics
    assert (problem.code, problem.location) == ("file.unwritable", Location(str(target)))
