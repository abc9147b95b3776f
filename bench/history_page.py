"""How long the What changed page takes to build: from the checkout's real git history,
and from a made-up history of many versions of the bundled policy.

Run: python bench/history_page.py [versions] [repeats]
Prints, for each history, the median and slowest time of a cold build (nothing cached:
the first build of `mkdocs build`) and of a warm one (what each `mkdocs serve` rebuild
pays), in milliseconds.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from billability import load_policy
from billability.model.resources import project
from billability.site.what_changed import changes_page, forget_history

AUTHOR = ["-c", "user.name=bench", "-c", "user.email=bench@example.org"]


def timed(build: Callable[[], object], repeats: int, cold: bool) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        if cold:
            forget_history()
        start = time.perf_counter()
        build()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def made_up_history(root: Path, versions: int) -> Path:
    """A repository whose policy window moves between 30 and 45 days at each version."""
    shutil.copytree(project().policy, root / "policy")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    rule = root / "policy" / "rules" / "connection.yaml"
    settings = root / "policy" / "policy.yaml"
    original, text = settings.read_text(encoding="utf-8"), rule.read_text(encoding="utf-8")
    for number in range(versions):
        days = ("30", "45")[number % 2]
        rule.write_text(text.replace("more_than: 30", f"more_than: {days}"), encoding="utf-8")
        settings.write_text(original.replace('version: "1.0"', f'version: "1.{number}"'), encoding="utf-8")
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        subprocess.run(["git", *AUTHOR, "commit", "-q", "-m", f"Version 1.{number}"], cwd=root, check=True)
    return root / "policy"


def main() -> None:
    versions = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    checkout = project()
    with tempfile.TemporaryDirectory(prefix="billability-bench-") as temporary:
        histories = [
            ("the checkout's history", checkout.policy),
            (f"{versions} made-up versions", made_up_history(Path(temporary), versions)),
        ]
        for name, folder in histories:
            build = partial(changes_page, folder, load_policy(folder))
            for kind, cold in (("cold", True), ("warm", False)):
                median, slowest = timed(build, repeats, cold)
                print(f"{name}, {kind}: median {median:.0f} ms, slowest {slowest:.0f} ms over {repeats} runs")


if __name__ == "__main__":
    main()
