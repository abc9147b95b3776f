"""Processes a test module starts beside the rest of the suite: the scratch-copy runs of
tests/checks/test_policy_is_data.py and tests/checks/test_maintainer_changes.py take minutes, so they
start as soon as pytest has selected them (conftest.py calls each module's
`start_early`), at a lower priority, and the module's fixture collects them.

In: a command with its folder and extra environment; for `start_early`, how a module
starts its runs in a scratch folder.
Out: the started `Popen`; the runs, each stopped when the session ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

import pytest


class Stoppable(Protocol):
    def stop(self) -> None: ...


S = TypeVar("S", bound=Stoppable)


def start_lowered(
    command: Sequence[str], cwd: Path | None, environment: Mapping[str, str] | None, nice: int
) -> subprocess.Popen[str]:
    """`command` started with the suite's environment and `environment` over it, its output
    kept; `nice` lowers its priority and its children's (where the system allows it)."""
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env={**os.environ, **(environment or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if nice and hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, process.pid, nice)
    return process


def start_early(
    config: pytest.Config, prefix: str, start: Callable[[Path], dict[str, S | Exception]]
) -> dict[str, S | Exception] | None:
    """`start` run in a new scratch folder, its runs stopped and the folder removed when
    the session ends; None when starting failed (the module's fixture then tries again,
    where the failure is reported as the test's)."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    config.add_cleanup(lambda: shutil.rmtree(base, ignore_errors=True))
    try:
        started = start(base)
    except Exception:
        return None

    def stop() -> None:
        for found in started.values():
            if not isinstance(found, Exception):
                found.stop()

    config.add_cleanup(stop)
    return started
