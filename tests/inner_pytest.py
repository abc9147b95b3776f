"""Run pytest in a subprocess, as a maintainer or CI would, and read what each item did.

In: pytest's arguments, the working folder and extra environment variables.
Out: a `Run`: every item pytest reported (from its JUnit XML report), with its outcome
and failure text, and pytest's own output for the failure message.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from background import start_lowered


@dataclass(frozen=True, slots=True)
class Item:
    """One reported item: `where` is its module or file as JUnit names it (`corpus.boundaries.yaml`)."""

    where: str
    name: str
    outcome: str  # passed, failed, error or skipped
    text: str

    def __str__(self) -> str:
        return f"{self.where}::{self.name}" if self.where else self.name


@dataclass(frozen=True, slots=True)
class Run:
    status: int
    items: tuple[Item, ...]
    output: str
    seconds: float  # as pytest measured its session

    @property
    def failed(self) -> list[Item]:
        return [item for item in self.items if item.outcome in ("failed", "error")]


def start_pytest(
    arguments: Sequence[str],
    cwd: Path,
    report: Path,
    environment: Mapping[str, str] | None = None,
    nice: int = 0,
) -> subprocess.Popen[str]:
    """pytest started with the same interpreter, writing its JUnit report to `report`;
    `nice` lowers its priority and its children's (where the system allows it)."""
    return start_lowered(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junit-xml={report}", *arguments],
        cwd,
        environment,
        nice,
    )


def finish_pytest(process: subprocess.Popen[str], report: Path, timeout: float | None = None) -> Run:
    output, _ = process.communicate(timeout=timeout)
    if not report.exists():
        return Run(process.returncode, (), output, 0.0)
    suites = list(ElementTree.parse(report).getroot().iter("testsuite"))
    seconds = sum(float(suite.get("time", "0")) for suite in suites)
    return Run(process.returncode, read_report(report), output, seconds)


def run_pytest(arguments: Sequence[str], cwd: Path, environment: Mapping[str, str] | None = None) -> Run:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.xml"
        return finish_pytest(start_pytest(arguments, cwd, report, environment), report)


def read_report(report: Path) -> tuple[Item, ...]:
    items = []
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        outcome, text = "passed", ""
        for kind in ("failure", "error", "skipped"):
            found = case.find(kind)
            if found is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[kind]
                text = (found.get("message") or "") + "\n" + (found.text or "")
                break
        items.append(Item(case.get("classname", ""), case.get("name", ""), outcome, text.strip()))
    return tuple(items)
