"""The strategies generate what they promise, straight from the policy's declarations."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import find, given
from hypothesis import strategies as st

from billability import strategies
from billability.compile import compile_texts, load_policy
from billability.diagnostics import ScenarioError
from billability.dump import dump_policy
from billability.evaluate import validate
from billability.model import Fact, FactType, FactValue, Value
from billability.sourcetext import statements

POLICY = load_policy()
QUOTE = statements(POLICY.source_text)[0].text


@given(strategies.complete_scenarios(POLICY))
def test_complete_scenarios_give_every_fact_a_valid_value(scenario: dict[str, Value]) -> None:
    assert sorted(scenario) == sorted(fact.name for fact in POLICY.facts)
    validate(POLICY, scenario)


@given(strategies.partial_scenarios(POLICY, max_unknown=2))
def test_partial_scenarios_leave_at_most_the_given_number_of_facts_unknown(scenario: dict[str, Value | None]) -> None:
    validate(POLICY, scenario)
    known = [name for name, value in scenario.items() if value is not None]
    assert len(POLICY.facts) - len(known) <= 2


@given(strategies.invalid_scenarios(POLICY))
def test_invalid_scenarios_are_rejected(invalid: strategies.InvalidScenario) -> None:
    with pytest.raises(ScenarioError):
        validate(POLICY, invalid.facts)


def test_near_threshold_scenarios_reach_both_sides_of_the_30_day_window() -> None:
    for days in (29, 30, 31):
        found = find(strategies.near_threshold_scenarios(POLICY), lambda s, d=days: s["days_since_discharge"] == d)
        assert found["days_since_discharge"] == days


def test_a_value_a_maintainer_adds_is_generated_with_no_test_code() -> None:
    activity = POLICY.fact_index["activity"]
    added = replace(activity, values=(*activity.values, FactValue("court_hearing", "Court hearing")))
    policy = replace(POLICY, facts=tuple(added if f.name == "activity" else f for f in POLICY.facts))
    found = find(strategies.complete_scenarios(policy), lambda s: s["activity"] == "court_hearing")
    assert found["activity"] == "court_hearing"


@pytest.mark.parametrize(
    ("fact", "expected"),
    [
        (Fact("days", FactType.INTEGER, "Days", "How many?", minimum=0), (0,)),
        (Fact("days_since_discharge", FactType.INTEGER, "Days", "How many?", minimum=0), (0, 29, 30, 31)),
        (Fact("days_since_discharge", FactType.INTEGER, "Days", "How many?", minimum=30), (30, 31)),
    ],
)
def test_near_bounds_are_the_compared_numbers_and_their_neighbours(fact: Fact, expected: tuple[int, ...]) -> None:
    assert strategies.near_bounds(POLICY, fact) == expected


@given(strategies.policies(POLICY.source_text, QUOTE))
def test_generated_policies_are_valid_policy_text(policy: object) -> None:
    from billability.model import Policy

    assert isinstance(policy, Policy)
    compile_texts(dump_policy(policy), POLICY.source_text)


@given(st.data())
def test_hostile_edits_keep_the_policy_files(data: st.DataObject) -> None:
    texts = dump_policy(POLICY)
    edited = data.draw(strategies.hostile_edits(texts))
    assert sorted(edited) == sorted(texts)
