"""The maintainer commands (table, lint, diff, validate --format github) as a user runs
them, and the workflows and CI script that run them."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from billability.cli import main
from billability.resources import policy_dir
from policy_texts import ALLOW_VIDEO, WINDOW_45, edited_policy, rule, write_small_policy

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def run(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# --- table ------------------------------------------------------------------------------


def test_table_formats_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    # In the clinic fixture checkout: `table` prints the regions of the checkout it runs in.
    monkeypatch.chdir(Path(__file__).resolve().parent / "fixtures" / "clinic")
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


# --- diff -------------------------------------------------------------------------------


def test_diff_of_the_policy_with_itself_exits_0() -> None:
    status, output, _ = run("diff", str(policy_dir()), str(policy_dir()))
    assert status == 0
    assert "no scenario changes outcome" in output


@pytest.mark.parametrize("changes", [WINDOW_45, ALLOW_VIDEO])
def test_diff_of_a_real_edit_exits_1(tmp_path: Path, changes: tuple[tuple[str, str, str], ...]) -> None:
    head = edited_policy(tmp_path, *changes)
    status, output, _ = run("diff", str(policy_dir()), str(head))
    assert status == 1
    assert re.search(r"^  - .+: (not_billable|needs_review) -> billable  \[\d+ combinations", output, re.MULTILINE)
    status, markdown, _ = run("diff", str(policy_dir()), str(head), "--format", "markdown")
    assert status == 1
    assert markdown.startswith("<!-- billability-diff -->")


def test_diff_reruns_the_corpus_given(tmp_path: Path) -> None:
    head = edited_policy(tmp_path, *WINDOW_45)
    corpus = ROOT / "corpus" / "boundaries.yaml"
    _, output, _ = run("diff", str(policy_dir()), str(head), "--corpus", str(corpus))
    assert "corpus cases that fail with the change:" in output
    _, output, _ = run("diff", str(policy_dir()), str(head), "--corpus", str(ROOT / "corpus" / "table-activities.yaml"))
    assert "corpus cases that fail" not in output


def test_diff_of_an_unknown_revision_exits_2() -> None:
    status, _, errors = run("diff", "no-such-revision-or-folder", str(policy_dir()))
    assert status == 2
    assert "error[diff.unknown-policy]" in errors


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


# --- workflows and CI ----------------------------------------------------------------------


def scripts(path: Path) -> list[str]:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]


def test_there_is_a_pull_request_and_a_docs_workflow() -> None:
    triggers = {}
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        # PyYAML reads the key `on` as true (YAML 1.1); GitHub reads it as `on`.
        triggers[path.name] = workflow[True]
    assert set(triggers) == {"pull-request.yml", "docs.yml"}
    assert "pull_request" in triggers["pull-request.yml"]
    assert triggers["docs.yml"]["push"]["branches"] == ["main"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_call_only_commands_that_exist(path: Path) -> None:
    called = {m.group(1) for script in scripts(path) for m in re.finditer(r"\bbillability ([a-z][a-z-]*)", script)}
    assert called
    assert called <= set(main.commands), called - set(main.commands)


def test_the_pull_request_workflow_validates_tests_and_posts_the_diff() -> None:
    steps = "\n".join(scripts(ROOT / ".github" / "workflows" / "pull-request.yml"))
    for command in (
        "billability validate --format github",
        "python -m pytest",
        "billability lint",
        "--format markdown",
    ):
        assert command in steps
    assert re.search(r'billability diff "origin/\$BASE_REF" HEAD', steps)
    assert "gh pr comment" in steps


def test_the_docs_workflow_builds_the_docs_site_config_and_deploys_pages() -> None:
    text = (ROOT / ".github" / "workflows" / "docs.yml").read_text(encoding="utf-8")
    assert "mkdocs build --strict -f docs/mkdocs.yml" in text
    assert "actions/deploy-pages@" in text and "actions/upload-pages-artifact@" in text


def test_ci_runs_what_the_workflow_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in (
        "billability validate",
        "billability lint",
        "billability table",
        "billability diff policy policy",
        "python -m pytest",
    ):
        assert command in ci
    called = {m.group(1) for m in re.finditer(r"\bbillability ([a-z][a-z-]*)", ci)}
    assert called <= set(main.commands)
    in_workflow = {
        m.group(1)
        for script in scripts(ROOT / ".github" / "workflows" / "pull-request.yml")
        for m in re.finditer(r"\bbillability ([a-z][a-z-]*)", script)
    }
    assert in_workflow <= called


@pytest.mark.parametrize("command", ["table", "lint", "diff"])
def test_every_maintainer_command_has_examples_in_its_help(command: str) -> None:
    status, output, _ = run(command, "--help")
    assert status == 0
    assert "Examples:" in output and f"billability {command}" in output


def test_the_contributing_guide_shows_the_real_diff_of_its_worked_example(tmp_path: Path) -> None:
    guide = (ROOT / ".github" / "CONTRIBUTING.md").read_text(encoding="utf-8")
    _, output, _ = run(
        "diff", str(policy_dir()), str(edited_policy(tmp_path, *WINDOW_45)), "--corpus", str(ROOT / "corpus")
    )
    changed = [line for line in output.splitlines() if line.startswith("  - provider_credential")]
    assert changed and all(line in guide for line in changed)
    cases = re.findall(r"^  - \S*(boundaries\.yaml:\d+:\d+: .*)$", output, re.MULTILINE)
    assert len(cases) == 2
    assert all(case in guide for case in cases)
