"""A maintainer's correct change to the policy and the corpus passes every step of CI that
reads the policy: nothing else pins what the policy decides.

Two changes a maintainer makes (tests/maintainer_changes.py) are each made whole, policy
and corpus, in a scratch copy of the repository:

- a new activity with its billable rule and a corpus case, under a new topic;
- the version raised and a comparison written another way that means the same
  (`more_than: 30` as `at_least: 31`).

Both adapt to whatever the policy holds, so they can be made whatever it decides. In each
copy, every step of `.ci/run` that reads the policy runs as CI runs it (tests/ci_steps.py):
`billability validate`, `test`, `lint`, `table`, `diff policy policy`, the benchmark,
the audit of the example export, `mutate`, `coverage`, the strict site build, the replay
of CONTRIBUTING's worked example and the maintainer's journey. Each step is an item of its
own, so a failure names the change and the step.

The copies' steps start as soon as pytest has selected these tests (see conftest.py):
one process per copy, at the same time as each other and as the rest of the suite, at a
lower priority. The copy's `src/` comes first on the import path, so the commands run the
copy's package on the copy's policy.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import background
from billability.model.diagnostics import Problems
from ci_steps import STEPS, StepResult, billability_command, finish_steps, start_steps
from maintainer_changes import CHANGES, Change, copy_repository, git
from policy_texts import CHECKOUT

# The changes made in copies: both adapt to whatever the policy holds.
MADE = ("new-topic", "equivalent-rewrite")
# The longest one copy's steps may take, all together.
TIMEOUT = 1200


@dataclass(frozen=True, slots=True)
class Started:
    change: Change
    changed: tuple[str, ...]  # the copy's files the change touched, as `git status --short` lists them
    process: subprocess.Popen[str]
    report: Path

    def finish(self) -> dict[str, StepResult] | Exception:
        try:
            return {result.name: result for result in finish_steps(self.process, self.report, timeout=TIMEOUT)}
        except (subprocess.TimeoutExpired, RuntimeError) as error:
            self.stop()
            return error

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def start_copies(base: Path) -> dict[str, Started | Exception]:
    """Each change made in its own copy under `base`, and each copy's steps started at once,
    at a lower priority than the suite that started them."""
    started: dict[str, Started | Exception] = {}
    for name in MADE:
        root = copy_repository(base / name)
        try:
            change = CHANGES[name](root)
        except (AssertionError, Problems) as error:
            started[name] = error
            continue
        # A temporary folder of its own, apart from the copy, as a checkout is apart from it.
        temporary = base / f"{name}-tmp"
        temporary.mkdir()
        environment = {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(root / "src"), os.environ.get("PYTHONPATH")])),
            "TMPDIR": str(temporary),
        }
        report = base / f"{name}-steps.json"
        changed = tuple(git(root, "status", "--short", "--untracked-files=all").stdout.splitlines())
        started[name] = Started(change, changed, start_steps(root, report, environment, nice=10), report)
    return started


# Started by `start_early` (called from conftest.py once the items are collected), so that
# the copies' runs go beside the rest of the suite rather than after it.
_early: dict[str, Started | Exception] | None = None


def start_early(config: pytest.Config) -> None:
    global _early
    _early = background.start_early(config, "billability-changes-", start_copies)


Finished = tuple[Started, dict[str, StepResult]] | Exception


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Finished]]:
    """The finished steps of each copy (started early when conftest.py could)."""
    started = _early if _early is not None else start_copies(tmp_path_factory.mktemp("changes"))
    finished: dict[str, Finished] = {}
    try:
        for name, found in started.items():
            if isinstance(found, Started):
                results = found.finish()
                finished[name] = results if isinstance(results, Exception) else (found, results)
            else:
                finished[name] = found
        yield finished
    finally:
        for found in started.values():
            if isinstance(found, Started):
                found.stop()


def _finished(copies: dict[str, Finished], name: str) -> tuple[Started, dict[str, StepResult]]:
    found = copies[name]
    # What went wrong is said in words, without a traceback.
    if isinstance(found, AssertionError):  # MissingAnchor among them
        pytest.fail(f"the change `{name}` could not be made: {found}", pytrace=False)
    if isinstance(found, Problems):
        pytest.fail(f"after the change `{name}`, the copy's policy or corpus does not load:\n{found}", pytrace=False)
    if isinstance(found, Exception):
        pytest.fail(f"the steps of the copy with the change `{name}` did not finish: {found}", pytrace=False)
    return found


@pytest.mark.parametrize("name", MADE)
def test_each_change_edits_the_policy_of_its_copy(copies: dict[str, Finished], name: str) -> None:
    """Steps that pass on an unchanged copy would prove nothing."""
    started, _ = _finished(copies, name)
    assert any(line[3:].startswith("policy/") for line in started.changed), started.changed


@pytest.mark.parametrize("step", [step.name for step in STEPS])
@pytest.mark.parametrize("name", MADE)
def test_a_correct_change_passes_each_step_of_ci_that_reads_the_policy(
    copies: dict[str, Finished], name: str, step: str
) -> None:
    started, results = _finished(copies, name)
    result = results[step]
    if not result.passed:
        pytest.fail(
            f"after the change ({started.change.summary}), `{result.command}` exited {result.status}"
            + (f": {result.problem}" if result.problem else "")
            + f" in {result.seconds:.1f} s; its output ends:\n{result.output}",
            pytrace=False,
        )


def test_the_steps_are_the_ones_ci_runs() -> None:
    """Each step is written in .ci/run as it runs here, so the two cannot drift apart unseen."""
    ci = (CHECKOUT / ".ci" / "run").read_text(encoding="utf-8")
    assert [step.in_ci for step in STEPS if step.in_ci not in ci] == []
    assert billability_command().is_file(), f"no `billability` beside this interpreter: {billability_command()}"
