"""billability: the county's case-management billing table as policy as code.

from billability import load_policy
policy = load_policy()
decision = policy.evaluate({"activity": "advocacy", "provider_credential": "lpha"})
"""

from billability.model.diagnostics import Diagnostic, Location, Problems, ScenarioError
from billability.model.policy import Decision, Outcome
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy

__all__ = [
    "Decision",
    "Diagnostic",
    "Location",
    "Outcome",
    "Policy",
    "Problems",
    "ScenarioError",
    "load_policy",
]
