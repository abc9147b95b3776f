"""Rule and condition coverage of the corpus.

In: a compiled `Policy` and the corpus `Case`s.
Out: for each rule, how many cases it decided (it is among a decision's rules); for
each condition of each rule (every test and every `all`/`any`/`not`, the whole
`when` included), how many cases found it true and how many false where it decides
the rule: a case counts for a condition only when every other entry of each `all`
around it is true and every other entry of each `any` around it is false, so that
flipping the condition alone would flip the rule. Truth is three-valued: a case that
leaves out a fact counts only where the truths involved are settled anyway. Full
coverage means every rule decided a case and every condition was seen both true and
false.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from billability.checks.corpus import Case
from billability.decide.engine import decide
from billability.decide.scenario import truth
from billability.model.conditions import NodePath, describe, nodes
from billability.model.diagnostics import Location
from billability.model.policy import All, AnyOf, Condition, Not, Value
from billability.policy.compiled import Policy


@dataclass(frozen=True, slots=True)
class RuleCoverage:
    rule: str
    location: Location | None
    decided: int

    @property
    def covered(self) -> bool:
        return self.decided > 0


@dataclass(frozen=True, slots=True)
class ConditionCoverage:
    rule: str
    path: NodePath
    condition: str
    location: Location | None
    seen_true: int
    seen_false: int

    @property
    def covered(self) -> bool:
        return self.seen_true > 0 and self.seen_false > 0


@dataclass(frozen=True, slots=True)
class CoverageReport:
    rules: tuple[RuleCoverage, ...]
    conditions: tuple[ConditionCoverage, ...]

    @property
    def rules_covered(self) -> int:
        return sum(1 for rule in self.rules if rule.covered)

    @property
    def conditions_covered(self) -> int:
        return sum(1 for condition in self.conditions if condition.covered)

    @property
    def complete(self) -> bool:
        return self.rules_covered == len(self.rules) and self.conditions_covered == len(self.conditions)


def measure(policy: Policy, cases: Iterable[Case]) -> CoverageReport:
    """How well the cases exercise each rule and each condition of the policy."""
    scenarios = [{name: value for name, value in case.facts.items() if value is not None} for case in cases]
    decided: dict[str, int] = {rule.id: 0 for rule in policy.rules}
    for scenario in scenarios:
        for rule_id in decide(policy, scenario).rules:
            decided[rule_id] += 1
    rules = tuple(RuleCoverage(rule.id, rule.location, decided[rule.id]) for rule in policy.rules)
    conditions: list[ConditionCoverage] = []
    for rule in policy.rules:
        for path, node in nodes(rule.when):
            truths = [truth(node, scenario) for scenario in scenarios if _decisive(rule.when, path, scenario)]
            conditions.append(
                ConditionCoverage(
                    rule.id,
                    path,
                    describe(node),
                    node.location or rule.location,
                    sum(1 for t in truths if t is True),
                    sum(1 for t in truths if t is False),
                )
            )
    return CoverageReport(rules, tuple(conditions))


def _decisive(root: Condition, path: NodePath, scenario: Mapping[str, Value]) -> bool:
    """Whether the node at `path` alone decides `root` for the scenario: each `all` on the
    way down has its other entries true, each `any` its other entries false."""
    node = root
    for index in path:
        match node:
            case All(items=items):
                if any(truth(item, scenario) is not True for i, item in enumerate(items) if i != index):
                    return False
                node = items[index]
            case AnyOf(items=items):
                if any(truth(item, scenario) is not False for i, item in enumerate(items) if i != index):
                    return False
                node = items[index]
            case Not(item=item):
                node = item
    return True
