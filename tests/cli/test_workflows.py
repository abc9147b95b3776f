"""The project's automation as a maintainer meets it: the GitHub workflows, the CI script,
the pre-commit hooks, the editor settings, the worked example of CONTRIBUTING.md and the
maintainer's journey.

The workflows' shell steps are run here with stand-ins for `billability` and `gh`, so
that what they do with each exit status is tested, not only read. The full replay of the
worked example (every command, `diff` and `mutate` included) is `.ci/contributing-example`
and the maintainer's journey is `.ci/maintainer-journey`, both run by `.ci/run`, both from
the fixed snapshot of the policy and corpus in tests/fixtures/worked-example. Here both
run whole on copies of the repository whose own policy is another one (the replay and the
journey at once: about 15 s a copy on two cores), and each is shown to fail when it should.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.machinery
import importlib.util
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from billability.checks.corpus import load_cases, run_cases
from billability.cli import commands, main
from billability.policy.compile import load_policy
from policy_texts import CHECKOUT, CLINIC

WORKFLOWS = sorted((CHECKOUT / ".github" / "workflows").glob("*.yml"))
PULL_REQUEST = CHECKOUT / ".github" / "workflows" / "pull-request.yml"
DOCS = CHECKOUT / ".github" / "workflows" / "docs.yml"
GUIDE = CHECKOUT / ".github" / "CONTRIBUTING.md"
CI = CHECKOUT / ".ci" / "run"
REPLAY = CHECKOUT / ".ci" / "contributing-example"
# The policy and corpus the worked example and the maintainer's journey start from.
SNAPSHOT = CHECKOUT / "tests" / "fixtures" / "worked-example"
# The command the journey runs: the one installed beside the Python running the tests.
BILLABILITY_COMMAND = Path(sys.executable).parent / "billability"
HOOKS = CHECKOUT / ".pre-commit-hooks.yaml"
EDITOR = CHECKOUT / ".vscode" / "settings.json"
BILLABILITY = re.compile(r"\bbillability ([a-z][a-z-]*)")


def workflow(path: Path) -> dict[Any, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def scripts(path: Path) -> list[str]:
    return [step["run"] for job in workflow(path)["jobs"].values() for step in job["steps"] if "run" in step]


def step(path: Path, job: str, name: str) -> dict[str, Any]:
    (found,) = [s for s in workflow(path)["jobs"][job]["steps"] if s.get("name") == name or s.get("id") == name]
    return found


def called(text: str) -> set[str]:
    return {m.group(1) for m in BILLABILITY.finditer(text)}


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


# --- the workflows --------------------------------------------------------------------------


def test_there_is_a_pull_request_and_a_docs_workflow() -> None:
    # PyYAML reads the key `on` as true (YAML 1.1); GitHub reads it as `on`.
    triggers = {path.name: workflow(path)[True] for path in WORKFLOWS}
    assert set(triggers) == {"pull-request.yml", "docs.yml"}
    assert "pull_request" in triggers["pull-request.yml"]
    assert triggers["docs.yml"]["push"]["branches"] == ["main"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_call_only_commands_that_exist(path: Path) -> None:
    used = called("\n".join(scripts(path)))
    assert used
    assert used <= set(commands()), used - set(commands())


def test_the_pull_request_workflow_validates_tests_and_posts_the_diff() -> None:
    check = "\n".join(s["run"] for s in workflow(PULL_REQUEST)["jobs"]["check"]["steps"] if "run" in s)
    for command in (
        "billability validate --format github",
        "billability lint --format github",
        "python -m pytest",
        "billability test",
        "billability mutate",
        "billability coverage",
        "zizmor --offline",
        "check-jsonschema --builtin-schema vendor.github-workflows",
    ):
        assert command in check
    diff = step(PULL_REQUEST, "diff", "diff")["run"]
    assert re.search(r'billability diff "origin/\$BASE_REF" HEAD --format markdown', diff)
    assert "GITHUB_STEP_SUMMARY" in diff
    publish = "\n".join(s["run"] for s in workflow(PULL_REQUEST)["jobs"]["publish"]["steps"])
    assert "gh pr comment" in publish and "--add-label" in publish


def test_the_diff_runs_whatever_the_checks_find() -> None:
    jobs = workflow(PULL_REQUEST)["jobs"]
    # The diff job does not wait for the checks, and publishing waits only for the diff.
    assert "needs" not in jobs["diff"]
    assert jobs["publish"]["needs"] == "diff"
    for job in jobs.values():
        for s in job["steps"]:
            # A step that may fail without failing the job hides real failures.
            assert "continue-on-error" not in s, s


def test_only_pull_requests_from_this_repository_are_commented_on() -> None:
    publish = workflow(PULL_REQUEST)["jobs"]["publish"]
    assert publish["if"] == "github.event.pull_request.head.repo.full_name == github.repository"


EXPECTED_PERMISSIONS = {
    ("pull-request.yml", "check"): {"contents": "read"},
    ("pull-request.yml", "diff"): {"contents": "read"},
    ("pull-request.yml", "publish"): {"pull-requests": "write", "issues": "write"},
    ("docs.yml", "build"): {"contents": "read"},
    ("docs.yml", "deploy"): {"pages": "write", "id-token": "write"},
}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_each_job_has_only_the_permissions_it_needs(path: Path) -> None:
    loaded = workflow(path)
    assert loaded["permissions"] == {}, "the workflow grants nothing; its jobs ask"
    for name, job in loaded["jobs"].items():
        assert job["permissions"] == EXPECTED_PERMISSIONS[(path.name, name)], name
        if "write" in job["permissions"].values():
            # A job that can write checks nothing out, so it runs no code from the change.
            assert not any(s.get("uses", "").startswith("actions/checkout@") for s in job["steps"]), name
        assert isinstance(job.get("timeout-minutes"), int), name


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_release_in_a_comment(path: Path) -> None:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert lines
    for line in lines:
        assert re.fullmatch(r"\s*(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_do_not_keep_the_token(path: Path) -> None:
    checkouts = [
        s
        for job in workflow(path)["jobs"].values()
        for s in job["steps"]
        if s.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkouts
    assert all(s["with"]["persist-credentials"] is False for s in checkouts)


def test_the_docs_workflow_builds_the_docs_site_config_and_deploys_pages() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert "mkdocs build --strict -f docs/mkdocs.yml" in text
    assert "actions/deploy-pages@" in text and "actions/upload-pages-artifact@" in text


# The pull-request workflow's shell steps, run with stand-ins for the commands they call.


def stand_in(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/usr/bin/env bash\n" + textwrap.dedent(body), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def run_step(script: str, tmp_path: Path, env: dict[str, str]) -> tuple[int, str, str, str]:
    """Run a step's script as GitHub does (`bash -eo pipefail`); its status, output,
    the job summary and the step outputs it wrote."""
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    summary.touch()
    outputs.touch()
    environment = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        **env,
    }
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script], cwd=tmp_path, env=environment, capture_output=True, text=True
    )
    return done.returncode, done.stdout + done.stderr, summary.read_text(), outputs.read_text()


DIFF_ENV = {"BASE_REF": "main", "FROM_FORK": "false", "RUN_URL": "https://github.example/o/r/actions/runs/7"}


@pytest.mark.parametrize(("status", "changed"), [(0, "false"), (1, "true")])
def test_the_diff_step_publishes_the_diff_when_outcomes_change_or_not(
    tmp_path: Path, status: int, changed: str
) -> None:
    (tmp_path / "bin").mkdir()
    stand_in(tmp_path / "bin", "billability", f"echo '<!-- billability-diff -->'\necho '| a table |'\nexit {status}\n")
    code, _, summary, outputs = run_step(step(PULL_REQUEST, "diff", "diff")["run"], tmp_path, DIFF_ENV)
    assert code == 0
    assert "| a table |" in summary
    assert f"changed={changed}" in outputs.splitlines()
    comment = re.search(r"^comment<<(\S+)\n(.*)\n\1$", outputs, re.MULTILINE | re.DOTALL)
    assert comment and "| a table |" in comment.group(2)
    assert "fork" not in summary


def test_a_removed_corpus_case_reaches_the_comment_without_the_label(tmp_path: Path) -> None:
    # The real `billability diff`, in a repository whose pull request removes a case and
    # changes no outcome: the comment names the case; the label stays off.
    from policy_texts import CLINIC, git

    for folder in ("policy", "corpus"):
        shutil.copytree(CLINIC / folder, tmp_path / folder)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "policy", "corpus")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "update-ref", "refs/remotes/origin/main", "HEAD")
    cases = tmp_path / "corpus" / "cases.yaml"
    text = cases.read_text(encoding="utf-8")
    removed = "  - name: Driving a client is not billable\n"
    start = text.index(removed)
    cases.write_text(text[:start] + text[text.index("  - name:", start + 1) :], encoding="utf-8")
    git(tmp_path, "commit", "-q", "-a", "-m", "head")
    (tmp_path / "bin").mkdir()
    stand_in(
        tmp_path / "bin",
        "billability",
        f'exec {shlex.quote(sys.executable)} -c "from billability.cli import main; main()" "$@"\n',
    )
    code, log, summary, outputs = run_step(step(PULL_REQUEST, "diff", "diff")["run"], tmp_path, DIFF_ENV)
    assert code == 0, log
    assert "Driving a client is not billable" in summary
    assert "changed=false" in outputs.splitlines()
    comment = re.search(r"^comment<<(\S+)\n(.*)\n\1$", outputs, re.MULTILINE | re.DOTALL)
    assert comment is not None
    assert "#### Corpus cases removed" in comment.group(2)
    assert "origin/main:corpus/cases.yaml:" in comment.group(2) and "Driving a client is not billable" in comment.group(
        2
    )


def test_the_diff_step_fails_when_the_diff_cannot_be_computed(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    stand_in(tmp_path / "bin", "billability", "echo 'corpus/x.yaml:1:1: error[yaml.syntax]: bad' >&2\nexit 2\n")
    code, _, summary, outputs = run_step(step(PULL_REQUEST, "diff", "diff")["run"], tmp_path, DIFF_ENV)
    assert code == 2
    assert "could not be computed" in summary and "error[yaml.syntax]" in summary
    assert "changed=" not in outputs


def test_on_a_fork_the_summary_says_where_to_read_the_diff(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    stand_in(tmp_path / "bin", "billability", "echo '| a table |'\nexit 1\n")
    code, log, summary, _ = run_step(
        step(PULL_REQUEST, "diff", "diff")["run"], tmp_path, {**DIFF_ENV, "FROM_FORK": "true"}
    )
    assert code == 0
    assert "| a table |" in summary
    assert "fork" in summary and DIFF_ENV["RUN_URL"] in summary
    assert "::notice" in log and DIFF_ENV["RUN_URL"] in log


def test_a_diff_too_long_for_a_comment_is_cut_and_points_to_the_summary(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    stand_in(
        tmp_path / "bin", "billability", 'for i in $(seq 5000); do echo "| row $i of a long table |"; done\nexit 1\n'
    )
    code, _, summary, outputs = run_step(step(PULL_REQUEST, "diff", "diff")["run"], tmp_path, DIFF_ENV)
    assert code == 0 and "row 5000 " in summary
    comment = re.search(r"^comment<<(\S+)\n(.*)\n\1$", outputs, re.MULTILINE | re.DOTALL)
    assert comment and len(comment.group(2)) < 65536
    assert "row 5000 " not in comment.group(2) and DIFF_ENV["RUN_URL"] in comment.group(2)


def fake_gh(tmp_path: Path, labels: str = "", fail: str = "") -> Path:
    """A `gh` that logs its arguments, lists `labels` for `pr view`, and fails on `fail`."""
    (tmp_path / "bin").mkdir(exist_ok=True)
    log = tmp_path / "gh.log"
    stand_in(
        tmp_path / "bin",
        "gh",
        f"""\
        echo "$*" >> {shlex.quote(str(log))}
        case "$*" in
          {shlex.quote(fail or "no-such-command")}*) echo "gh: HTTP" 403 >&2; exit 1 ;;
          "pr view"*) printf '%s' {shlex.quote(labels)} ;;
        esac
        """,
    )
    return log


LABEL_ENV = {"GH_TOKEN": "t", "GH_REPO": "o/r", "NUMBER": "12"}


def test_the_label_is_created_when_missing_and_added_when_outcomes_change(tmp_path: Path) -> None:
    log = fake_gh(tmp_path)
    script = step(PULL_REQUEST, "publish", "Label the pull request when outcomes change")["run"]
    code, output, _, _ = run_step(script, tmp_path, {**LABEL_ENV, "CHANGED": "true"})
    assert code == 0, output
    calls = log.read_text().splitlines()
    assert calls[0].startswith("label create changes outcomes --force")
    assert calls[1] == "pr edit 12 --add-label changes outcomes"


@pytest.mark.parametrize(
    ("labels", "removed"),
    [
        ("changes outcomes\nother", True),
        ("other", False),
        # More labels than a pipe holds: the search stops at the first line, before all are
        # written, and the step must still see the label.
        ("changes outcomes\n" + "other\n" * 20_000, True),
    ],
    ids=["labelled", "not-labelled", "many-labels"],
)
def test_the_label_goes_when_a_push_takes_the_change_back_out(tmp_path: Path, labels: str, removed: bool) -> None:
    log = fake_gh(tmp_path, labels=labels)
    script = step(PULL_REQUEST, "publish", "Label the pull request when outcomes change")["run"]
    code, output, _, _ = run_step(script, tmp_path, {**LABEL_ENV, "CHANGED": "false"})
    assert code == 0, output
    assert ("pr edit 12 --remove-label changes outcomes" in log.read_text().splitlines()) is removed


@pytest.mark.parametrize(
    ("name", "fail", "env"),
    [
        ("Label the pull request when outcomes change", "label create", {"CHANGED": "true"}),
        ("Label the pull request when outcomes change", "pr edit", {"CHANGED": "true"}),
        ("Label the pull request when outcomes change", "pr view", {"CHANGED": "false"}),
        ("Post or update the diff comment", "pr comment", {"COMMENT": "the diff"}),
    ],
)
def test_a_failing_comment_or_label_fails_the_job(tmp_path: Path, name: str, fail: str, env: dict[str, str]) -> None:
    fake_gh(tmp_path, fail=fail)
    code, output, _, _ = run_step(step(PULL_REQUEST, "publish", name)["run"], tmp_path, {**LABEL_ENV, **env})
    assert code != 0 and "HTTP 403" in output


def test_the_comment_is_posted_or_updated(tmp_path: Path) -> None:
    log = fake_gh(tmp_path)
    code, output, _, _ = run_step(
        step(PULL_REQUEST, "publish", "Post or update the diff comment")["run"],
        tmp_path,
        {**LABEL_ENV, "COMMENT": "the diff"},
    )
    assert code == 0, output
    assert log.read_text().splitlines() == ["pr comment 12 --edit-last --create-if-none --body-file policy-diff.md"]
    assert (tmp_path / "policy-diff.md").read_text() == "the diff\n"


# --- the CI script ----------------------------------------------------------------------------


def test_ci_runs_what_the_workflow_runs() -> None:
    ci = CI.read_text(encoding="utf-8")
    for command in (
        "billability validate",
        "billability lint",
        "billability table",
        "billability diff policy policy",
        "python -m pytest",
        "zizmor --offline",
        "check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml",
        "pre-commit validate-manifest .pre-commit-hooks.yaml",
        "pre-commit try-repo",
        "python .ci/contributing-example",
    ):
        assert command in ci
    assert called(ci) <= set(commands())
    assert called("\n".join(scripts(PULL_REQUEST))) <= called(ci)


def test_ci_installs_its_tools_from_the_dev_extra() -> None:
    project = tomllib.loads((CHECKOUT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dev = project["optional-dependencies"]["dev"]
    names = {re.split(r"[<>=\[ ]", requirement)[0] for requirement in dev}
    assert {"zizmor", "check-jsonschema", "pre-commit", "psycopg"} <= names
    # and the spark extra, for the Spark tests
    assert "-e '.[dev,spark]'" in CI.read_text(encoding="utf-8")


# --- the pre-commit hooks ---------------------------------------------------------------------


def test_the_pre_commit_hooks_are_valid_for_pre_commit() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = load_manifest(str(HOOKS))  # raises InvalidManifestError on a schema error
    assert {hook["id"] for hook in hooks} == {"billability-validate", "billability-test"}


def test_the_pre_commit_hooks_call_commands_that_exist_on_the_policy_files() -> None:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    for hook in hooks:
        program, command = shlex.split(hook["entry"])
        assert program == "billability" and command in commands()
        assert hook["id"] == f"billability-{command}"
        assert hook["language"] == "python"
        # The commands read the whole checkout: file names would be taken as arguments.
        assert hook["pass_filenames"] is False
        assert re.search(hook["files"], "policy/rules/connection.yaml")
        # Both check the corpus as well (validate loads it, test runs it).
        assert re.search(hook["files"], "corpus/boundaries.yaml")


# --- the editor settings ----------------------------------------------------------------------


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=CHECKOUT, check=True, capture_output=True, text=True)
    return listed.stdout.splitlines()


def glob_pattern(glob: str) -> re.Pattern[str]:
    """A glob as the YAML language server reads it: `**/` any folders, `*` within a name."""
    pattern = re.escape(glob).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
    return re.compile(pattern)


def editor_schemas() -> dict[str, list[str]]:
    settings = json.loads(EDITOR.read_text(encoding="utf-8"))
    schemas = settings["yaml.schemas"]
    assert isinstance(schemas, dict) and schemas
    return {schema: [globs] if isinstance(globs, str) else globs for schema, globs in schemas.items()}


def test_every_editor_glob_matches_real_files_and_names_a_schema_that_exists() -> None:
    files = tracked_files()
    for schema, globs in editor_schemas().items():
        assert (CHECKOUT / schema).resolve().is_file(), schema
        assert (CHECKOUT / schema).resolve().parent == CHECKOUT / "schema"
        for glob in globs:
            assert [name for name in files if glob_pattern(glob).fullmatch(name)], f"{glob} matches no file"


def test_every_policy_and_corpus_file_is_checked_by_the_editor_against_the_right_schema() -> None:
    """Each file of the checkout's policy/ and corpus/ is matched by one schema, and is valid
    under it as the editor reads it (the YAML language server implements draft 7). Files
    elsewhere that the globs match (the fixtures under tests/) may be wrong on purpose."""
    own = [name for name in tracked_files() if name.endswith(".yaml") and name.split("/")[0] in ("policy", "corpus")]
    assert own
    for name in own:
        schemas = [
            schema for schema, globs in editor_schemas().items() if any(glob_pattern(g).fullmatch(name) for g in globs)
        ]
        assert len(schemas) == 1, f"{name} is checked by {len(schemas)} schemas"
        validator = jsonschema.Draft7Validator(json.loads((CHECKOUT / schemas[0]).read_text(encoding="utf-8")))
        errors = [
            error.message for error in validator.iter_errors(yaml.safe_load((CHECKOUT / name).read_text("utf-8")))
        ]
        assert not errors, (name, errors)


@pytest.mark.parametrize(
    ("schema", "document"),
    [
        ("policy-file", {"rules": [{"id": "r", "title": "t", "topic": "x", "outcom": "billable", "when": {}}]}),
        ("policy-file", {"policy": {"id": "p", "title": "t", "source": "s", "precedence": [], "default": {}}}),
        ("corpus-file", {"cases": [{"name": "n", "facts": {}, "expect": {"outcome": "not_billabel"}}]}),
    ],
)
def test_the_editor_underlines_a_misspelled_key_or_value(schema: str, document: dict[str, Any]) -> None:
    validator = jsonschema.Draft7Validator(
        json.loads((CHECKOUT / "schema" / f"{schema}.schema.json").read_text("utf-8"))
    )
    assert list(validator.iter_errors(document))


# --- CONTRIBUTING.md and its worked example ---------------------------------------------------


@functools.cache
def replay_module() -> ModuleType:
    """`.ci/contributing-example` (a script without the `.py` suffix) as a module."""
    loader = importlib.machinery.SourceFileLoader("contributing_example", str(REPLAY))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # its dataclasses look their module up while being made
    loader.exec_module(module)
    return module


def test_the_replay_script_is_executable() -> None:
    assert os.access(REPLAY, os.X_OK)
    assert REPLAY.read_text(encoding="utf-8").startswith("#!/usr/bin/env python3\n")


def test_the_worked_example_lists_commands_that_exist_with_their_exit_codes() -> None:
    example = replay_module()
    steps = example.worked_example(GUIDE.read_text(encoding="utf-8"))
    patches = [s for s in steps if isinstance(s, example.Patch)]
    runs = [s for s in steps if isinstance(s, example.Command)]
    assert len(patches) >= 2
    for command in runs:
        words = shlex.split(command.command)
        assert words[0] in ("billability", "git"), command
        if words[0] == "billability":
            assert words[1] in commands(), command
    run_after_last_patch = {c.command for c in runs if c.line > patches[-1].line}
    for check in ("validate", "test", "lint", "coverage", "mutate"):
        assert f"billability {check}" in run_after_last_patch
    assert {c.status for c in runs if c.line > patches[-1].line and "diff" not in c.command} == {0}
    assert any(c.command == "billability diff HEAD" and c.status == 1 for c in runs)


def test_the_replay_reads_exit_codes_and_shown_lines() -> None:
    example = replay_module()
    guide = "## Worked example: x\n```diff\n--- a/f\n+++ b/f\n```\n```console\n$ billability test   # exit 1\n...\nline\n```\n## Next\n"
    steps = example.worked_example(guide)
    assert steps[1] == example.Command(7, "billability test", 1, ("...", "line"))
    assert example.missing_lines(("a", "...", "c"), "a\nb\nc\n") == []
    assert example.missing_lines(("c", "a"), "a\nb\nc\n") == ["a"]
    with pytest.raises(example.GuideError, match="exit N"):
        example.worked_example("## Worked example\n```console\n$ billability test\n```\n```diff\n```\n")


# --- the replay and the journey start from a fixed snapshot, not the checkout's policy -------
#
# `.ci/contributing-example` and `.ci/maintainer-journey` run on a scratch copy of the
# repository whose policy/ and corpus/ are the snapshot in tests/fixtures/worked-example.
# Here both run on copies of the repository whose own policy/ and corpus/ are something
# else entirely, and must still pass; and each still fails when it should.


def repository_copy(target: Path) -> Path:
    """The repository's files as on disk (tracked and untracked, not ignored) in `target`,
    added to a git repository of its own there (the scripts list their checkout with git)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=CHECKOUT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        if (CHECKOUT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(CHECKOUT / name, target / name)
    for command in (["git", "init", "--quiet"], ["git", "add", "--all"]):
        subprocess.run(command, cwd=target, check=True, capture_output=True)
    return target


def own_policy_and_corpus(root: Path, source: Path, *edits: tuple[str, str, str]) -> None:
    """The copy's policy/ and corpus/ replaced by those of `source`, each (file, old, new) text replaced once."""
    for folder in ("policy", "corpus"):
        shutil.rmtree(root / folder)
        shutil.copytree(source / folder, root / folder)
    for name, old, new in edits:
        text = (root / name).read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {name}"
        (root / name).write_text(text.replace(old, new, 1), encoding="utf-8")


# A checkout whose policy is not the snapshot's: the small clinic policy, or the snapshot at
# a new version with its 30-day bound written the other way (the change that used to stop
# the replay at its first patch and the journey at its edit of `more_than: 30`).
OTHER_POLICIES = {
    "the clinic policy": (CLINIC,),
    "version 1.1, at_least: 31": (
        SNAPSHOT,
        ("policy/policy.yaml", 'version: "1.0"', 'version: "1.1"'),
        ("policy/rules/connection.yaml", "more_than: 30", "at_least: 31"),
    ),
}


def test_the_snapshot_is_the_policy_the_worked_example_starts_from() -> None:
    policy = load_policy(SNAPSHOT / "policy")
    assert policy.version == "1.0"
    assert "more_than: 30" in (SNAPSHOT / "policy" / "rules" / "connection.yaml").read_text(encoding="utf-8")
    assert (SNAPSHOT / "policy" / "sources").is_dir()
    results = run_cases(policy, load_cases([SNAPSHOT / "corpus"], policy))
    assert results and all(result.passed for result in results)


@pytest.mark.parametrize("other", list(OTHER_POLICIES))
def test_the_replay_and_the_journey_pass_whatever_policy_the_checkout_holds(tmp_path: Path, other: str) -> None:
    source, *edits = OTHER_POLICIES[other]
    root = repository_copy(tmp_path / "repository")
    own_policy_and_corpus(root, source, *edits)
    assert BILLABILITY_COMMAND.is_file(), "the tests need the `billability` command beside their Python"
    # Both at once: each takes a few seconds of its own.
    started = [
        subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for command in (
            [sys.executable, str(root / ".ci" / "contributing-example")],
            [str(root / ".ci" / "maintainer-journey"), str(BILLABILITY_COMMAND)],
        )
    ]
    replay_output, journey_output = (process.communicate(timeout=600)[0] for process in started)
    replay, journey = started
    assert replay.returncode == 0, replay_output[-6000:]
    assert replay_output.rstrip().endswith("every patch applies, every command ends as documented")
    assert "from the policy and corpus of tests/fixtures/worked-example" in replay_output
    assert journey.returncode == 0, journey_output[-6000:]
    assert journey_output.rstrip().endswith("maintainer journey: every step answered as expected")


def guide_of(steps: list[Any]) -> str:
    """A guide whose worked example is these steps, written as CONTRIBUTING.md writes them."""
    example = replay_module()
    blocks = ["## Worked example: the guide's first steps\n\n"]
    for found in steps:
        if isinstance(found, example.Patch):
            blocks.append(f"```diff\n{found.text}```\n\n")
        else:
            shown = "".join(f"{line}\n" for line in found.shown)
            blocks.append(f"```console\n$ {found.command}   # exit {found.status}\n{shown}```\n\n")
    return "".join(blocks) + "## After the example\n"


def replayed(guide: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    written = tmp_path / "CONTRIBUTING.md"
    written.write_text(guide, encoding="utf-8")
    return subprocess.run([sys.executable, str(REPLAY), str(written)], capture_output=True, text=True, timeout=600)


def test_the_replay_fails_when_the_guide_shows_a_wrong_exit_status_or_output_line(tmp_path: Path) -> None:
    """The guide's steps up to its first `billability diff HEAD`, with the exit status of a
    command that fails (validate: version 1.0 is released and the policy changed) written
    as 0 and one shown line of the diff changed."""
    example = replay_module()
    steps = example.worked_example(GUIDE.read_text(encoding="utf-8"))
    end = next(index for index, found in enumerate(steps) if getattr(found, "command", "") == "billability diff HEAD")
    steps = steps[: end + 1]
    validate = next(
        index for index, found in enumerate(steps) if getattr(found, "command", "") == "billability validate"
    )
    assert steps[validate].status == 1
    steps[validate] = dataclasses.replace(steps[validate], status=0)
    diff = steps[end]
    last = max(index for index, line in enumerate(diff.shown) if line != "...")
    wrong = diff.shown[last] + " and more"
    steps[end] = dataclasses.replace(diff, shown=(*diff.shown[:last], wrong, *diff.shown[last + 1 :]))

    done = replayed(guide_of(steps), tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "`billability validate`\n  exit 1, the guide says exit 0" in done.stderr
    # The changed line alone is missing: every other line the guide shows is there.
    assert re.findall(r"output lacks: .*", done.stderr) == [f"output lacks: {wrong}"]


def test_the_replay_stops_when_a_patch_does_not_apply_to_the_snapshot(tmp_path: Path) -> None:
    example = replay_module()
    patch = "--- a/policy/policy.yaml\n+++ b/policy/policy.yaml\n@@ -1,1 +1,1 @@\n-no such line\n+a line\n"
    steps = [example.Patch(1, patch), example.Command(2, "billability validate", 0, ())]
    done = replayed(guide_of(steps), tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the patch does not apply" in done.stderr
    assert "$ billability validate" not in done.stdout  # nothing runs after an edit that failed


@pytest.mark.parametrize("missing", ["", "corpus", "policy/policy.yaml"])
def test_without_the_snapshot_the_replay_and_the_journey_say_so_and_fail(tmp_path: Path, missing: str) -> None:
    root = repository_copy(tmp_path / "repository")
    gone = root / "tests" / "fixtures" / "worked-example" / missing
    if gone.is_dir():
        shutil.rmtree(gone)
    else:
        gone.unlink()
    replay = subprocess.run(
        [sys.executable, str(root / ".ci" / "contributing-example")], capture_output=True, text=True, timeout=600
    )
    assert replay.returncode == 2, replay.stdout + replay.stderr
    assert "the snapshot the worked example starts from is missing (tests/fixtures/worked-example/" in replay.stderr
    assert "never on the checkout's own" in replay.stderr and replay.stdout == ""
    journey = subprocess.run(
        [str(root / ".ci" / "maintainer-journey"), str(BILLABILITY_COMMAND)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert journey.returncode == 1, journey.stdout + journey.stderr
    assert "the snapshot the journey starts from is missing (tests/fixtures/worked-example/" in journey.stderr
    assert "never the checkout's own" in journey.stderr and journey.stdout == ""


JOURNEY = CHECKOUT / ".ci" / "maintainer-journey"


def test_the_journey_fails_when_a_command_passes_that_should_fail(tmp_path: Path) -> None:
    """A `billability` that finds every policy valid: the misspelled value must stop the journey."""
    stand_in(tmp_path, "billability", 'echo "policy/: 8 facts, 33 rules: valid"\n')
    done = subprocess.run([str(JOURNEY), str(tmp_path / "billability")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"maintainer journey: `\S+/billability validate` exited 0, expected 1", done.stderr)


def test_the_journey_fails_when_a_command_shows_the_copys_temporary_folder(tmp_path: Path) -> None:
    """The real `billability`, with the folder it runs in printed after `coverage`, the last step."""
    stand_in(
        tmp_path,
        "billability",
        f"""\
        {shlex.quote(str(BILLABILITY_COMMAND))} "$@"
        status=$?
        if [ "$1" = coverage ]; then pwd; fi
        exit $status
        """,
    )
    done = subprocess.run([str(JOURNEY), str(tmp_path / "billability")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "coverage   # exit 0" in done.stdout  # every step before the check ran
    assert "maintainer journey: an installed or temporary path was shown" in done.stderr


def test_the_contributing_guide_documents_the_pages_setting_and_the_pipeline() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    assert re.search(r"Settings -> Pages -> Build and deployment ->\s+Source: GitHub Actions", guide)
    assert "fork" in guide and "summary" in guide and "changes outcomes" in guide
    # Mutation testing needs no list kept by hand, and the guide names none to edit.
    assert "no list kept by\n  hand" in guide or "no list kept by hand" in guide
    assert "equivalent-mutants" not in guide


# --- one setup for maintainers --------------------------------------------------------------

README = CHECKOUT / "README.md"
MAINTAINERS_PAGE = CHECKOUT / "docs" / "pages" / "maintainers.md"
ACTIVATE = "source .venv/bin/activate"


def _quick_start_commands() -> list[str]:
    """The shell commands of the README's quick start block, comments left out."""
    section = README.read_text(encoding="utf-8").split("## Quick start", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def _setup_lines(text: str) -> list[str]:
    """The lines of `text` that create the virtual environment, and the line after each."""
    lines = [line.strip() for line in text.splitlines()]
    return [f"{line}\n{lines[i + 1]}" for i, line in enumerate(lines[:-1]) if line.startswith("python3 -m venv .venv")]


def test_maintainers_are_given_one_setup_that_puts_billability_on_their_path() -> None:
    tests_command = _quick_start_commands()[1]
    setup, _, run_tests = tests_command.rpartition(" && ")
    assert run_tests == ".venv/bin/python -m pytest"
    assert "-e '.[dev]'" in setup  # editable, with the tools the checks use (pytest, mkdocs, ...)
    expected = f"{setup}\n{ACTIVATE}"
    for document in (README, GUIDE, MAINTAINERS_PAGE):
        text = document.read_text(encoding="utf-8")
        if document == README:  # past the quick start, which the setup is taken from
            text = text.split("## Quick start", 1)[1].split("\n## ", 1)[1]
        found = _setup_lines(text)
        # Every setup a maintainer is shown is the quick start's, then the activation that
        # makes the bare `billability` of every instruction the environment's own.
        assert found, f"{document.name} shows no setup"
        assert set(found) == {expected}, (document.name, found)


def test_the_first_bare_billability_command_of_each_maintainer_document_comes_after_its_setup() -> None:
    for document in (GUIDE, MAINTAINERS_PAGE):
        text = document.read_text(encoding="utf-8")
        first_command = min(match.start() for match in re.finditer(r"^\s*(?:\$ )?billability \w", text, flags=re.M))
        assert text.index(ACTIVATE) < first_command, document.name


# --- the impact on the sample export, beside the diff ------------------------------------------

IMPACT_STAND_IN = """\
case " $* " in
  *" --records "*) echo '| impact: 2 rows change |'; echo "impact $*" >> calls.log; exit {impact} ;;
  *) echo '| a table |'; echo "diff $*" >> calls.log; exit 1 ;;
esac
"""


def sample_env() -> dict[str, str]:
    """The workflow's own setting of the sample export and its mapping."""
    env = workflow(PULL_REQUEST)["env"]
    return {"SAMPLE_EXPORT": env["SAMPLE_EXPORT"], "SAMPLE_MAPPING": env["SAMPLE_MAPPING"]}


def test_the_sample_export_is_set_in_one_place_and_is_the_example_export() -> None:
    env = sample_env()
    assert env == {"SAMPLE_EXPORT": "docs/audit/ehr-export.csv", "SAMPLE_MAPPING": "docs/audit/mapping.yaml"}
    assert all((CHECKOUT / path).is_file() for path in env.values())
    text = PULL_REQUEST.read_text(encoding="utf-8")
    assert text.count("docs/audit/ehr-export.csv") == 1 and text.count("docs/audit/mapping.yaml") == 1


def _with_sample(tmp_path: Path) -> None:
    for path in sample_env().values():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("a,b\n", encoding="utf-8")


@pytest.mark.parametrize("impact", [0, 1])
def test_the_impact_on_the_sample_export_follows_the_diff_in_comment_and_summary(tmp_path: Path, impact: int) -> None:
    (tmp_path / "bin").mkdir()
    stand_in(tmp_path / "bin", "billability", IMPACT_STAND_IN.format(impact=impact))
    _with_sample(tmp_path)
    code, log, summary, outputs = run_step(
        step(PULL_REQUEST, "diff", "diff")["run"], tmp_path, {**DIFF_ENV, **sample_env()}
    )
    assert code == 0, log
    assert summary.index("| a table |") < summary.index("| impact: 2 rows change |")
    comment = re.search(r"^comment<<(\S+)\n(.*)\n\1$", outputs, re.MULTILINE | re.DOTALL)
    assert comment and "| impact: 2 rows change |" in comment.group(2)
    # The label follows the scenarios' diff, as before.
    assert "changed=true" in outputs.splitlines()
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert calls[1] == (
        "impact diff origin/main HEAD --records docs/audit/ehr-export.csv --map docs/audit/mapping.yaml --format markdown"
    )


def test_without_the_sample_files_the_diff_shows_no_impact(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    stand_in(tmp_path / "bin", "billability", IMPACT_STAND_IN.format(impact=1))
    code, log, summary, _ = run_step(step(PULL_REQUEST, "diff", "diff")["run"], tmp_path, {**DIFF_ENV, **sample_env()})
    assert code == 0, log
    assert "impact" not in summary
    assert (tmp_path / "calls.log").read_text().splitlines() == ["diff diff origin/main HEAD --format markdown"]
    code, _, summary, _ = run_step(
        step(PULL_REQUEST, "diff", "diff")["run"], tmp_path, {**DIFF_ENV, "SAMPLE_EXPORT": "", "SAMPLE_MAPPING": ""}
    )
    assert code == 0 and "impact" not in summary


def test_an_impact_that_cannot_be_computed_is_said_in_the_comment(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    stand_in(tmp_path / "bin", "billability", IMPACT_STAND_IN.format(impact=2))
    _with_sample(tmp_path)
    code, log, summary, _ = run_step(step(PULL_REQUEST, "diff", "diff")["run"], tmp_path, {**DIFF_ENV, **sample_env()})
    assert code == 0
    assert "Impact on the sample export could not be computed" in summary
    assert "::error title=Impact on the sample export::" in log
