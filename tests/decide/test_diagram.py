"""The decision diagram: the classes of values it branches on, exact decisions against
the reference engine (every complete combination of domain values and thousands of
partial scenarios, on the clinic fixture, the checkout's policy and generated
policies), questions that cannot matter never asked, the JSON form and its script.

Nothing here names a fact, a value or a rule of the checkout's policy.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billability import ScenarioError, load_policy
from billability.checks import strategies
from billability.decide import engine, reference
from billability.decide.diagram import Diagram, DiagramTooLarge, Node, build_diagram, diagram_of
from billability.decide.diagram import given as given_value
from billability.decide.diagram_json import diagram_json, diagram_script
from billability.decide.engine import decide
from billability.decide.reference import reference_decide
from billability.decide.scenario import truth
from billability.decide.value_classes import fact_classes
from billability.model.policy import Decision, Is, Value
from billability.policy.compiled import Policy
from billability.policy.sourcetext import statements
from policy_texts import CLINIC, rule, small_policy
from scenarios import complete_combinations, partial_scenarios


def asked(diagram: Diagram, scenario: Mapping[str, Value | None]) -> list[str]:
    """The facts the walk of a scenario asks, in order."""
    facts = []
    child: Node | Decision = diagram.root
    while isinstance(child, Node):
        facts.append(child.fact)
        value = scenario.get(child.fact)
        classes = diagram.facts[child.position]
        child = child.unknown if value is None else child.branches[classes.class_of(value)]
    return facts


# --- the classes of a fact's values -----------------------------------------------------------

MINUTES = """\
facts:
  activity:
    type: enum
    label: Activity
    question: What was done?
    values:
      talk: {label: Talk}
      drive: {label: Drive}
    relevant_when: always
  minutes:
    type: integer
    minimum: 0
    maximum: 60
    label: Minutes
    question: How long?
    relevant_when: always
"""


@pytest.mark.parametrize(
    ("conditions", "ranges"),
    [
        ([], [(0, 60)]),
        (["minutes: {more_than: 30}"], [(0, 29), (30, 30), (31, 60)]),
        (["minutes: {at_least: 0}"], [(0, 0), (1, 60)]),
        (["minutes: {at_most: 60}"], [(0, 59), (60, 60)]),
        (["minutes: {less_than: 99}"], [(0, 60)]),
        (["minutes: {more_than: 10}", "minutes: [11, 20]"], [(0, 9), (10, 10), (11, 11), (12, 19), (20, 20), (21, 60)]),
    ],
)  # fmt: skip
def test_whole_numbers_split_at_each_compared_number_within_the_range(
    conditions: list[str], ranges: list[tuple[int, int]]
) -> None:
    rules = [rule(f"r{i}", "billable", f"activity: talk\n{when}") for i, when in enumerate(conditions)]
    policy = small_policy(*rules, rule("talking", "billable", "activity: talk"), facts=MINUTES)
    classes = fact_classes(policy, policy.fact_index["minutes"])
    assert classes.ranges == tuple(ranges)
    for at, (low, high) in enumerate(ranges):
        assert classes.class_of(low) == classes.class_of(high) == at
        assert low <= classes.values[at] <= high


def test_enum_and_yes_no_facts_branch_on_each_value(clinic: Policy) -> None:
    for fact in clinic.facts:
        classes = fact_classes(clinic, fact)
        if fact.type == "enum":
            assert classes.values == fact.value_names
        elif fact.type == "boolean":
            assert classes.values == (True, False)


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ({"activity": "talk"}, "reached is true"),
        ({"activity": "drive"}, False),
        ({"reached": True}, "activity is talk"),
    ],
)
def test_a_condition_given_one_value_keeps_what_is_left(scenario: dict[str, Value], expected: Any) -> None:
    policy = small_policy(rule("a", "billable", "activity: talk\nreached: true"))
    ((name, value),) = scenario.items()
    left = given_value(policy.rules[0].when, name, value)
    if isinstance(expected, bool):
        assert left is expected
    else:
        fact, _, shown = expected.partition(" is ")
        assert left == Is(fact, {"true": True}.get(shown, shown))


# --- exact: the diagram decides as the reference engine -----------------------------------------


def test_every_complete_combination_decides_as_the_reference(any_policy: Policy) -> None:
    diagram = build_diagram(any_policy)
    checked = 0
    for scenario in complete_combinations(any_policy):
        assert diagram.decide(scenario) == reference_decide(any_policy, scenario), scenario
        checked += 1
    assert checked >= 100


def test_thousands_of_partial_scenarios_decide_as_the_reference(any_policy: Policy) -> None:
    diagram = build_diagram(any_policy)
    # Many with a few facts unknown; fewer with many (the reference splits on each).
    scenarios = partial_scenarios(any_policy, 2000, seed=1, most_unknown=4)
    scenarios += partial_scenarios(any_policy, 150, seed=2, most_unknown=len(any_policy.facts))
    scenarios.append({})
    undetermined = 0
    for scenario in scenarios:
        decision = diagram.decide(scenario)
        assert decision == reference_decide(any_policy, scenario), scenario
        undetermined += decision.outcome == "undetermined"
    assert 0 < undetermined < len(scenarios)


SOURCE = (CLINIC / "policy" / "sources" / "table.txt").read_text(encoding="utf-8")
GENERATED = strategies.policies(SOURCE, statements(SOURCE)[0].text)


@given(GENERATED, st.randoms(use_true_random=False))
def test_generated_policies_decide_as_the_reference(policy: Policy, rng: random.Random) -> None:
    """Every complete combination, and a sample of partial scenarios made from them by
    leaving out any set of facts (generated policies have at most four facts)."""
    diagram = build_diagram(policy)
    combinations = list(complete_combinations(policy))
    for scenario in combinations:
        assert diagram.decide(scenario) == reference_decide(policy, scenario), scenario
    for scenario in rng.sample(combinations, min(len(combinations), 30)):
        partial = {name: value for name, value in scenario.items() if rng.random() < 0.5}
        assert diagram.decide(partial) == reference_decide(policy, partial), partial
    assert diagram.decide({}) == reference_decide(policy, {})


# --- questions that cannot matter are never asked ----------------------------------------------


def test_a_fact_no_rule_looks_at_is_never_asked() -> None:
    policy = small_policy(
        rule("talking", "billable", "activity: talk"), rule("unreached", "not_billable", "reached: false")
    )
    diagram = build_diagram(policy)
    assert {node.fact for node in diagram.nodes()} == {"activity", "reached"}


def test_no_node_has_all_its_branches_alike(any_policy: Policy) -> None:
    for node in build_diagram(any_policy).nodes():
        assert any(child is not node.unknown for child in node.branches), node.fact


def test_equal_decisions_and_sub_diagrams_are_shared(any_policy: Policy) -> None:
    diagram = build_diagram(any_policy)
    leaves = diagram.leaves()
    assert len(leaves) == len(set(leaves))
    shapes = [(n.position, tuple(map(id, n.branches)), id(n.unknown)) for n in diagram.nodes()]
    assert len(shapes) == len(set(shapes))


def test_a_walk_asks_only_facts_whose_declaration_says_they_are_relevant(any_policy: Policy) -> None:
    """What the diagram asks of a complete scenario agrees with the facts' `relevant_when`,
    except the index fact, asked for the trace's sake before the rules settle."""
    diagram = build_diagram(any_policy)
    index = reference.reference_plan(any_policy).index
    facts = any_policy.fact_index
    form = diagram_json(diagram)
    for scenario in complete_combinations(any_policy):
        json_asked = set(json_walk_path(form, scenario))
        for name in json_asked - {index}:
            assert truth(facts[name].relevant_when, scenario) is not False, (name, scenario)
        assert set(asked(diagram, scenario)) >= json_asked


def test_the_clinic_asks_nothing_after_an_activity_that_is_never_billable(clinic: Policy) -> None:
    diagram = build_diagram(clinic)
    never = next(
        value
        for value in clinic.fact_index["activity"].value_names
        if all(
            reference_decide(clinic, scenario).outcome == "not_billable"
            for scenario in complete_combinations(clinic)
            if scenario["activity"] == value
        )
    )
    names = [fact.name for fact in clinic.facts]
    later = names[names.index("activity") + 1 :]
    for scenario in complete_combinations(clinic):
        if scenario["activity"] == never:
            assert not set(asked(diagram, scenario)) & set(later), scenario


# --- the JSON form and its script ----------------------------------------------------------------


def json_walk_path(form: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """The fact names a walk of the JSON form asks (decide.js's walk, in Python)."""
    names = []
    at = form["root"]
    while at < len(form["nodes"]):
        node = form["nodes"][at]
        fact = form["facts"][node["fact"]]
        names.append(fact["name"])
        at = _json_step(node, fact, facts.get(fact["name"]))
    return names


def _json_step(node: Mapping[str, Any], fact: Mapping[str, Any], value: Any) -> int:
    if value is None:
        return int(node["unknown"])
    if fact["type"] == "integer":
        branch = next(
            i
            for i, (low, high) in enumerate(fact["classes"])
            if (low is None or value >= low) and (high is None or value <= high)
        )
    else:
        branch = fact["classes"].index(value)
    return int(node["branches"][branch])


def json_decide(form: Mapping[str, Any], facts: Mapping[str, Any]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    at = form["root"]
    while at < len(form["nodes"]):
        node = form["nodes"][at]
        fact = form["facts"][node["fact"]]
        at = _json_step(node, fact, facts.get(fact["name"]))
    leaf = form["leaves"][at - len(form["nodes"])]
    return leaf["outcome"], tuple(leaf["rules"]), tuple(leaf["missing"])


def test_the_json_form_has_its_documented_shape(any_policy: Policy) -> None:
    form = diagram_json(build_diagram(any_policy))
    assert set(form) == {"policy", "facts", "nodes", "leaves", "root"}
    assert form["policy"] == {"id": any_policy.id, "version": any_policy.version}
    assert [fact["name"] for fact in form["facts"]] == [fact.name for fact in any_policy.facts]
    total = len(form["nodes"]) + len(form["leaves"])
    for at, node in enumerate(form["nodes"]):
        assert set(node) == {"fact", "branches", "unknown"}
        assert len(node["branches"]) == len(form["facts"][node["fact"]]["classes"])
        for child in (*node["branches"], node["unknown"]):
            assert at < child < total  # children come later: no cycles
            if child < len(form["nodes"]):
                assert form["nodes"][child]["fact"] > node["fact"]  # facts in question order
    for leaf in form["leaves"]:
        assert set(leaf) == {"outcome", "rules", "missing"}
    assert form["root"] == 0
    reached = {form["root"]} | {c for n in form["nodes"] for c in (*n["branches"], n["unknown"])}
    assert reached == set(range(total))


def test_the_json_form_decides_as_evaluate(any_policy: Policy) -> None:
    form = json.loads(json.dumps(diagram_json(build_diagram(any_policy))))
    scenarios = [*complete_combinations(any_policy), *partial_scenarios(any_policy, 2000, seed=3, most_unknown=8)]
    for scenario in scenarios:
        decision = decide(any_policy, scenario)
        assert json_decide(form, scenario) == (str(decision.outcome), decision.rules, decision.missing), scenario


def test_the_script_is_deterministic_and_sets_the_diagram(any_policy: Policy) -> None:
    script = diagram_script(any_policy)
    assert script == diagram_script(replace(any_policy))
    prefix = "window.billability.diagram = "
    line = next(line for line in script.splitlines() if line.startswith(prefix))
    assert json.loads(line.removeprefix(prefix).removesuffix(";")) == json.loads(
        json.dumps(diagram_json(diagram_of(any_policy)), sort_keys=True)
    )
    assert "window.billability = window.billability || {};" in script


def test_the_script_is_safe_inside_a_script_element(clinic: Policy) -> None:
    hostile = "</script><script>alert(1)</script><!--&"
    renamed = replace(clinic, rules=tuple(replace(r, id=hostile + r.id) for r in clinic.rules))
    script = diagram_script(renamed)
    assert "<" not in script and ">" not in script and "&" not in script
    prefix = "window.billability.diagram = "
    line = next(line for line in script.splitlines() if line.startswith(prefix))
    form = json.loads(line.removeprefix(prefix).removesuffix(";"))
    assert any(rule_id.startswith(hostile) for leaf in form["leaves"] for rule_id in leaf["rules"])


# --- evaluate walks the diagram once a policy has decided enough scenarios ------------------------


@pytest.fixture
def diagram_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "DIAGRAM_AFTER", 1)


def test_evaluate_through_the_diagram_decides_as_the_reference(clinic: Policy, diagram_at_once: None) -> None:
    fresh = replace(clinic)
    scenarios = [*complete_combinations(fresh), *partial_scenarios(fresh, 500, seed=4, most_unknown=5)]
    for scenario in scenarios:
        decision = decide(fresh, scenario)
        assert decision == reference_decide(fresh, scenario), scenario
        assert (decision.policy_id, decision.policy_version) == (fresh.id, fresh.version)
    assert reference.reference_plan(fresh).root is diagram_of(fresh).root


def test_a_policy_whose_diagram_is_too_large_keeps_the_reference(
    clinic: Policy, diagram_at_once: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "DIAGRAM_STATES", 5)
    fresh = replace(clinic)
    with pytest.raises(DiagramTooLarge):
        build_diagram(fresh, limit=5)
    for scenario in partial_scenarios(fresh, 50, seed=5, most_unknown=3):
        assert decide(fresh, scenario) == reference_decide(fresh, scenario), scenario
    assert reference.reference_plan(fresh).root is None


@given(st.data())
def test_invalid_scenarios_raise_every_problem_through_the_diagram(data: st.DataObject) -> None:
    clinic = CLINIC_POLICY
    invalid = data.draw(strategies.invalid_scenarios(clinic))
    for decider in (decide, reference_decide):
        with pytest.raises(ScenarioError) as raised:
            decider(clinic, invalid.facts)
        assert invalid.code in {d.code for d in raised.value.diagnostics}


@pytest.mark.parametrize(
    "wrong",
    [{"documented": 1}, {"documented": 0.0}, {"days_since_discharge": True}, {"days_since_discharge": 3.0},
     {"activity": True}, {"activity": ["driving"]}, {"days_since_discharge": -1}],
)  # fmt: skip
def test_a_complete_scenario_with_one_wrong_value_is_refused(clinic: Policy, wrong: dict[str, Any]) -> None:
    scenario = {**next(complete_combinations(clinic)), **wrong}
    with pytest.raises(ScenarioError):
        decide(CLINIC_POLICY, scenario)


def _warm(policy: Policy) -> Policy:
    """The policy after enough decisions that evaluate walks its diagram."""
    for _ in range(engine.DIAGRAM_AFTER + 1):
        decide(policy, {})
    assert reference.reference_plan(policy).root is not None
    return policy


CLINIC_POLICY = _warm(load_policy(CLINIC / "policy"))
