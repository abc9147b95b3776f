"""Decide a scenario: the reference engine first, the decision diagram once it pays.

In: a policy's data (`PolicyData`) and a scenario (fact name -> value).
Out: the `Decision` the reference engine (`billability.decide.reference`) gives, or, once
the policy has decided `DIAGRAM_AFTER` scenarios, the same decision walked in its
decision diagram (`billability.decide.diagram`). An invalid scenario raises
`ScenarioError` with every problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billability.decide.diagram import DiagramTooLarge, diagram_of, walk
from billability.decide.reference import last_plan, reference_plan
from billability.decide.scenario import Locate
from billability.model.diagnostics import Diagnostic, ScenarioError, shown
from billability.model.policy import Decision, PolicyData

# A policy's decision diagram is built once it has decided this many scenarios: it
# answers each later one in a walk of a few steps, while a policy decided only a few
# times (a mutant, a variant under comparison) never pays for the build.
DIAGRAM_AFTER = 300
# A policy whose diagram would take more states than this (seconds of building) keeps
# the reference engine; the bundled policy takes about ten thousand.
DIAGRAM_STATES = 200_000


def decide(policy: PolicyData, facts: Mapping[str, Any], locate: Locate | None = None) -> Decision:
    """Decide one scenario (see the module docstring for the semantics)."""
    last = last_plan
    plan = last.plan if last.policy is policy and last.plan is not None else reference_plan(policy)
    if facts.__class__ is not dict and not isinstance(facts, Mapping):
        raise ScenarioError(
            [Diagnostic("scenario.type", f"a scenario is a mapping of facts to values, not {shown(facts)}")]
        )
    root = plan.root
    if root is None:
        scenario = plan.validate(facts, locate)
        plan.decided += 1
        if plan.decided != DIAGRAM_AFTER:
            return plan.decide(scenario)
        try:
            root = plan.root = diagram_of(policy, DIAGRAM_STATES).root
        except DiagramTooLarge:
            return plan.decide(scenario)  # the reference keeps deciding this policy
    else:
        # A complete scenario of valid values passes `complete` alone, one expression.
        try:
            check = plan.check
            valid = len(facts) == check.size and check.complete(facts)
        except (KeyError, TypeError):
            valid = False
        if not valid:
            plan.validate(facts, locate)
    return walk(root, facts)
