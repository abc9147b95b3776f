"""The engines that decide an audit's scenarios, by name.

In: a `Policy`, then batches of distinct scenarios (fact name -> value).
Out: for each scenario its `Decision`, or the `ScenarioError` saying why it is invalid.
An engine decides a batch at a time, so that one working on whole tables (SQL, say)
can take the Python engine's place; `ENGINES` lists those that exist. The DuckDB
engine works on the whole export instead (`duckdb_engine.audit_in_duckdb`), and leaves
the rows it cannot read exactly to `PythonEngine`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from billability.model.diagnostics import ScenarioError
from billability.model.policy import Decision, Value
from billability.policy.compiled import Policy


class Engine(Protocol):
    """Decides scenarios; a scenario it finds invalid comes back as its `ScenarioError`."""

    name: str

    def decide(self, scenarios: Sequence[Mapping[str, Value]]) -> list[Decision | ScenarioError]: ...


class PythonEngine:
    """Decides each scenario with `Policy.evaluate`."""

    name = "python"

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def decide(self, scenarios: Sequence[Mapping[str, Value]]) -> list[Decision | ScenarioError]:
        decided: list[Decision | ScenarioError] = []
        for scenario in scenarios:
            try:
                decided.append(self.policy.evaluate(scenario))
            except ScenarioError as error:
                decided.append(error)
        return decided


ENGINES: dict[str, Callable[[Policy], Engine]] = {"python": PythonEngine}
