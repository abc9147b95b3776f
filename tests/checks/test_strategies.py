"""The strategies generate what they promise, straight from the policy's declarations:
on the clinic fixture and on the checkout's policy, with every expectation derived from
the policy given."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import find, given
from hypothesis import strategies as st

from billability.checks import strategies
from billability.decide.scenario import validate
from billability.decide.value_classes import comparison_bounds
from billability.model.diagnostics import ScenarioError
from billability.model.policy import Fact, FactType, FactValue, Value
from billability.policy.compile import compile_texts, load_policy
from billability.policy.compiled import Policy
from billability.policy.dump import dump_policy
from billability.policy.sourcetext import statements
from policy_texts import CHECKOUT, CLINIC

CLINIC_POLICY = load_policy(CLINIC / "policy")
CHECKOUT_POLICY = load_policy(CHECKOUT / "policy")
POLICIES = pytest.mark.parametrize("policy", [CLINIC_POLICY, CHECKOUT_POLICY], ids=["clinic", "checkout"])
QUOTE = statements(CLINIC_POLICY.source_text)[0].text


@POLICIES
@given(data=st.data())
def test_complete_scenarios_give_every_fact_a_valid_value(policy: Policy, data: st.DataObject) -> None:
    scenario = data.draw(strategies.complete_scenarios(policy))
    assert sorted(scenario) == sorted(fact.name for fact in policy.facts)
    validate(policy, scenario)


@POLICIES
@given(data=st.data())
def test_partial_scenarios_leave_at_most_the_given_number_of_facts_unknown(policy: Policy, data: st.DataObject) -> None:
    scenario: dict[str, Value | None] = data.draw(strategies.partial_scenarios(policy, max_unknown=2))
    validate(policy, scenario)
    known = [name for name, value in scenario.items() if value is not None]
    assert len(policy.facts) - len(known) <= 2


@POLICIES
@given(data=st.data())
def test_invalid_scenarios_are_rejected(policy: Policy, data: st.DataObject) -> None:
    invalid = data.draw(strategies.invalid_scenarios(policy))
    with pytest.raises(ScenarioError):
        validate(policy, invalid.facts)


def _beside_each_compared_number(policy: Policy) -> list[tuple[str, int]]:
    """Each whole-number fact with each number the policy compares it with and its two
    neighbours, within the fact's range."""
    found = []
    for fact in policy.facts:
        if fact.type is not FactType.INTEGER:
            continue
        for bound in sorted(comparison_bounds(policy, fact.name)):
            for number in (bound - 1, bound, bound + 1):
                if (fact.minimum is None or number >= fact.minimum) and (
                    fact.maximum is None or number <= fact.maximum
                ):
                    found.append((fact.name, number))
    return found


@POLICIES
def test_near_threshold_scenarios_reach_both_sides_of_every_compared_number(policy: Policy) -> None:
    # For a window of `more_than: 30` days: 29, 30 and 31.
    wanted = _beside_each_compared_number(policy)
    assert wanted, "the policy compares no whole number"
    for name, number in wanted:
        found = find(strategies.near_threshold_scenarios(policy), lambda s, n=name, d=number: s[n] == d)
        assert found[name] == number


def test_the_fixture_window_is_reached_on_both_sides() -> None:
    assert _beside_each_compared_number(CLINIC_POLICY) == [
        ("days_since_discharge", 13),
        ("days_since_discharge", 14),
        ("days_since_discharge", 15),
    ]


@POLICIES
def test_a_value_a_maintainer_adds_is_generated_with_no_test_code(policy: Policy) -> None:
    # Added to the longest list of values, where one value is the hardest to come by.
    fact = max((f for f in policy.facts if f.type is FactType.ENUM), key=lambda f: len(f.values))
    added = replace(fact, values=(*fact.values, FactValue("added_by_a_maintainer", "Added by a maintainer")))
    edited = replace(policy, facts=tuple(added if f.name == fact.name else f for f in policy.facts))
    found = find(strategies.complete_scenarios(edited), lambda s: s[fact.name] == "added_by_a_maintainer")
    assert found[fact.name] == "added_by_a_maintainer"


@pytest.mark.parametrize(
    ("fact", "expected"),
    [
        (Fact("days", FactType.INTEGER, "Days", "How many?", minimum=0), (0,)),
        (Fact("days_since_discharge", FactType.INTEGER, "Days", "How many?", minimum=0), (0, 13, 14, 15)),
        (Fact("days_since_discharge", FactType.INTEGER, "Days", "How many?", minimum=14), (14, 15)),
        (Fact("days_since_discharge", FactType.INTEGER, "Days", "How many?", minimum=0, maximum=14), (0, 13, 14)),
    ],
)
def test_near_bounds_are_the_compared_numbers_and_their_neighbours(fact: Fact, expected: tuple[int, ...]) -> None:
    # The fixture compares `days_since_discharge` with 14 (`more_than: 14`).
    assert strategies.near_bounds(CLINIC_POLICY, fact) == expected


@given(strategies.policies(CLINIC_POLICY.source_text, QUOTE))
def test_generated_policies_are_valid_policy_text(policy: object) -> None:
    assert isinstance(policy, Policy)
    compile_texts(dump_policy(policy), CLINIC_POLICY.source_text)


@given(st.data())
def test_hostile_edits_keep_the_policy_files(data: st.DataObject) -> None:
    texts = dump_policy(CLINIC_POLICY)
    edited = data.draw(strategies.hostile_edits(texts))
    assert sorted(edited) == sorted(texts)
