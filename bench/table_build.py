"""How long the decision table, lint and a diff of the bundled policy take to build.

Run: python bench/table_build.py [repeats]
Prints the number of regions and the median and slowest time of each, in milliseconds.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from billability import load_policy
from billability.checks.lint import lint_policy
from billability.decide.table import decision_table
from billability.history.diff import diff_policies


def timed(build: Callable[[], object], repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        build()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    policy, same = load_policy(), load_policy()
    table = decision_table(policy)
    print(f"regions: {len(table.regions)} covering {table.combinations} combinations of the enum and yes/no facts")
    for name, build in [
        ("table", lambda: decision_table(policy)),
        ("lint", lambda: lint_policy(policy)),
        ("diff against itself", lambda: diff_policies(policy, same)),
    ]:
        median, slowest = timed(build, repeats)
        print(f"{name}: median {median:.1f} ms, slowest {slowest:.1f} ms over {repeats} runs")


if __name__ == "__main__":
    main()
