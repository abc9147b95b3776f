"""billability: the county's case-management billing table as policy as code.

from billability import load_policy
policy = load_policy()
decision = policy.evaluate({"activity": "advocacy", "provider_credential": "lpha"})
"""

from billability.compile import load_policy
from billability.diagnostics import Diagnostic, Location, Problems, ScenarioError
from billability.model import Decision, Outcome, Policy

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
