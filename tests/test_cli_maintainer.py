"""The maintainer commands (table, lint, diff, validate --format github) as a user runs
them. The workflows and the CI script that run them are tested in test_workflows.py."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from billability.cli import main
from billability.resources import policy_dir
from policy_texts import WINDOW_45, edited_policy, rule, write_small_policy

ROOT = Path(__file__).resolve().parent.parent


def run(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# --- table ------------------------------------------------------------------------------


def test_table_formats_agree() -> None:
    _, markdown, _ = run("table")
    _, comma_separated, _ = run("table", "--format", "csv")
    status, document, _ = run("table", "--format", "json")
    assert status == 0
    regions = json.loads(document)["regions"]
    rows = list(csv.reader(io.StringIO(comma_separated)))
    assert rows[0][0] == "region" and rows[0][-2:] == ["outcome", "rules"]
    assert len(rows) - 1 == len(regions) == sum(1 for line in markdown.splitlines() if re.match(r"\| \d+ \|", line))
    assert [row[-2] for row in rows[1:]] == [region["outcome"] for region in regions]


def test_table_of_an_invalid_policy_is_located(tmp_path: Path) -> None:
    root = write_small_policy(tmp_path, rule("a", "billable", "activty: talk"))
    status, _, errors = run("table", "--policy", str(root))
    assert status == 2
    assert re.search(r"policy\.yaml:\d+:\d+: error\[policy\.unknown-fact\]", errors)


# --- lint -------------------------------------------------------------------------------


def test_lint_of_the_bundled_policy_passes_with_notes_only() -> None:
    status, output, _ = run("lint")
    assert status == 0
    assert "error[" not in output and "warning[" not in output
    assert "info[lint.overlap]" in output
    assert output.splitlines()[-1].startswith("0 errors, 0 warnings, ")


def test_lint_errors_exit_1_with_locations(tmp_path: Path) -> None:
    root = write_small_policy(
        tmp_path,
        rule("talk", "billable", "activity: talk"),
        rule("never", "billable", "all:\n  - activity: talk\n  - activity: drive"),
    )
    status, output, _ = run("lint", "--policy", str(root))
    assert status == 1
    assert re.search(r"policy\.yaml:\d+:\d+: error\[lint\.never-holds\]", output)
    assert re.search(r"policy\.yaml:\d+:\d+: warning\[lint\.gap\]", output)


def test_lint_github_annotations(tmp_path: Path) -> None:
    root = write_small_policy(tmp_path, rule("talk", "billable", "activity: talk"))
    status, output, _ = run("lint", "--policy", str(root), "--format", "github")
    assert status == 0
    lines = output.splitlines()
    assert lines and all(re.match(r"::(warning|notice) file=[^,]+,line=\d+,col=\d+::\[lint\.", line) for line in lines)


def test_lint_of_an_invalid_policy_exits_1(tmp_path: Path) -> None:
    root = write_small_policy(tmp_path, rule("a", "billable", "activity: tlk"))
    status, _, errors = run("lint", "--policy", str(root))
    assert status == 1
    assert "error[policy.unknown-value]" in errors


# --- validate --format github ---------------------------------------------------------------


def test_validate_github_annotations_point_at_the_lines(tmp_path: Path) -> None:
    root = edited_policy(tmp_path, ("rules/coordination.yaml", "activity: loc_transition", "activity: loc_transtion"))
    status, output, _ = run("validate", str(root), "--format", "github")
    assert status == 1
    (line,) = output.splitlines()
    match = re.fullmatch(r"::error file=([^,]+),line=(\d+),col=(\d+)::\[policy\.unknown-value\] .*", line)
    assert match is not None
    file, number = match.group(1), int(match.group(2))
    assert file.endswith("rules/coordination.yaml")
    assert "loc_transtion" in (root / "rules" / "coordination.yaml").read_text().splitlines()[number - 1]


def test_validate_github_of_a_valid_policy_prints_nothing() -> None:
    status, output, _ = run("validate", "--format", "github")
    assert (status, output) == (0, "")


@pytest.mark.parametrize("command", ["table", "lint", "diff"])
def test_every_maintainer_command_has_examples_in_its_help(command: str) -> None:
    status, output, _ = run(command, "--help")
    assert status == 0
    assert "Examples:" in output and f"billability {command}" in output
