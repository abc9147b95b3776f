"""`billability diff BASE --records EXPORT --map MAPPING`, as a maintainer runs it in a
repository of the clinic fixture: the rows and minutes that change outcome between a git
revision and the working tree, worded as staff read outcomes; its exit statuses; its HTML
page (self-contained, naming both versions and the inputs' SHA-256), written whole or
not at all and never over an input; its Markdown for a pull request; and a run stopped by
a signal, which leaves nothing behind."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audit_inputs import ENGINES, EXPORT, MAPPING
from command_line import run
from history_repos import VIDEO_NOT_BILLABLE, apply, committed_checkout

BILLABILITY = Path(sys.executable).parent / "billability"
# The clinic export's one video call to a provider (S3, 20 minutes).
VIDEO_CALL = "S3"


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The clinic checkout committed on `main`, the working folder, with the clinic export
    and its mapping beside its policy."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = committed_checkout(tmp_path / "repo")
    (root / "export.csv").write_text(EXPORT, encoding="utf-8")
    (root / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("engine", ENGINES)
def test_the_rows_that_change_outcome_are_counted_and_shown(repository: Path, engine: str) -> None:
    apply(repository, *VIDEO_NOT_BILLABLE)
    status, output, errors = run("diff", "main", "--records", "export.csv", "--map", "mapping.yaml", "--engine", engine)
    assert (status, errors) == (1, "")
    assert output.startswith("impact of main (clinic version ") and " -> working tree (clinic version " in output
    assert "1 of 11 rows change outcome, 20 minutes; 10 rows keep theirs" in output
    assert "  Needs review -> Not billable: 1 row, 20 minutes\n" in output
    assert "    before: provider-call-video (1 row)\n    after: provider-call-video (1 row)\n" in output
    assert f"    row 3: service_id {VIDEO_CALL}," in output


def test_no_row_changing_exits_0(repository: Path) -> None:
    status, output, _ = run("diff", "main", "--records", "export.csv", "--map", "mapping.yaml")
    assert status == 0
    assert "no row changes outcome: all 11 rows keep theirs" in output


def test_the_report_names_both_versions_and_the_inputs_and_is_self_contained(repository: Path) -> None:
    apply(repository, *VIDEO_NOT_BILLABLE)
    status, output, _ = run(
        "diff", "main", "--records", "export.csv", "--map", "mapping.yaml", "--report", "impact.html"
    )
    assert status == 1
    assert output.endswith("wrote the report to impact.html\n")
    page = (repository / "impact.html").read_text(encoding="utf-8")
    assert "http" not in page and "<script" not in page and "<link" not in page
    assert sha256(repository / "export.csv") in page and sha256(repository / "mapping.yaml") in page
    assert "<code>main</code>: <code>clinic</code>, version" in page
    assert "<code>working tree</code>: <code>clinic</code>, version" in page
    assert "<td>Needs review → Not billable</td>" in page
    assert [p.name for p in repository.iterdir() if p.name.startswith(".") and p.name != ".git"] == []


def test_markdown_marks_its_comment(repository: Path) -> None:
    apply(repository, *VIDEO_NOT_BILLABLE)
    status, output, _ = run("diff", "main", "--records", "export.csv", "--map", "mapping.yaml", "--format", "markdown")
    assert status == 1
    assert output.splitlines()[0] == "<!-- billability-impact -->"
    assert (
        "| Needs review → Not billable | provider-call-video (1 row) | provider-call-video (1 row) | 1 | 20 | 3 |"
        in output
    )


# --- mistakes: exit 2, located, nothing written ------------------------------------------------


@pytest.mark.parametrize(
    ("options", "option"),
    [
        (["--report", "impact.html"], "--report"),
        (["--map", "mapping.yaml"], "--map"),
        (["--engine", "python"], "--engine"),
        (["--encoding", "cp1252"], "--encoding"),
    ],
)
def test_an_export_option_without_records_is_refused_with_a_hint(
    repository: Path, options: list[str], option: str
) -> None:
    status, output, errors = run("diff", "main", *options)
    assert status == 2 and output == ""
    assert f"option {option} `{options[1]}`: error[cli.records-option]" in errors
    assert "add `--records EXPORT --map MAPPING`" in errors
    assert not (repository / "impact.html").exists()


@pytest.mark.parametrize("target", ["export.csv", "./mapping.yaml", "policy/policy.yaml"])
def test_the_report_never_overwrites_an_input(repository: Path, target: str) -> None:
    before = (repository / target).read_bytes()
    status, _, errors = run("diff", "main", "--records", "export.csv", "--map", "mapping.yaml", "--report", target)
    assert status == 2
    assert f"option --report `{target}`: error[file.same]" in errors
    assert (repository / target).read_bytes() == before


def test_a_missing_export_and_a_report_in_no_folder_are_both_located(repository: Path) -> None:
    status, _, errors = run(
        "diff", "main", "--records", "missing.csv", "--map", "mapping.yaml", "--report", "nowhere/impact.html"
    )
    assert status == 2
    assert "missing.csv: error[file.unreadable]" in errors
    assert "error[file.unwritable]: the folder to write into does not exist" in errors
    assert "Traceback" not in errors


def test_the_corpus_is_not_run_on_an_export(repository: Path) -> None:
    status, _, errors = run("diff", "main", "--records", "export.csv", "--corpus", "corpus")
    assert status == 2 and "error[cli.records-option]" in errors


def test_the_help_says_the_service_dates_are_not_used() -> None:
    status, output, _ = run("diff", "--help")
    assert status == 0
    assert "whatever its service date" in " ".join(output.split())
    assert "billability diff main --records" in output


# --- a signal stops it: nothing written, no temporary file left ---------------------------------

SIGNALLED_ROWS = 600_000


def _signals_as_at_a_terminal() -> None:
    for stopping in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stopping, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(("stopping", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_it_and_leaves_nothing_behind(
    repository: Path, tmp_path: Path, stopping: signal.Signals, status: int
) -> None:
    apply(repository, *VIDEO_NOT_BILLABLE)
    header, *lines = EXPORT.splitlines()
    big = "\r\n".join([header, *lines * (SIGNALLED_ROWS // len(lines))]) + "\r\n"
    (repository / "export.csv").write_text(big, encoding="utf-8", newline="")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    given = ["--records", "export.csv", "--map", "mapping.yaml", "--report", "impact.html"]
    process = subprocess.Popen(
        [str(BILLABILITY), "diff", "main", *given],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(scratch)},
        preexec_fn=_signals_as_at_a_terminal,
    )
    deadline = time.monotonic() + 60
    # Once a side's staged rows are being written, DuckDB is deciding.
    while not list(scratch.glob("billability-*/side-0.parquet")):
        assert process.poll() is None and time.monotonic() < deadline, "the run ended before deciding"
        time.sleep(0.005)
    process.send_signal(stopping)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == status, stderr.decode()
    assert stderr.decode() == f"stopped by {stopping.name}: nothing was written\n"
    assert stdout == b""
    assert not (repository / "impact.html").exists()
    assert list(scratch.iterdir()) == []
