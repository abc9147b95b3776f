"""Properties every policy decision must have, over the checkout's policy (the one a
maintainer edits), the clinic fixture and generated policies.

The scenarios come from `billability.checks.strategies`, built from the policy's own fact
declarations; the oracle for partial scenarios is brute force over their completions.
Over the checkout's policy every expectation is derived from the policy and its corpus
(never a fact, value or rule named here), so that a legitimate edit keeps them passing;
what the table says about particular credentials or contact modes is policy content,
pinned by `corpus/`, and exercised here on the clinic fixture.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billability.checks import strategies
from billability.checks.corpus import load_cases
from billability.decide.engine import decide
from billability.decide.scenario import truth
from billability.decide.value_classes import comparison_bounds
from billability.model.diagnostics import Location, Problems, ScenarioError
from billability.model.policy import Decision, Fact, FactType, Outcome, Value
from billability.policy.compile import compile_texts, load_policy
from billability.policy.compiled import Policy
from billability.policy.dump import dump_policy
from billability.policy.sourcetext import statements
from policy_texts import CHECKOUT, CLINIC

# The checkout's policy and corpus, whichever copy of the package is installed.
POLICY = load_policy(CHECKOUT / "policy")
CASES = load_cases([CHECKOUT / "corpus"], POLICY)
CLINIC_POLICY = load_policy(CLINIC / "policy")
CLINIC_CASES = load_cases([CLINIC / "corpus"], CLINIC_POLICY)
SOURCE = CLINIC_POLICY.source_text
QUOTE = statements(SOURCE)[0].text
GENERATED = strategies.policies(SOURCE, QUOTE)


def _same(first: Decision, second: Decision) -> None:
    assert (first.outcome, first.rules, first.reasons, first.citations, first.missing) == (
        second.outcome,
        second.rules,
        second.reasons,
        second.citations,
        second.missing,
    )


def _known(scenario: Mapping[str, Value | None]) -> dict[str, Value]:
    return {name: value for name, value in scenario.items() if value is not None}


# --- evaluation is total and deterministic ----------------------------------------------


def _check_total(policy: Policy, scenario: Mapping[str, Value | None]) -> None:
    decision = decide(policy, scenario)
    assert decision.outcome in Outcome
    assert decision.outcome is Outcome.BILLABLE or decision.reasons
    if len(_known(scenario)) == len(policy.facts):
        assert decision.outcome is not Outcome.UNDETERMINED
        assert decision.missing == ()
    _same(decision, decide(policy, dict(scenario)))


@given(st.one_of(strategies.partial_scenarios(POLICY), strategies.near_threshold_scenarios(POLICY)))
def test_every_valid_scenario_gets_exactly_one_outcome(scenario: dict[str, Value | None]) -> None:
    _check_total(POLICY, scenario)


@given(st.data())
def test_every_valid_scenario_of_a_generated_policy_gets_one_outcome(data: st.DataObject) -> None:
    policy = data.draw(GENERATED)
    _check_total(policy, data.draw(strategies.partial_scenarios(policy)))


@given(strategies.invalid_scenarios(POLICY))
def test_every_invalid_scenario_raises_located_diagnostics(invalid: strategies.InvalidScenario) -> None:
    def locate(name: str) -> Location:
        return Location("scenario.yaml", sorted(map(str, invalid.facts)).index(name) + 1, 1)

    with pytest.raises(ScenarioError) as raised:
        decide(POLICY, invalid.facts, locate)
    found = {(d.code, d.location) for d in raised.value.diagnostics}
    assert (invalid.code, locate(str(invalid.fact))) in found
    assert all(d.location is not None and d.location.line > 0 for d in raised.value.diagnostics)


@pytest.mark.parametrize("facts", [None, [], "fact=value", 3, ["fact"]])
def test_a_scenario_that_is_not_a_mapping_raises_a_scenario_error(facts: Any) -> None:
    with pytest.raises(ScenarioError) as raised:
        decide(POLICY, facts)
    assert [d.code for d in raised.value.diagnostics] == ["scenario.type"]


# --- rule order does not matter --------------------------------------------------------------


@given(st.data())
def test_shuffling_the_rules_never_changes_a_decision(data: st.DataObject) -> None:
    policy = data.draw(st.one_of(st.just(POLICY), GENERATED))
    shuffled = replace(policy, rules=tuple(data.draw(st.permutations(policy.rules))))
    scenario = data.draw(strategies.partial_scenarios(policy))
    _same(decide(policy, scenario), decide(shuffled, scenario))


@given(st.data())
def test_moving_rules_between_files_never_changes_a_decision(data: st.DataObject) -> None:
    files = [f"rules/{name}.yaml" for name in ("a", "b", "c", "z")]
    placed = {rule.id: data.draw(st.sampled_from(files)) for rule in POLICY.rules}
    moved = compile_texts(dump_policy(POLICY, placed), POLICY.source_text)
    for scenario in data.draw(st.lists(strategies.partial_scenarios(POLICY), min_size=5, max_size=5)):
        _same(decide(POLICY, scenario), decide(moved, scenario))


# --- the reasons are honest ------------------------------------------------------------------


def _check_honest(policy: Policy, scenario: Mapping[str, Value | None]) -> None:
    decision = decide(policy, scenario)
    known = _known(scenario)
    for rule_id in decision.rules:
        holds = truth(policy.rule(rule_id).when, known)
        # a complete scenario: the rule applies; a partial one: it applies in some completion
        assert holds is True if len(known) == len(policy.facts) else holds is not False
        assert policy.rule(rule_id).outcome is decision.outcome
    if decision.outcome is Outcome.UNDETERMINED:
        return
    cited = replace(policy, rules=tuple(rule for rule in policy.rules if rule.id in decision.rules))
    assert decide(cited, scenario).outcome is decision.outcome


@given(strategies.partial_scenarios(POLICY))
def test_each_cited_rule_applies_and_alone_gives_the_same_outcome(scenario: dict[str, Value | None]) -> None:
    _check_honest(POLICY, scenario)


@given(st.data())
def test_generated_policies_cite_honestly(data: st.DataObject) -> None:
    policy = data.draw(GENERATED)
    _check_honest(policy, data.draw(strategies.partial_scenarios(policy)))


# --- incomplete scenarios are exact (brute force is the oracle) ----------------------------


def _every_value(policy: Policy, fact: Fact) -> tuple[Value, ...]:
    """Every value a fact can take, with whole numbers cut off two past the largest
    number the policy compares them with (beyond it nothing can change)."""
    if fact.type is FactType.ENUM:
        return fact.value_names
    if fact.type is FactType.BOOLEAN:
        return (True, False)
    low = fact.minimum if fact.minimum is not None else min([0, *comparison_bounds(policy, fact.name)]) - 2
    high = max([low, *comparison_bounds(policy, fact.name), *_integers_tested(policy, fact.name)]) + 2
    return tuple(range(low, high + 1))


def _integers_tested(policy: Policy, name: str) -> list[int]:
    from billability.model.conditions import nodes
    from billability.model.policy import Is

    return [
        node.value
        for rule in policy.rules
        for _, node in nodes(rule.when)
        if isinstance(node, Is) and node.fact == name and isinstance(node.value, int)
    ]


def _check_exact(policy: Policy, scenario: Mapping[str, Value | None]) -> None:
    known = _known(scenario)
    unknown = [fact for fact in policy.facts if fact.name not in known]
    values = [_every_value(policy, fact) for fact in unknown]
    outcomes: dict[tuple[Value, ...], Outcome] = {}
    for combination in itertools.product(*values):
        completion = {**known, **{fact.name: v for fact, v in zip(unknown, combination, strict=True)}}
        outcomes[combination] = decide(policy, completion).outcome
    distinct = set(outcomes.values())
    expected = distinct.pop() if len(distinct) == 1 else Outcome.UNDETERMINED
    missing = []
    for position, fact in enumerate(unknown):
        groups: dict[tuple[Value, ...], set[Outcome]] = {}
        for combination, outcome in outcomes.items():
            groups.setdefault(combination[:position] + combination[position + 1 :], set()).add(outcome)
        if any(len(group) > 1 for group in groups.values()):
            missing.append(fact.name)
    decision = decide(policy, scenario)
    assert decision.outcome is expected
    assert list(decision.missing) == missing


@given(strategies.partial_scenarios(POLICY, max_unknown=3))
def test_a_partial_scenario_decides_what_all_its_completions_decide(scenario: dict[str, Value | None]) -> None:
    _check_exact(POLICY, scenario)


@given(st.data())
def test_generated_partial_scenarios_decide_what_all_completions_decide(data: st.DataObject) -> None:
    policy = data.draw(GENERATED)
    _check_exact(policy, data.draw(strategies.partial_scenarios(policy, max_unknown=3)))


# --- variations anchored on the corpus ----------------------------------------------------


def _irrelevant(policy: Policy, facts: Mapping[str, Value]) -> list[Fact]:
    """Facts whose `relevant_when` is false for the case (the activity does not depend on them)."""
    return [fact for fact in policy.facts if truth(fact.relevant_when, facts) is False]


ANCHORED = [case for case in CASES if _irrelevant(POLICY, _known(case.facts))]


@pytest.mark.parametrize("case", ANCHORED, ids=[case.name for case in ANCHORED])
@given(data=st.data())
def test_facts_declared_irrelevant_to_a_case_never_change_its_outcome(case: Any, data: st.DataObject) -> None:
    # Compared with what the policy decides for the case (not with what the case expects:
    # that is the corpus's own check), so that a policy edit fails only corpus items.
    known = _known(case.facts)
    varied: dict[str, Value | None] = dict(known)
    for fact in _irrelevant(POLICY, varied):
        varied[fact.name] = data.draw(st.one_of(st.none(), strategies.fact_values(POLICY, fact)), label=fact.name)
    assert decide(POLICY, varied).outcome is decide(POLICY, known).outcome


# --- precedence: the first outcome whose rules apply wins ------------------------------------


def _check_precedence(policy: Policy, scenario: Mapping[str, Value]) -> None:
    """A complete scenario gets the first outcome, in precedence order, of which some rule
    holds, decided by every rule of that outcome that holds; no rule holding, the default."""
    holding = [rule for rule in policy.rules if truth(rule.when, scenario) is True]
    expected: tuple[Outcome, tuple[str, ...]] = (policy.default_outcome, ())
    for outcome in policy.precedence:
        deciding = sorted(rule.id for rule in holding if rule.outcome is outcome)
        if deciding:
            expected = (outcome, tuple(deciding))
            break
    decision = decide(policy, scenario)
    assert (decision.outcome, decision.rules) == expected


@given(strategies.complete_scenarios(POLICY))
def test_the_first_outcome_in_precedence_whose_rules_apply_wins(scenario: dict[str, Value]) -> None:
    _check_precedence(POLICY, scenario)


@given(st.data())
def test_generated_policies_follow_their_precedence(data: st.DataObject) -> None:
    policy = data.draw(GENERATED)
    _check_precedence(policy, data.draw(strategies.complete_scenarios(policy)))


# --- the clinic's content: who may bill, which contacts count ---------------------------------
# (The checkout's own statements of this kind are pinned by corpus cases quoting the table.)

UNQUALIFIED = ("peer",)
COMMUNICATION_ACTIVITIES = tuple(
    value.name for value in CLINIC_POLICY.fact_index["activity"].values if value.topic == "communication"
)
NOT_BILLABLE_CONTACT = ("voicemail", "email")
BILLABLE = [case for case in CLINIC_CASES if case.outcome is Outcome.BILLABLE]
COMMUNICATION = [case for case in CLINIC_CASES if case.facts.get("activity") in COMMUNICATION_ACTIVITIES]


@pytest.mark.parametrize("credential", UNQUALIFIED)
@pytest.mark.parametrize("case", BILLABLE, ids=[case.name for case in BILLABLE])
def test_an_unqualified_provider_makes_a_billable_case_not_billable(case: Any, credential: str) -> None:
    facts = {**case.facts, "provider_credential": credential}
    assert decide(CLINIC_POLICY, facts).outcome is Outcome.NOT_BILLABLE


@given(strategies.complete_scenarios(CLINIC_POLICY), st.sampled_from(UNQUALIFIED))
def test_an_unqualified_provider_never_bills(scenario: dict[str, Value], credential: str) -> None:
    assert decide(CLINIC_POLICY, {**scenario, "provider_credential": credential}).outcome is Outcome.NOT_BILLABLE


@pytest.mark.parametrize("mode", NOT_BILLABLE_CONTACT)
@pytest.mark.parametrize("case", COMMUNICATION, ids=[case.name for case in COMMUNICATION])
def test_no_communication_case_becomes_billable_by_voicemail_or_email(case: Any, mode: str) -> None:
    assert decide(CLINIC_POLICY, {**case.facts, "contact_mode": mode}).outcome is not Outcome.BILLABLE


@given(
    strategies.partial_scenarios(CLINIC_POLICY),
    st.sampled_from(COMMUNICATION_ACTIVITIES),
    st.sampled_from(NOT_BILLABLE_CONTACT),
)
def test_no_communication_by_voicemail_or_email_is_billable(
    scenario: dict[str, Value | None], activity: str, mode: str
) -> None:
    decision = decide(CLINIC_POLICY, {**scenario, "activity": activity, "contact_mode": mode})
    assert decision.outcome is Outcome.NOT_BILLABLE


def test_the_anchored_tables_are_not_empty() -> None:
    # A corpus that lost these cases would make the parametrized properties vacuous.
    assert ANCHORED and CASES
    assert BILLABLE and COMMUNICATION and UNQUALIFIED and COMMUNICATION_ACTIVITIES
    assert set(UNQUALIFIED) < set(CLINIC_POLICY.fact_index["provider_credential"].value_names)
    assert set(NOT_BILLABLE_CONTACT) < set(CLINIC_POLICY.fact_index["contact_mode"].value_names)


# --- round trip -----------------------------------------------------------------------------------


_RELOADED = compile_texts(dump_policy(POLICY), POLICY.source_text)


@given(strategies.partial_scenarios(POLICY))
def test_the_dumped_checkout_policy_decides_the_same(scenario: dict[str, Value | None]) -> None:
    _same(decide(POLICY, scenario), decide(_RELOADED, scenario))


@given(st.data())
def test_a_dumped_generated_policy_decides_the_same(data: st.DataObject) -> None:
    policy = data.draw(GENERATED)
    reloaded = compile_texts(dump_policy(policy), policy.source_text)
    assert reloaded.rules == policy.rules
    for scenario in data.draw(st.lists(strategies.partial_scenarios(policy), min_size=1, max_size=5)):
        _same(decide(policy, scenario), decide(reloaded, scenario))


# --- hostile policy text ---------------------------------------------------------------------------

_TEXTS = dump_policy(POLICY)


@given(strategies.hostile_edits(_TEXTS))
def test_edited_policy_text_gives_located_diagnostics_or_a_valid_policy(texts: dict[str, str]) -> None:
    try:
        edited = compile_texts(texts, POLICY.source_text)
    except Problems as error:
        assert error.diagnostics
        for diagnostic in error.diagnostics:
            assert diagnostic.location is not None and diagnostic.location.file in texts, diagnostic
            assert diagnostic.location.line > 0, diagnostic
        return
    decide(edited, {})


@given(st.binary(max_size=200), st.sampled_from(sorted(_TEXTS)))
def test_random_bytes_as_a_policy_file_give_located_diagnostics(raw: bytes, name: str) -> None:
    from billability.policy.source import read_yaml

    try:
        read_yaml(raw, name)
    except Problems as error:
        assert all(d.location is not None and d.location.file == name for d in error.diagnostics)


def test_shuffled_rules_in_a_random_order_still_compile_and_decide() -> None:
    # One fixed reordering of the files' rules, as a plain example beside the properties.
    rules = list(POLICY.rules)
    random.Random(3).shuffle(rules)
    shuffled = compile_texts(dump_policy(replace(POLICY, rules=tuple(rules))), POLICY.source_text)
    for case in CASES:
        _same(decide(POLICY, case.facts), decide(shuffled, case.facts))


# --- examples these properties found ---------------------------------------------------------------

_EQUALITY_POLICY = """
policy:
  id: equality
  title: A whole number tested for equality
  source: source.txt
  precedence: [not_billable, needs_review, billable]
  default: {outcome: billable, reason: no rule applies}
  version: "1.0"
  effective_from: "2026-01-01"
  source_document: {title: A table, publisher: A clinic, date: "2025-12-01"}
  review: {team: QA, how: ask before you bill}
topics:
  general: {title: General}
facts:
  visits:
    type: integer
    minimum: 0
    label: Visits
    question: How many visits?
    relevant_when: always
  kind:
    type: enum
    label: Kind
    question: Which kind?
    values: {first: {label: First}, second: {label: Second}}
    relevant_when: always
rules:
  - id: third-visit
    title: The third visit
    topic: general
    outcome: not_billable
    when: {visits: 3, kind: first}
    reason: the third visit is not billable
    source: ["QUOTE"]
"""


@pytest.mark.parametrize(
    ("facts", "outcome", "missing"),
    [
        ({"kind": "first"}, Outcome.UNDETERMINED, ("visits",)),
        ({"visits": 3}, Outcome.UNDETERMINED, ("kind",)),
        ({"visits": 4}, Outcome.BILLABLE, ()),
        ({"kind": "second"}, Outcome.BILLABLE, ()),
    ],
)
def test_a_whole_number_tested_for_equality_is_split_on_that_number(
    facts: dict[str, Value], outcome: Outcome, missing: tuple[str, ...]
) -> None:
    # The evaluator once tried only the minimum of a whole number compared with `visits: 3`.
    policy = compile_texts({"policy.yaml": _EQUALITY_POLICY.replace("QUOTE", QUOTE)}, SOURCE)
    decision = decide(policy, facts)
    assert (decision.outcome, decision.missing) == (outcome, missing)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("\x1f\nfacts: {}\n", 1, 1), ("rules: []\nfacts: {a: \x07}\n", 2, 12)],
)
def test_a_control_character_in_policy_text_is_located(text: str, line: int, column: int) -> None:
    with pytest.raises(Problems) as raised:
        compile_texts({"policy.yaml": text}, SOURCE)
    assert [(d.code, d.location) for d in raised.value.diagnostics] == [
        ("yaml.syntax", Location("policy.yaml", line, column))
    ]
