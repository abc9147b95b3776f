"""The compiled policy, as the stages above the decide stage hold it: its data and `evaluate`.

In: what `billability.policy.compile` builds from the policy's files.
Out: `Policy`, the model's `PolicyData` with one method, `evaluate`, which the decide
stage answers (`billability.decide.engine.decide`). The data stays in the model; the
deciding stays in the decide stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billability.decide.engine import decide
from billability.model.policy import Decision, PolicyData


class Policy(PolicyData):
    """A compiled policy that decides. Compare policies by their rules and facts, not by identity."""

    __slots__ = ()

    def evaluate(self, facts: Mapping[str, Any]) -> Decision:
        """Decide one scenario; raises `ScenarioError` when the facts are not valid."""
        return decide(self, facts)
