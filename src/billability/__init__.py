"""billability: the county's case-management billing table as policy as code.

from billability import load_policy
policy = load_policy()
decision = policy.evaluate({"activity": "advocacy", "provider_credential": "lpha"})

from billability import load_versions
versions = load_versions("policy")   # every released version, and the current one
decision = versions.evaluate({"activity": "advocacy"}, on="2026-12-15")  # by the version in force

The stages, each a package whose docstring says what it takes and gives. A policy
travels down the first three; the others build on them:

    policy/*.yaml --policy--> Policy --decide--> Decision (outcome, rules, reasons, quotes, missing)
    corpus/*.yaml --checks--> case results, lint, coverage, mutants      (billability test, lint, ...)
    git revisions --history-> a policy as it stood, diffs, what changed  (billability diff)
    export + mapping --audit--> a decision per record, report, SQL       (billability audit, sql)
    Policy, corpus, history, example export --site--> the staff pages    (mkdocs build, docs/hooks.py)
    argv --cli--> one library call, printed                              (billability ...)

- `model`: the values every stage passes (the policy's data, `Decision`, located
  problems, the bundled files' paths); it computes no decision.
- `decide`: a scenario under a policy's data -> a `Decision`: the reference engine, the
  decision diagram (the same answers in a few steps, also the site's checker), the
  decision table.
- `policy`: YAML with locations -> schema check -> compile -> `Policy` (the model's data
  with `evaluate`), every problem located file:line:column.
- `checks`: what a maintainer runs before a change merges: the corpus, lint, coverage,
  mutants, Hypothesis strategies (and `pytest_plugin`, the corpus as pytest items).
- `history`: the policy at other git revisions and versions; what a change moves.
- `audit`: records of an EHR export, read whatever their encoding and shape, mapped to
  facts, decided by the Python or DuckDB engine, written safely; the policy as SQL.
- `site`: the staff reference's generated pages and the checker.
- `cli`: parses options, calls one function of a stage, prints; nothing else.

Imports run one way, from the command line down to the model: a stage imports only
itself and the stages after it in `cli > site > audit > history > checks > policy >
decide > model`, always at the top of a module, with no circle between modules
(tests/project/test_layout.py holds the order, and keeps modules under 400 lines). A
new capability goes in the lowest stage that has what it needs; the command that
offers it goes in `cli`.
"""

from billability.model.diagnostics import Diagnostic, Location, Problems, ScenarioError
from billability.model.policy import Decision, Outcome
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from billability.policy.versions import PolicyVersions, load_versions

__all__ = [
    "Decision",
    "Diagnostic",
    "Location",
    "Outcome",
    "Policy",
    "PolicyVersions",
    "Problems",
    "ScenarioError",
    "load_policy",
    "load_versions",
]
