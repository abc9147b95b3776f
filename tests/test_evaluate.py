"""Deciding scenarios: the county table's semantics, exact answers for incomplete
scenarios (checked against brute force over every completion), and scenario errors."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from billability import Outcome, Policy, ScenarioError
from billability.evaluate import truth
from billability.model import All, AnyOf, Is, Not, OneOf

QUALIFIED = ("registered_sud_counselor", "certified_sud_counselor", "lpha")
COMMUNICATION = ("provider_communication", "service_follow_up", "advocacy")
COORDINATION = ("loc_transition", "health_care_coordination", "social_services_coordination")
NOT_BILLABLE_ACTIVITIES = (
    "transportation", "moving_assistance", "client_search", "no_show_outreach",
    "waiting_during_appointment", "documentation_outside_note", "data_entry",
)  # fmt: skip
# Days to try in the brute-force oracle: chosen by hand, not from the policy,
# so the oracle does not share the evaluator's idea of which numbers matter.
ORACLE_DAYS = (0, 1, 15, 29, 30, 31, 32, 60, 365)


def oracle_domains(policy: Policy) -> dict[str, tuple[Any, ...]]:
    domains: dict[str, tuple[Any, ...]] = {}
    for fact in policy.facts:
        if fact.type == "enum":
            domains[fact.name] = fact.value_names
        elif fact.type == "boolean":
            domains[fact.name] = (False, True)
        else:
            domains[fact.name] = ORACLE_DAYS
    return domains


def completions(policy: Policy, known: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    domains = oracle_domains(policy)
    unknown = [name for name in domains if name not in known]
    for values in itertools.product(*(domains[name] for name in unknown)):
        yield {**known, **dict(zip(unknown, values, strict=True))}


def brute_force(policy: Policy, known: Mapping[str, Any]) -> tuple[Outcome, tuple[str, ...]]:
    """The outcome all completions share (or undetermined), and the facts for which two
    completions differing only in that fact decide differently."""
    outcomes = {tuple(sorted(c.items())): policy.evaluate(c).outcome for c in completions(policy, known)}
    distinct = set(outcomes.values())
    outcome = distinct.pop() if len(distinct) == 1 else Outcome.UNDETERMINED
    domains = oracle_domains(policy)
    missing = []
    for name in domains:
        if name in known:
            continue
        groups: dict[tuple[Any, ...], set[Outcome]] = {}
        for key, result in outcomes.items():
            rest = tuple(item for item in key if item[0] != name)
            groups.setdefault(rest, set()).add(result)
        if any(len(group) > 1 for group in groups.values()):
            missing.append(name)
    return outcome, tuple(missing)


def complete(**facts: Any) -> dict[str, Any]:
    scenario = {
        "provider_credential": "lpha",
        "activity": "advocacy",
        "contact_mode": "phone",
        "contact_successful": True,
        "medically_necessary": True,
        "documented": True,
        "after_discharge": False,
        "days_since_discharge": 0,
    }
    scenario.update(facts)
    return scenario


# --- the semantics, one line each -------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "outcome", "rules"),
    [
        *[(complete(provider_credential=c), Outcome.BILLABLE, ("advocacy",)) for c in QUALIFIED],
        *[
            (complete(provider_credential=c), Outcome.NOT_BILLABLE, ("credential-not-qualified",))
            for c in ("peer_support_specialist", "other_staff")
        ],
        *[
            (complete(activity=a), Outcome.NOT_BILLABLE, (a.replace("_", "-"),))
            for a in NOT_BILLABLE_ACTIVITIES
        ],
        (complete(activity="other"), Outcome.NEEDS_REVIEW, ("unlisted-activity",)),
        *[
            (complete(activity=a, contact_mode=m), Outcome.BILLABLE, (a.replace("_", "-"),))
            for a in COMMUNICATION
            for m in ("face_to_face", "phone")
        ],
        *[
            (complete(activity=a, contact_mode=m), Outcome.NEEDS_REVIEW, ("communication-video-or-text",))
            for a in COMMUNICATION
            for m in ("video", "text_message")
        ],
        *[
            (complete(activity=a, contact_mode=m), Outcome.NOT_BILLABLE, ("communication-email-or-written",))
            for a in COMMUNICATION
            for m in ("email", "written_report")
        ],
        *[
            (complete(activity=a, contact_mode="voicemail"), Outcome.NOT_BILLABLE, ("communication-voicemail",))
            for a in COMMUNICATION
        ],
        *[
            (complete(activity=a, contact_successful=False), Outcome.NOT_BILLABLE, ("contact-not-successful",))
            for a in COMMUNICATION + COORDINATION
        ],
        *[
            (complete(activity=a, contact_mode=m), Outcome.BILLABLE, (a.replace("_", "-"),))
            for a in COORDINATION
            for m in ("email", "voicemail", "text_message")
        ],
        (complete(activity="warm_handoff"), Outcome.BILLABLE, ("warm-handoff",)),
        (complete(activity="warm_handoff", after_discharge=True, days_since_discharge=30), Outcome.BILLABLE, ("warm-handoff",)),
        (complete(activity="warm_handoff", after_discharge=True, days_since_discharge=31), Outcome.NOT_BILLABLE, ("warm-handoff-tcs-window",)),
        (complete(activity="warm_handoff", after_discharge=False, days_since_discharge=31), Outcome.BILLABLE, ("warm-handoff",)),
        (complete(activity="warm_handoff", medically_necessary=False), Outcome.NOT_BILLABLE, ("warm-handoff-not-medically-necessary",)),
        (complete(activity="warm_handoff", documented=False), Outcome.NOT_BILLABLE, ("warm-handoff-not-documented",)),
        (complete(activity="resource_linkage", contact_mode="email", contact_successful=False), Outcome.BILLABLE, ("resource-linkage",)),
        (
            complete(provider_credential="other_staff", activity="advocacy", contact_mode="voicemail", contact_successful=False),
            Outcome.NOT_BILLABLE,
            ("communication-voicemail", "contact-not-successful", "credential-not-qualified"),
        ),
    ],
)  # fmt: skip
def test_decisions_follow_the_county_table(
    policy: Policy, facts: dict[str, Any], outcome: Outcome, rules: tuple[str, ...]
) -> None:
    decision = policy.evaluate(facts)
    assert (decision.outcome, decision.rules) == (outcome, rules)
    assert decision.missing == ()
    assert len(decision.reasons) == len(decision.citations) == len(rules)
    for citation in decision.citations:
        assert citation.quotes == policy.rule(citation.rule).quotes


def test_a_decision_explains_itself(policy: Policy) -> None:
    decision = policy.evaluate(
        {"activity": "provider_communication", "contact_mode": "voicemail", "provider_credential": "lpha"}
    )
    assert decision.outcome == "not_billable"
    assert decision.rules == ("communication-voicemail",)
    assert "does not reach the provider" in decision.reasons[0]
    assert decision.citations[0].quote == "e.g., leaving a voice mail message."
    assert {event.rule for event in decision.trace} >= {"communication-voicemail", "credential-not-qualified"}
    assert decision.as_json()["citations"] == [
        {
            "rule": "communication-voicemail",
            "quote": "e.g., leaving a voice mail message.",
            "quotes": ["e.g., leaving a voice mail message."],
        }
    ]


def test_the_trace_shows_what_each_rule_came_to(policy: Policy) -> None:
    decision = policy.evaluate({"activity": "advocacy", "provider_credential": "lpha", "contact_mode": "phone"})
    holds = {event.rule: event.holds for event in decision.trace}
    assert holds["advocacy"] is True
    assert holds["credential-not-qualified"] is False
    assert holds["contact-not-successful"] is None


# --- incomplete scenarios: exact, against brute force -----------------------------------------


def base_scenarios() -> list[dict[str, Any]]:
    bases = [complete(activity=a) for a in ("benefits_enrollment", "other", "transportation", "loc_transition")]
    bases += [
        complete(activity=a, contact_mode=m) for a in ("advocacy",) for m in ("phone", "video", "email", "voicemail")
    ]
    bases += [
        complete(activity="warm_handoff", after_discharge=ad, days_since_discharge=d, medically_necessary=mn)
        for ad in (True, False)
        for d in (12, 45)
        for mn in (True, False)
    ]
    bases += [complete(provider_credential="peer_support_specialist", activity="warm_handoff", after_discharge=True)]
    return bases


def partial_scenarios() -> Iterator[dict[str, Any]]:
    seen: set[tuple[Any, ...]] = set()
    for base in base_scenarios():
        names = list(base)
        for size in range(1, 4):
            for hidden in itertools.combinations(names, size):
                partial = {k: v for k, v in base.items() if k not in hidden}
                key = tuple(sorted(partial.items()))
                if key not in seen:
                    seen.add(key)
                    yield partial


def test_incomplete_scenarios_are_exact_against_brute_force(policy: Policy) -> None:
    checked = 0
    for partial in partial_scenarios():
        decision = policy.evaluate(partial)
        assert (decision.outcome, decision.missing) == brute_force(policy, partial), partial
        checked += 1
    assert checked > 500


@pytest.mark.parametrize(
    "known",
    [
        {},
        {"provider_credential": "lpha"},
        {"activity": "warm_handoff"},
        {"activity": "other"},
        {"provider_credential": "peer_support_specialist"},
        {"contact_mode": "email", "contact_successful": True},
        {"days_since_discharge": 31, "after_discharge": True},
    ],
)
def test_nearly_empty_scenarios_are_exact_against_brute_force(policy: Policy, known: dict[str, Any]) -> None:
    decision = policy.evaluate(known)
    assert (decision.outcome, decision.missing) == brute_force(policy, known)


def test_missing_facts_are_asked_in_declaration_order(policy: Policy) -> None:
    decision = policy.evaluate({"provider_credential": "lpha", "activity": "warm_handoff"})
    assert decision.outcome is Outcome.UNDETERMINED
    assert decision.missing == ("medically_necessary", "documented", "after_discharge", "days_since_discharge")
    assert decision.rules == ()


def test_none_means_unknown(policy: Policy) -> None:
    assert policy.evaluate({"activity": "transportation", "provider_credential": None}).outcome is Outcome.NOT_BILLABLE


# --- invalid scenarios ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "codes", "hint"),
    [
        ({"activty": "advocacy"}, ["scenario.unknown-fact"], "did you mean `activity`?"),
        ({"activity": "advocasy"}, ["scenario.unknown-value"], "did you mean `advocacy`?"),
        ({"activity": "knitting"}, ["scenario.unknown-value"], "allowed: `benefits_enrollment`"),
        ({"activity": 3}, ["scenario.type"], None),
        ({"contact_successful": "yes"}, ["scenario.type"], "write `true` or `false`"),
        ({"contact_successful": 1}, ["scenario.type"], None),
        ({"days_since_discharge": True}, ["scenario.type"], None),
        ({"days_since_discharge": "12"}, ["scenario.type"], None),
        ({"days_since_discharge": 1.5}, ["scenario.type"], None),
        ({"days_since_discharge": -1}, ["scenario.out-of-range"], None),
        ({"activity": ["advocacy"]}, ["scenario.type"], None),
        ({"activty": "x", "contact_mode": "fax", "documented": "no"}, ["scenario.type", "scenario.unknown-fact", "scenario.unknown-value"], None),
    ],
)  # fmt: skip
def test_invalid_scenarios_raise_one_error_with_every_problem(
    policy: Policy, facts: dict[str, Any], codes: list[str], hint: str | None
) -> None:
    with pytest.raises(ScenarioError) as raised:
        policy.evaluate(facts)
    assert sorted(d.code for d in raised.value.diagnostics) == codes
    if hint:
        assert (raised.value.diagnostics[0].hint or "").startswith(hint)


def test_a_scenario_must_be_a_mapping(policy: Policy) -> None:
    with pytest.raises(ScenarioError):
        policy.evaluate(["activity"])  # type: ignore[arg-type]


# --- three-valued truth, one form at a time ---------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "scenario", "expected"),
    [
        (Is("a", "x"), {"a": "x"}, True),
        (Is("a", "x"), {"a": "y"}, False),
        (Is("a", "x"), {}, None),
        (OneOf("a", ("x", "y")), {"a": "y"}, True),
        (OneOf("a", ("x", "y")), {}, None),
        (Not(Is("a", "x")), {}, None),
        (Not(Is("a", "x")), {"a": "y"}, True),
        (All((Is("a", "x"), Is("b", "y"))), {"a": "z"}, False),
        (All((Is("a", "x"), Is("b", "y"))), {"a": "x"}, None),
        (AnyOf((Is("a", "x"), Is("b", "y"))), {"b": "y"}, True),
        (AnyOf((Is("a", "x"), Is("b", "y"))), {"a": "z"}, None),
        (AnyOf((Is("a", "x"), Is("b", "y"))), {"a": "z", "b": "z"}, False),
    ],
)
def test_truth_is_three_valued(condition: Any, scenario: dict[str, Any], expected: bool | None) -> None:
    assert truth(condition, scenario) is expected


def test_missing_facts_are_ones_the_policy_declares_relevant(policy: Policy) -> None:
    """The facts' `relevant_when` (what staff are told to ask about) agrees with the rules:
    a fact is never missing where its declaration says it does not matter."""
    facts = policy.fact_index
    for partial in partial_scenarios():
        for name in policy.evaluate(partial).missing:
            assert truth(facts[name].relevant_when, partial) is not False, (name, partial)
