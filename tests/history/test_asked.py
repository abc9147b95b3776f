"""Counting the combinations of answers a region holds, each fact where it is asked:
checked against brute force (every scenario staff can give, `scenarios.asked_scenarios`)
on the clinic fixture and on small policies whose questions hang on other answers,
whole numbers included."""

from __future__ import annotations

import pytest

from billability.decide.regions import Restriction, outcome_judge, partition, space_of
from billability.history.asked import AskedFacts
from billability.model.policy import Value
from billability.policy.compiled import Policy
from policy_texts import FACTS, rule, small_policy
from scenarios import asked_scenarios, combinations_of

# `mode` is asked only about talking, `channel` only about a call: a chain of questions.
CHAIN = (
    FACTS
    + """\
  mode:
    type: enum
    label: Mode
    question: How?
    values: {call: {label: Call}, letter: {label: Letter}}
    relevant_when:
      activity: talk
  channel:
    type: enum
    label: Channel
    question: Which line?
    values: {landline: {label: Landline}, mobile: {label: Mobile}, video: {label: Video}}
    relevant_when:
      mode: call
"""
)
# `follow_up` is asked only after more than ten minutes: a question that hangs on a number.
AFTER_TEN_MINUTES = (
    FACTS
    + """\
  follow_up:
    type: boolean
    label: Follow-up
    question: Followed up?
    relevant_when:
      minutes: {more_than: 10}
"""
)

POLICIES = {
    "chain": lambda: small_policy(
        rule("talk", "billable", "activity: talk\nchannel: [landline, mobile]"),
        rule("drive", "not_billable", "activity: drive"),
        facts=CHAIN,
    ),
    "minutes": lambda: small_policy(
        rule("long", "billable", "activity: talk\nminutes: {more_than: 10}\nfollow_up: true"),
        rule("short", "needs_review", "activity: talk\nminutes: {at_most: 30}"),
        facts=AFTER_TEN_MINUTES,
    ),
}


def inside(restrictions: tuple[Restriction, ...], scenario: dict[str, Value | None]) -> bool:
    return all(r.contains(scenario[r.fact]) for r in restrictions)


@pytest.fixture(params=["clinic", *POLICIES])
def policy(request: pytest.FixtureRequest, clinic: Policy) -> Policy:
    return clinic if request.param == "clinic" else POLICIES[request.param]()


@pytest.mark.parametrize("blanks", [False, True], ids=["complete", "with-blanks"])
def test_every_region_counts_the_answers_staff_can_give_in_it(policy: Policy, blanks: bool) -> None:
    space = space_of(policy)
    asked = AskedFacts.of(space, policy)
    scenarios = asked_scenarios(policy, blanks=blanks)
    assert asked.combinations((), blanks) == combinations_of(scenarios, policy)
    regions = partition(space.with_blanks() if blanks else space, outcome_judge(policy))
    assert len(regions) > 1
    for region in regions:
        restrictions = region.restrictions
        if not blanks:
            # Read without the blank part, as the diff reads complete scenarios.
            restrictions = tuple(
                Restriction(r.fact, tuple(v for v in r.values if v is not None), r.low, r.high, r.integer)
                for r in restrictions
            )
        expected = combinations_of((s for s in scenarios if inside(restrictions, s)), policy)
        assert asked.combinations(restrictions, blanks) == expected, restrictions


def test_a_fact_not_asked_counts_once() -> None:
    policy = POLICIES["chain"]()
    asked = AskedFacts.of(space_of(policy), policy)
    reached = 2
    # Driving asks neither the mode nor the channel; talking asks the mode, and a call the channel.
    assert asked.combinations((Restriction("activity", ("drive",)),), blanks=False) == reached
    assert asked.combinations((Restriction("activity", ("talk",)),), blanks=False) == reached * (1 + 3)
