"""The maintainer commands as a user runs them: the decision table and every command's help.
Lint and validate are tested in test_lint.py and test_compile.py, diff in test_diff.py, the
workflows and the CI script in test_workflows.py."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from command_line import run
from policy_texts import CHECKOUT, rule, write_small_policy

# --- table ------------------------------------------------------------------------------


def test_table_formats_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    # In the clinic fixture checkout: `table` prints the regions of the checkout it runs in.
    monkeypatch.chdir(CHECKOUT / "tests" / "fixtures" / "clinic")
    _, markdown, _ = run("table")
    _, comma_separated, _ = run("table", "--format", "csv")
    status, document, summary = run("table", "--format", "json")
    assert status == 0
    regions = json.loads(document)["regions"]
    rows = list(csv.reader(io.StringIO(comma_separated)))
    assert rows[0][0] == "region" and rows[0][-2:] == ["outcome", "rules"]
    assert len(rows) - 1 == len(regions) == sum(1 for line in markdown.splitlines() if re.match(r"\| \d+ \|", line))
    assert [row[-2] for row in rows[1:]] == [region["outcome"] for region in regions]
    assert summary == f"{len(regions)} regions of policy/\n"


def test_table_of_an_invalid_policy_is_located(tmp_path: Path) -> None:
    root = write_small_policy(tmp_path, rule("a", "billable", "activty: talk"))
    status, _, errors = run("table", "--policy", str(root))
    assert status == 2
    assert re.search(r"policy\.yaml:\d+:\d+: error\[policy\.unknown-fact\]", errors)


@pytest.mark.parametrize("command", ["table", "lint", "diff"])
def test_every_maintainer_command_has_examples_in_its_help(command: str) -> None:
    status, output, _ = run(command, "--help")
    assert status == 0
    assert "Examples:" in output and f"billability {command}" in output
