"""Every command's `--policy` takes a git revision as well as a file or folder: the
checkout's policy folder as it stood there (and, for the commands that run the corpus,
the corpus beside it unless one is given), named `REV:path` in every line printed, read
into a temporary folder that is gone after the command, also when it fails. A folder
that exists wins over a revision of its name; a name that is neither is one
`file.not-found` problem, never a traceback.

The commands run in a repository of the clinic fixture with two commits: the first as
the fixture is (a hand-off more than 14 days after discharge is not billable), the second
widening that window to 21 days, with its corpus.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from audit_inputs import ENGINES, MAPPING
from command_line import run
from history_repos import BROKEN, WINDOW_21, apply, commit, committed_checkout

# The second commit's corpus: a hand-off 15 days after discharge is billable now, one of
# 22 days is not.
CORPUS_21 = (
    (
        "corpus/cases.yaml",
        "  - name: A hand-off 15 days after discharge is not billable\n"
        "    facts: {provider_credential: counselor, activity: handoff, documented: true, days_since_discharge: 15}\n"
        "    expect: {outcome: not_billable, rules: [handoff-window]}\n",
        "  - name: A hand-off 15 days after discharge is billable\n"
        "    facts: {provider_credential: counselor, activity: handoff, documented: true, days_since_discharge: 15}\n"
        "    expect: {outcome: billable, rules: [handoff]}\n"
        "\n"
        "  - name: A hand-off 22 days after discharge is not billable\n"
        "    facts: {provider_credential: counselor, activity: handoff, documented: true, days_since_discharge: 22}\n"
        "    expect: {outcome: not_billable, rules: [handoff-window]}\n",
    ),
)
HANDOFF_15 = ("provider_credential=counselor", "activity=handoff", "documented=true", "days_since_discharge=15")
EXPORT = (
    "service_id,staff_name,staff_credential,program,service_type,contact_method,note,days,minutes\n"
    "S1,Staff 01,LCSW,OP,Handoff,,Y,15,10\n"
    "S2,Staff 01,LCSW,OP,Benefits,,,,30\n"
)


@pytest.fixture
def temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where temporary folders are made during the test, to see that none is left and
    that no output names one."""
    folder = tmp_path / "temporary"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, temporary: Path) -> Path:
    """The clinic checkout committed, then its hand-off window widened to 21 days with
    its corpus and committed again; the working folder."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = committed_checkout(tmp_path / "repo")
    apply(root, *WINDOW_21, *CORPUS_21)
    commit(root, "A hand-off is billable within 21 days of discharge")
    (root / "export.csv").write_text(EXPORT, encoding="utf-8")
    (root / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def clean(output: str, temporary: Path) -> bool:
    """Whether the output names no temporary folder (the reader's are `billability-` and
    eight letters or digits, as `tempfile` names them)."""
    return (
        str(temporary) not in output
        and str(temporary.resolve()) not in output
        and re.search(r"billability-[a-z0-9_]{8}(?![a-z0-9_-])", output) is None
    )


def outcome_of(decision_text: str) -> str:
    """The outcome `check` prints on its first line, as the policy names it."""
    return decision_text.splitlines()[0].lower().replace(" ", "_")


@pytest.mark.parametrize(
    ("policy", "outcome", "named"),
    [("HEAD~1", "not_billable", "HEAD~1:policy/"), ("HEAD", "billable", "HEAD:policy/"), (None, "billable", "policy/")],
    ids=["the older revision", "the newer revision", "the working tree"],
)
def test_check_decides_with_the_policy_at_the_revision(
    repository: Path, temporary: Path, policy: str | None, outcome: str, named: str
) -> None:
    status, out, err = run("check", *HANDOFF_15, *(["--policy", policy] if policy else []))
    assert status == 0, err
    assert outcome_of(out) == outcome
    assert out.splitlines()[-1] == f"(decided by the policy in {named})"
    assert clean(out + err, temporary)
    assert list(temporary.iterdir()) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_audit_decides_each_row_with_the_policy_at_the_revision(repository: Path, temporary: Path, engine: str) -> None:
    outcomes = {}
    for policy in ("HEAD~1", "HEAD"):
        written = repository / f"audited-{policy}.csv"
        status, out, err = run(
            "audit", "export.csv", "--map", "mapping.yaml", "--engine", engine, "--policy", policy, "-o", str(written)
        )
        assert status == 0, err
        assert clean(out + err, temporary)
        with written.open(encoding="utf-8", newline="") as file:
            outcomes[policy] = [(row["service_id"], row["outcome"], row["rules"]) for row in csv.DictReader(file)]
    assert outcomes["HEAD~1"][0][1:] == ("not_billable", "handoff-window")
    assert outcomes["HEAD"][0][1:] == ("billable", "handoff")
    assert outcomes["HEAD~1"][1] == outcomes["HEAD"][1]
    assert list(temporary.iterdir()) == []


def test_test_runs_the_corpus_at_the_revision_unless_one_is_given(repository: Path, temporary: Path) -> None:
    status, out, err = run("test", "--policy", "HEAD~1")
    assert (status, out.splitlines()[-1]) == (0, "HEAD~1:corpus/ against HEAD~1:policy/: 15 passed, 0 failed"), err
    status, out, err = run("test", "--policy", "HEAD~1", "--corpus", "corpus/")
    assert status == 1
    assert "corpus/cases.yaml:28:5: FAIL: A hand-off 15 days after discharge is billable" in out.splitlines()
    assert out.splitlines()[-1] == "corpus/ against HEAD~1:policy/: 15 passed, 1 failed"
    status, out, err = run("test")
    assert (status, out.splitlines()[-1]) == (0, "corpus/ against policy/: 16 passed, 0 failed")
    assert clean(out + err, temporary)
    assert list(temporary.iterdir()) == []


@pytest.mark.parametrize(
    ("command", "last"),
    [
        (("validate",), "HEAD~1:corpus/: 15 cases in 1 file: valid"),
        (("table", "--format", "csv"), None),
        (("lint",), "0 errors, 2 warnings, 0 notes in HEAD~1:policy/"),
        (("coverage",), "HEAD~1:policy/: rules: 9/9 decide a case"),
        (("mutate",), "mutants of HEAD~1:policy/"),
        (("sql",), None),
    ],
    ids=["validate", "table", "lint", "coverage", "mutate", "sql"],
)
def test_every_other_command_reads_the_revision(
    repository: Path, temporary: Path, command: tuple[str, ...], last: str | None
) -> None:
    status, out, err = run(*command, "--policy", "HEAD~1")
    assert status in (0, 1), err
    if last is not None:
        assert last in out.splitlines()[-1]
    if command[0] == "table":
        assert err.splitlines()[-1].endswith(" of HEAD~1:policy/")
    assert clean(out + err, temporary)
    assert list(temporary.iterdir()) == []


def test_a_broken_policy_at_a_revision_is_located_there(repository: Path, temporary: Path) -> None:
    apply(repository, *BROKEN)
    commit(repository, "broken")
    status, out, err = run("check", "--policy", "HEAD", "activity=benefits")
    assert status == 2
    assert err.startswith("HEAD:policy/rules/connection.yaml:")
    assert "error[" in err and "Traceback" not in out + err
    assert clean(out + err, temporary)
    assert list(temporary.iterdir()) == []


def test_a_folder_that_exists_wins_over_a_branch_of_its_name(repository: Path, temporary: Path) -> None:
    # `main` is the branch with the 21-day window; the folder `main/` holds the 14-day one.
    shutil.copytree(repository / "policy", repository / "main")
    apply(repository / "main", ("rules/connection.yaml", "more_than: 21", "more_than: 14"))
    status, out, _ = run("check", *HANDOFF_15, "--policy", "main")
    assert (status, outcome_of(out), out.splitlines()[-1]) == (0, "not_billable", "(decided by the policy in main/)")
    shutil.rmtree(repository / "main")
    status, out, _ = run("check", *HANDOFF_15, "--policy", "main")
    assert (status, outcome_of(out), out.splitlines()[-1]) == (0, "billable", "(decided by the policy in main:policy/)")


@pytest.mark.parametrize(
    ("command", "status"),
    [
        (("check", "activity=benefits"), 2),
        (("table",), 2),
        (("validate",), 1),
        (("test",), 2),
        (("lint",), 1),
        (("mutate",), 2),
        (("coverage",), 2),
        (("audit", "export.csv", "--map", "mapping.yaml"), 2),
        (("audit", "export.csv", "--map", "mapping.yaml", "--engine", "python"), 2),
        (("sql",), 2),
    ],
    ids=["check", "table", "validate", "test", "lint", "mutate", "coverage", "audit-duckdb", "audit-python", "sql"],
)
def test_a_name_that_is_neither_a_folder_nor_a_revision_is_not_found(
    repository: Path, temporary: Path, command: tuple[str, ...], status: int
) -> None:
    code, out, err = run(*command, "--policy", "no-such-branch")
    assert code == status
    assert err.splitlines() == [
        "error[file.not-found]: no policy file or folder `no-such-branch`",
        "  hint: `no-such-branch` is neither a file or folder here nor a git revision",
        "1 error",
    ]
    assert out == ""
    assert list(temporary.iterdir()) == []


def test_outside_a_git_repository_the_hint_says_revisions_need_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    status, out, err = run("audit", "export.csv", "--policy", "main")
    assert (status, out) == (2, "")
    assert err.splitlines()[0] == "error[file.not-found]: no policy file or folder `main`"
    assert "revisions need a git repository" in err.splitlines()[1]
