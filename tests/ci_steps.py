"""The steps of `.ci/run` that read the policy, run one after another in a checkout (a
scratch copy of the repository) as CI runs them, each with its exit status and output.

In: a checkout; as a script, `python tests/ci_steps.py CHECKOUT REPORT`.
Out: a `StepResult` per step (the script writes them to REPORT as JSON, which
`finish_steps` reads back).

Commands run with the `billability` and the Python of the interpreter running this
module, in the checkout, with its environment (a caller puts the checkout's `src/` first
on PYTHONPATH, so that the package is the checkout's). Outputs (the built site, the
audited rows) go to a temporary folder of their own. `in_ci` is each step's text in
`.ci/run`, so a test can check the two still agree.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from background import start_lowered

# The longest one step may take.
STEP_TIMEOUT = 600
# The end of a step's output kept for its report.
KEPT = 6000


@dataclass(frozen=True, slots=True)
class Ran:
    """What a step's command did: its exit status and output, and where its files went."""

    status: int
    stdout: str
    stderr: str
    checkout: Path
    outputs: Path


@dataclass(frozen=True, slots=True)
class Step:
    """One command of CI, with `{billability}`, `{python}` and `{outputs}` in its words, and
    what must hold besides exit status 0 (`check` returns what is wrong, or None)."""

    name: str
    command: tuple[str, ...]
    in_ci: str
    check: Callable[[Ran], str | None] | None = None


@dataclass(frozen=True, slots=True)
class StepResult:
    name: str
    command: str
    status: int
    seconds: float
    problem: str | None  # what is wrong besides the exit status, if anything
    output: str  # the end of stdout and stderr

    @property
    def passed(self) -> bool:
        return self.status == 0 and self.problem is None


def _regions(ran: Ran) -> str | None:
    """`table --format json` prints a document with its regions, as CI counts them."""
    try:
        regions = json.loads(ran.stdout)["regions"]
    except (ValueError, KeyError, TypeError) as error:
        return f"the output is not a JSON document with `regions`: {error}"
    return None if isinstance(regions, list) and regions else "the document lists no regions"


def _rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as file:
        return sum(1 for _ in csv.DictReader(file))


AUDIT_EXPORT = "docs/audit/ehr-export.csv"


def _as_many_rows(ran: Ran) -> str | None:
    """The audited file has as many rows as the export, as CI checks."""
    audited, given = ran.outputs / "audited.csv", ran.checkout / AUDIT_EXPORT
    if not audited.is_file():
        return "the audit wrote no rows"
    rows, expected = _rows(audited), _rows(given)
    return None if rows == expected else f"{rows} rows out for {expected} rows in"


def _billability(*arguments: str) -> tuple[str, ...]:
    return ("{billability}", *arguments)


STEPS = (
    Step("validate", _billability("validate"), "billability validate"),
    Step("test", _billability("test"), "billability test"),
    Step("lint", _billability("lint"), "billability lint"),
    Step("lint-github", _billability("lint", "--format", "github"), "billability lint --format github"),
    Step("table", _billability("table"), "billability table"),
    Step("table-csv", _billability("table", "--format", "csv"), "billability table --format csv"),
    Step("table-json", _billability("table", "--format", "json"), "billability table --format json", _regions),
    Step("diff", _billability("diff", "policy", "policy"), "billability diff policy policy"),
    Step(
        "diff-markdown",
        _billability("diff", "policy", "policy", "--format", "markdown"),
        "billability diff policy policy --format markdown",
    ),
    Step("bench", ("{python}", "bench/table_build.py", "5"), "python bench/table_build.py 5"),
    Step(
        "audit",
        _billability(
            "audit",
            AUDIT_EXPORT,
            "--map",
            "docs/audit/mapping.yaml",
            "-o",
            "{outputs}/audited.csv",
            "--report",
            "{outputs}/audit.html",
        ),
        f"billability audit {AUDIT_EXPORT} --map docs/audit/mapping.yaml",
        _as_many_rows,
    ),
    Step("mutate", _billability("mutate"), "billability mutate"),
    Step("coverage", _billability("coverage"), "billability coverage"),
    Step(
        "site",
        ("{python}", "-m", "mkdocs", "build", "--strict", "-f", "docs/mkdocs.yml", "-d", "{outputs}/site"),
        "mkdocs build --strict -f docs/mkdocs.yml",
    ),
    Step("contributing-example", ("{python}", ".ci/contributing-example"), "python .ci/contributing-example"),
    Step("maintainer-journey", (".ci/maintainer-journey", "{billability}"), ".ci/maintainer-journey"),
)


def billability_command() -> Path:
    """The `billability` installed beside this interpreter."""
    return Path(sys.executable).parent / "billability"


def run_step(step: Step, checkout: Path, outputs: Path, environment: Mapping[str, str]) -> StepResult:
    words = {"billability": str(billability_command()), "python": sys.executable, "outputs": str(outputs)}
    command = [word.format(**words) for word in step.command]
    shown = " ".join(step.command).format(billability="billability", python="python", outputs="<outputs>")
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=checkout, env=dict(environment), capture_output=True, text=True, timeout=STEP_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return StepResult(step.name, shown, -1, time.perf_counter() - start, f"it did not run to the end: {error}", "")
    seconds = time.perf_counter() - start
    problem = None
    if done.returncode == 0 and step.check is not None:
        problem = step.check(Ran(done.returncode, done.stdout, done.stderr, checkout, outputs))
    output = (done.stdout + ("\n" if done.stdout and done.stderr else "") + done.stderr)[-KEPT:]
    return StepResult(step.name, shown, done.returncode, seconds, problem, output)


def run_steps(checkout: Path) -> list[StepResult]:
    """Every step in `checkout`, in order, each one whatever the others did."""
    with tempfile.TemporaryDirectory(prefix="ci-outputs-") as folder:
        return [run_step(step, checkout, Path(folder), os.environ) for step in STEPS]


def start_steps(
    checkout: Path, report: Path, environment: Mapping[str, str] | None = None, nice: int = 0
) -> subprocess.Popen[str]:
    """This module run as a script on `checkout`, writing its report to `report`; `nice`
    lowers its priority and its children's (where the system allows it)."""
    return start_lowered(
        [sys.executable, str(Path(__file__).resolve()), str(checkout), str(report)], None, environment, nice
    )


def finish_steps(process: subprocess.Popen[str], report: Path, timeout: float | None = None) -> list[StepResult]:
    """The steps' results, once the script has finished; a `RuntimeError` saying what it
    printed when it wrote no report."""
    output, _ = process.communicate(timeout=timeout)
    if not report.is_file():
        raise RuntimeError(f"the steps wrote no report (exit {process.returncode}):\n{output[-KEPT:]}")
    return [StepResult(**entry) for entry in json.loads(report.read_text(encoding="utf-8"))]


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {argv[0]} CHECKOUT REPORT", file=sys.stderr)
        return 2
    results = run_steps(Path(argv[1]).resolve())
    Path(argv[2]).write_text(json.dumps([asdict(result) for result in results], indent=1), encoding="utf-8")
    for result in results:
        verdict = (
            "ok" if result.passed else f"FAILED (exit {result.status}{'; ' + result.problem if result.problem else ''})"
        )
        print(f"{result.name}: {verdict} in {result.seconds:.1f} s")
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
