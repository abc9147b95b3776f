"""What `billability audit` and `billability.audit.run.audit_file` promise about files, with
both engines: an output path that is an input or the other output, by any spelling or
link, is refused before anything runs; a missing folder is a located error; a run
stopped by SIGINT or SIGTERM (real signals, sent to a command auditing an export big
enough to be still running) exits 130 or 143 with one line, leaves no file behind and
earlier outputs as they were; `--fail-on` names at least one outcome, each once."""

from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audit_inputs import ENGINES, EXPORT, MAPPING, audit
from billability.audit.run import audit_file
from billability.model.diagnostics import Problems
from billability.policy.compiled import Policy
from policy_texts import CLINIC

BILLABILITY = Path(sys.executable).parent / "billability"


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (hidden ones included), by its path within it, and its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A folder with the export, its mapping, a copy of the clinic policy and last month's outputs."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "export.csv").write_text(EXPORT, encoding="utf-8")
    (tmp_path / "in" / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "policy").mkdir()
    for source in (CLINIC / "policy").rglob("*"):
        if source.is_file():
            copied = tmp_path / "policy" / source.relative_to(CLINIC / "policy")
            copied.parent.mkdir(parents=True, exist_ok=True)
            copied.write_bytes(source.read_bytes())
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "audited.csv").write_text("last month's rows\n", encoding="utf-8")
    (tmp_path / "out" / "audit.html").write_text("last month's report\n", encoding="utf-8")
    return tmp_path


def run_in(folder: Path, *options: str) -> tuple[int, str, str]:
    """`billability audit in/export.csv --map in/mapping.yaml --policy policy OPTIONS`, run in `folder`."""
    before = Path.cwd()
    os.chdir(folder)
    try:
        return audit(Path("in/export.csv"), Path("in/mapping.yaml"), "--policy", "policy", *options)
    finally:
        os.chdir(before)


# --- outputs over inputs or over each other, by any name: refused, nothing written ----------


def _links(folder: Path) -> None:
    (folder / "out" / "export-link.csv").symlink_to(folder / "in" / "export.csv")
    (folder / "out-link").symlink_to(folder / "out", target_is_directory=True)
    os.link(folder / "in" / "mapping.yaml", folder / "out" / "mapping-copy.html")


# (options, the option refused and its path as given)
ALIASES = [
    (["--report", "in/export.csv"], "--report", "in/export.csv"),
    (["-o", "./in/export.csv"], "--output", "./in/export.csv"),
    (["-o", "out/new.csv", "--report", "out/../out/new.csv"], "--report", "out/../out/new.csv"),
    (["-o", "out/audited.csv", "--report", "./out/audited.csv"], "--report", "./out/audited.csv"),
    (["-o", "out/new.csv", "--report", "out-link/new.csv"], "--report", "out-link/new.csv"),
    (["--report", "in/mapping.yaml"], "--report", "in/mapping.yaml"),
    (["--report", "out/../in/mapping.yaml"], "--report", "out/../in/mapping.yaml"),
    (["-o", "out/export-link.csv"], "--output", "out/export-link.csv"),
    (["--report", "out/mapping-copy.html"], "--report", "out/mapping-copy.html"),
    (["--report", "policy/policy.yaml"], "--report", "policy/policy.yaml"),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("options", "option", "given"), ALIASES)
def test_an_output_that_is_an_input_or_the_other_output_is_refused(
    inputs: Path, engine: str, options: list[str], option: str, given: str
) -> None:
    _links(inputs)
    before = files_in(inputs)
    status, stdout, stderr = run_in(inputs, *options, "--engine", engine)
    assert status == 2, stderr
    assert f"option {option} `{given}`: error[file.same]: this would overwrite " in stderr
    assert "hint: name another file" in stderr and "Traceback" not in stderr
    assert stdout == ""
    assert files_in(inputs) == before


def test_the_refusal_names_what_would_be_overwritten(inputs: Path) -> None:
    _, _, stderr = run_in(inputs, "-o", "out/audited.csv", "--report", "out/audited.csv")
    assert "this would overwrite the rows written by `--output`" in stderr
    _, _, stderr = run_in(inputs, "--report", "policy/policy.yaml")
    assert "this would overwrite the policy file `" in stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_distinct_outputs_beside_the_inputs_are_written(inputs: Path, engine: str) -> None:
    _links(inputs)
    status, _, stderr = run_in(inputs, "-o", "in/audited.csv", "--report", "out/audit.html", "--engine", engine)
    assert status == 0, stderr
    assert (inputs / "in" / "export.csv").read_text(encoding="utf-8") == EXPORT
    assert (inputs / "out" / "audit.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# --- a folder that does not exist --------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("option", ["-o", "--report"])
def test_a_missing_output_folder_is_a_located_error(inputs: Path, engine: str, option: str) -> None:
    before = files_in(inputs)
    status, stdout, stderr = run_in(inputs, option, "nodir/z.csv", "--engine", engine)
    assert status == 2, stderr
    assert "nodir/z.csv: error[file.unwritable]: the folder to write into does not exist" in stderr
    assert "Traceback" not in stderr and stdout == ""
    assert files_in(inputs) == before and not (inputs / "nodir").exists()


def test_an_output_that_is_a_folder_is_refused(inputs: Path) -> None:
    status, _, stderr = run_in(inputs, "--report", "out")
    assert status == 2
    assert "option --report `out`: error[file.unwritable]: this is a folder, not a file" in stderr


# --- --fail-on -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", ",", " , ,"])
def test_fail_on_naming_no_outcome_is_refused(inputs: Path, text: str) -> None:
    before = files_in(inputs)
    status, stdout, stderr = run_in(inputs, "-o", "out/new.csv", "--fail-on", text)
    assert status == 2
    assert f"option --fail-on `{text}`: error[cli.fail-on]: no outcome is named" in stderr
    assert "hint: name one or more outcomes" in stderr and "`not_billable`" in stderr
    assert stdout == "" and files_in(inputs) == before


def test_an_outcome_named_twice_counts_once(inputs: Path) -> None:
    status, _, stderr = run_in(inputs, "--fail-on", "invalid, invalid,needs_review,invalid")
    assert status == 1
    assert stderr.splitlines()[-1] == "failing because of --fail-on: 3 invalid, 1 needs_review"


# --- the function -------------------------------------------------------------------------


def test_audit_file_does_what_the_command_does(inputs: Path, clinic: Policy) -> None:
    status, _, stderr = run_in(inputs, "-o", "out/by-command.jsonl", "--report", "out/by-command.html")
    assert status == 0, stderr
    summary = audit_file(
        inputs / "in" / "export.csv",
        mapping=inputs / "in" / "mapping.yaml",
        output=inputs / "out" / "by-function.jsonl",
        report=str(inputs / "out" / "by-function.html"),
        policy=clinic,
    )
    assert summary.rows == 11 and summary.count("invalid") == 3 and summary.engine == "duckdb"
    out = inputs / "out"
    assert (out / "by-function.jsonl").read_bytes() == (out / "by-command.jsonl").read_bytes()
    assert (out / "by-function.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    by_python = audit_file(
        inputs / "in" / "export.csv", mapping=inputs / "in" / "mapping.yaml", policy=clinic, engine="python"
    )
    assert by_python.by_outcome == summary.by_outcome and by_python.engine == "python"


def test_audit_file_takes_its_options_by_name_only() -> None:
    parameters = list(inspect.signature(audit_file).parameters.values())
    assert parameters[0].name == "records" and parameters[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[1:])


def test_audit_file_raises_every_located_problem_and_writes_nothing(inputs: Path) -> None:
    (inputs / "in" / "mapping.yaml").write_text(MAPPING.replace("column: note", "column: notes"), encoding="utf-8")
    before = files_in(inputs)
    with pytest.raises(Problems) as raised:
        audit_file(
            inputs / "in" / "export.csv",
            mapping=inputs / "in" / "mapping.yaml",
            output=inputs / "out" / "new.csv",
            report=inputs / "in" / "export.csv",
            policy=inputs / "policy",
            engine="spark",
        )
    codes = sorted(d.code for d in raised.value.diagnostics)
    assert codes == ["audit.engine", "file.same", "mapping.unknown-column"]
    assert all(d.location is not None for d in raised.value.diagnostics)
    assert files_in(inputs) == before


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_interrupted_audit_file_leaves_nothing_behind(
    inputs: Path, clinic: Policy, engine: str, suffix: str
) -> None:
    (inputs / "out" / f"audited{suffix}").write_text("last month's rows\n", encoding="utf-8")
    before = files_in(inputs)

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        audit_file(
            inputs / "in" / "export.csv",
            mapping=inputs / "in" / "mapping.yaml",
            output=inputs / "out" / f"audited{suffix}",
            report=inputs / "out" / "audit.html",
            policy=clinic,
            engine=engine,
            progress=interrupt,
        )
    assert files_in(inputs) == before


# --- signals, sent to the command while it runs ---------------------------------------------

SIGNALLED_ROWS = 600_000


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clinic export repeated to a few hundred thousand rows, as an EHR writes it (a
    byte order mark, CRLF line ends, codes padded or in lower case), and its mapping."""
    folder = tmp_path_factory.mktemp("big")
    header, *lines = EXPORT.splitlines()
    lines += [lines[0].replace(",LCSW,", ", lcsw ,"), lines[1].replace("Benefits", "benefits ")]
    text = "\ufeff" + "\r\n".join([header, *lines * (SIGNALLED_ROWS // len(lines))]) + "\r\n"
    (folder / "export.csv").write_text(text, encoding="utf-8", newline="")
    (folder / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    return folder


def _signals_as_at_a_terminal() -> None:
    for stopping in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stopping, signal.SIG_DFL)


def _signalled(
    big_export: Path, out: Path, engine: str, stopping: signal.Signals, stderr: int | None
) -> subprocess.Popen[bytes]:
    """The command auditing the big export into `out`, sent `stopping` once the engine's
    own hidden file shows that it is reading, deciding and writing (in DuckDB's engine,
    that a DuckDB statement runs)."""
    given = [big_export / "export.csv", "--map", big_export / "mapping.yaml", "--policy", CLINIC / "policy"]
    outputs = ["-o", out / "audited.csv", "--report", out / "audit.html", "--engine", engine]
    process = subprocess.Popen(
        [str(BILLABILITY), "audit", *map(str, given), *map(str, outputs)],
        stdout=subprocess.PIPE,
        stderr=stderr if stderr is not None else subprocess.PIPE,
        # Started as at a terminal, whatever the run's own start: a run put in the
        # background by a shell ignores SIGINT, and the command keeps what it was given.
        preexec_fn=_signals_as_at_a_terminal,
    )
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".") and p.name.endswith(".part") for p in out.iterdir()):
        assert process.poll() is None and time.monotonic() < deadline, "the audit ended before writing"
        time.sleep(0.005)
    time.sleep(0.1)
    process.send_signal(stopping)
    return process


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("stopping", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_audit_and_leaves_nothing_behind(
    big_export: Path, inputs: Path, engine: str, stopping: signal.Signals, status: int
) -> None:
    out = inputs / "out"
    before = files_in(out)
    process = _signalled(big_export, out, engine, stopping, None)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == status, stderr.decode()
    assert stderr.decode() == f"stopped by {stopping.name}: nothing was written\n"
    assert stdout == b""
    assert files_in(out) == before  # no hidden part file, no DuckDB temporary file, last month's outputs


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and terminals")
@pytest.mark.parametrize("engine", ENGINES)
def test_ctrl_c_at_a_terminal_stops_the_progress_bar_too(big_export: Path, inputs: Path, engine: str) -> None:
    import pty

    out = inputs / "out"
    before = files_in(out)
    terminal, its_end = pty.openpty()
    try:
        process = _signalled(big_export, out, engine, signal.SIGINT, its_end)
    finally:
        os.close(its_end)
    shown = b""
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # the command has closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(terminal)
    assert process.wait(timeout=120) == 130
    assert shown.endswith(b"stopped by SIGINT: nothing was written\r\n")
    assert b"Traceback" not in shown and b"interrupted" not in shown
    assert files_in(out) == before
