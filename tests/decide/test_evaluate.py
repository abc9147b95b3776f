"""Deciding scenarios: the semantics on the clinic fixture policy, exact answers for
incomplete scenarios (checked against brute force over every completion, on the fixture
and on the checkout's policy), and scenario errors.

Nothing here names a fact, a value or a rule of the checkout's policy: what it decides
is pinned by `corpus/` alone.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from billability import Outcome, Policy, ScenarioError
from billability.decide.regions import space_of
from billability.decide.scenario import truth
from billability.decide.table import Region, decision_table
from billability.model.conditions import nodes
from billability.model.policy import All, AnyOf, Compare, FactType, Is, Not, OneOf, Range, Value
from billability.policy.compile import normalize

# --- the brute-force oracle -------------------------------------------------------------


def compared_numbers(policy: Policy, name: str) -> set[int]:
    """The numbers the policy's rules and `relevant_when` declarations compare fact `name`
    with, read off the condition trees here rather than asked of the evaluator."""
    numbers: set[int] = set()
    conditions = [rule.when for rule in policy.rules] + [fact.relevant_when for fact in policy.facts]
    for condition in conditions:
        for _, node in nodes(condition):
            match node:
                case Compare(fact=fact, bound=bound) if fact == name:
                    numbers.add(bound)
                case Is(fact=fact, value=value) if fact == name and type(value) is int:
                    numbers.add(value)
                case OneOf(fact=fact, values=values) if fact == name:
                    numbers.update(v for v in values if type(v) is int)
    return numbers


def oracle_domains(policy: Policy) -> dict[str, tuple[Value, ...]]:
    """Every value the oracle tries: all enum values and both booleans; for a whole number,
    its lowest allowed value, every number within two of a compared number, and one far
    beyond the largest (wider than the evaluator's own idea of which numbers matter)."""
    domains: dict[str, tuple[Value, ...]] = {}
    for fact in policy.facts:
        if fact.type is FactType.ENUM:
            domains[fact.name] = fact.value_names
        elif fact.type is FactType.BOOLEAN:
            domains[fact.name] = (False, True)
        else:
            compared = compared_numbers(policy, fact.name)
            low = fact.minimum if fact.minimum is not None else min(compared, default=0) - 1_000
            high = fact.maximum if fact.maximum is not None else max(compared, default=low) + 1_000
            numbers = {low, high} | {n + d for n in compared for d in range(-2, 3)}
            domains[fact.name] = tuple(sorted(n for n in numbers if low <= n <= high))
    return domains


def completions(policy: Policy, known: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    domains = oracle_domains(policy)
    unknown = [name for name in domains if name not in known]
    for values in itertools.product(*(domains[name] for name in unknown)):
        yield {**known, **dict(zip(unknown, values, strict=True))}


def brute_force(policy: Policy, known: Mapping[str, Any]) -> tuple[Outcome, tuple[str, ...]]:
    """The outcome all completions share (or undetermined), and the facts for which two
    completions differing only in that fact decide differently, in declaration order."""
    outcomes = {tuple(sorted(c.items())): policy.evaluate(c).outcome for c in completions(policy, known)}
    distinct = set(outcomes.values())
    outcome = distinct.pop() if len(distinct) == 1 else Outcome.UNDETERMINED
    missing = []
    for name in oracle_domains(policy):
        if name in known:
            continue
        groups: dict[tuple[Any, ...], set[Outcome]] = {}
        for key, result in outcomes.items():
            rest = tuple(item for item in key if item[0] != name)
            groups.setdefault(rest, set()).add(result)
        if any(len(group) > 1 for group in groups.values()):
            missing.append(name)
    return outcome, tuple(missing)


def representative(policy: Policy, region: Region) -> dict[str, Value]:
    """One complete scenario of a decision-table region."""
    space = space_of(policy)
    scenario: dict[str, Value] = {}
    for name in space.facts:
        restriction = region.restriction(name)
        scenario[name] = next(
            piece.value for piece in space.pieces[name] if restriction is None or restriction.contains(piece.value)
        )
    return scenario


# At most this many regions of a large policy serve as bases for the partial scenarios
# (a seeded sample, so that the brute force stays within a second or two).
BASE_REGIONS = 10


def base_scenarios(policy: Policy) -> list[dict[str, Value]]:
    """One complete scenario per region of the policy's decision table (a seeded sample
    of them for a large policy): every outcome and deciding-rule set the policy has."""
    regions = list(decision_table(policy).regions)
    if len(regions) > BASE_REGIONS:
        regions = random.Random(0).sample(regions, BASE_REGIONS)
    return [representative(policy, region) for region in regions]


def partial_scenarios(policy: Policy, hide: int = 3) -> Iterator[dict[str, Value]]:
    """Each base scenario with one to `hide` facts left out."""
    seen: set[tuple[Any, ...]] = set()
    for base in base_scenarios(policy):
        names = list(base)
        for size in range(1, hide + 1):
            for hidden in itertools.combinations(names, size):
                partial = {k: v for k, v in base.items() if k not in hidden}
                key = tuple(sorted(partial.items()))
                if key not in seen:
                    seen.add(key)
                    yield partial


# --- the semantics, one line each (the clinic fixture) -----------------------------------


def complete(**facts: Value) -> dict[str, Value]:
    scenario: dict[str, Value] = {
        "provider_credential": "counselor",
        "activity": "provider_call",
        "contact_mode": "phone",
        "documented": True,
        "days_since_discharge": 0,
    }
    scenario.update(facts)
    return scenario


HANDOFF = {"activity": "handoff", "contact_mode": "email"}


@pytest.mark.parametrize(
    ("facts", "outcome", "rules"),
    [
        (complete(), Outcome.BILLABLE, ("provider-call",)),
        (complete(provider_credential="peer"), Outcome.NOT_BILLABLE, ("not-a-counselor",)),
        (complete(activity="benefits"), Outcome.BILLABLE, ("benefits",)),
        (complete(activity="driving"), Outcome.NOT_BILLABLE, ("driving",)),
        *[(complete(contact_mode=m), Outcome.NOT_BILLABLE, ("provider-call-voicemail-or-email",)) for m in ("voicemail", "email")],
        (complete(contact_mode="video"), Outcome.NEEDS_REVIEW, ("provider-call-video",)),
        (complete(**HANDOFF, days_since_discharge=14), Outcome.BILLABLE, ("handoff",)),
        (complete(**HANDOFF, days_since_discharge=15), Outcome.NOT_BILLABLE, ("handoff-window",)),
        (complete(**HANDOFF, documented=False), Outcome.NOT_BILLABLE, ("handoff-undocumented",)),
        (complete(**HANDOFF, documented=False, days_since_discharge=400), Outcome.NOT_BILLABLE, ("handoff-undocumented", "handoff-window")),
        (complete(provider_credential="peer", contact_mode="voicemail"), Outcome.NOT_BILLABLE, ("not-a-counselor", "provider-call-voicemail-or-email")),
        # facts the activity does not depend on change nothing
        (complete(activity="driving", contact_mode="video", documented=False, days_since_discharge=99), Outcome.NOT_BILLABLE, ("driving",)),
        (complete(activity="benefits", contact_mode="voicemail", days_since_discharge=99), Outcome.BILLABLE, ("benefits",)),
    ],
)  # fmt: skip
def test_decisions_follow_the_fixture_table(
    clinic: Policy, facts: dict[str, Any], outcome: Outcome, rules: tuple[str, ...]
) -> None:
    decision = clinic.evaluate(facts)
    assert (decision.outcome, decision.rules) == (outcome, rules)
    assert decision.missing == ()
    assert len(decision.reasons) == len(decision.citations) == len(rules)
    for citation in decision.citations:
        assert citation.quotes == clinic.rule(citation.rule).quotes


def test_no_rule_gives_the_default_with_its_reason(clinic: Policy) -> None:
    decision = clinic.evaluate(complete(activity="other"))
    assert (decision.outcome, decision.rules, decision.citations) == (clinic.default_outcome, (), ())
    assert decision.reasons == (clinic.default_reason,)


def test_a_decision_explains_itself(clinic: Policy) -> None:
    decision = clinic.evaluate(
        {"activity": "provider_call", "contact_mode": "voicemail", "provider_credential": "counselor"}
    )
    assert decision.outcome == "not_billable"
    assert decision.rules == ("provider-call-voicemail-or-email",)
    assert decision.reasons == ("a voicemail or an email is not a billable contact",)
    quotes = ["Leaving a voice mail message.", "Sending an email to a provider."]
    assert decision.citations[0].quote == " ... ".join(quotes)
    assert {event.rule for event in decision.trace} >= {"provider-call-voicemail-or-email", "not-a-counselor"}
    assert decision.as_json()["citations"] == [
        {"rule": "provider-call-voicemail-or-email", "quote": " ... ".join(quotes), "quotes": quotes}
    ]


def test_the_trace_shows_what_each_rule_came_to(clinic: Policy) -> None:
    decision = clinic.evaluate({"activity": "handoff", "provider_credential": "counselor", "documented": True})
    holds = {event.rule: event.holds for event in decision.trace}
    assert holds["handoff"] is True
    assert holds["handoff-undocumented"] is False
    assert holds["not-a-counselor"] is False
    assert holds["handoff-window"] is None


def test_every_region_decides_with_its_rules_reasons_and_quotes(any_policy: Policy) -> None:
    """A decision cites each deciding rule once, with that rule's reason and quotes, and
    every quote is in the policy's source text; the default alone gives no citation."""
    source = normalize(any_policy.source_text)
    for region in decision_table(any_policy).regions:
        decision = any_policy.evaluate(representative(any_policy, region))
        assert (decision.outcome, decision.rules, decision.missing) == (region.outcome, region.rules, ())
        if not decision.rules:
            assert decision.reasons == (any_policy.default_reason,) and decision.citations == ()
            continue
        assert decision.reasons == tuple(any_policy.rule(rule_id).reason for rule_id in decision.rules)
        assert [c.rule for c in decision.citations] == list(decision.rules)
        for citation in decision.citations:
            assert citation.quotes == any_policy.rule(citation.rule).quotes
            assert all(normalize(quote) in source for quote in citation.quotes)


# --- incomplete scenarios: exact, against brute force -----------------------------------------


def test_the_oracle_tries_every_compared_number_and_its_neighbours(clinic: Policy) -> None:
    # The fixture's window is `more_than: 14` on a fact whose minimum is 0.
    assert oracle_domains(clinic)["days_since_discharge"] == (0, 12, 13, 14, 15, 16, 1014)


def test_incomplete_scenarios_are_exact_against_brute_force(any_policy: Policy) -> None:
    checked = 0
    for partial in partial_scenarios(any_policy):
        decision = any_policy.evaluate(partial)
        assert (decision.outcome, decision.missing) == brute_force(any_policy, partial), partial
        checked += 1
    assert checked > 100


def nearly_empty(policy: Policy) -> list[dict[str, Value]]:
    """Nothing known, and each single fact known with each value the oracle tries."""
    return [{}] + [{name: value} for name, values in oracle_domains(policy).items() for value in values]


def test_nearly_empty_fixture_scenarios_are_exact_against_brute_force(clinic: Policy) -> None:
    for known in nearly_empty(clinic):
        decision = clinic.evaluate(known)
        assert (decision.outcome, decision.missing) == brute_force(clinic, known), known


def test_the_empty_scenario_is_exact_against_brute_force(policy: Policy) -> None:
    # The hardest case of all (every fact unknown), on the checkout's policy.
    decision = policy.evaluate({})
    assert (decision.outcome, decision.missing) == brute_force(policy, {})


def test_missing_facts_are_asked_in_declaration_order(clinic: Policy) -> None:
    decision = clinic.evaluate({"provider_credential": "counselor", "activity": "handoff"})
    assert decision.outcome is Outcome.UNDETERMINED
    assert decision.missing == ("documented", "days_since_discharge")
    assert [f.name for f in clinic.facts].index("documented") < [f.name for f in clinic.facts].index(
        "days_since_discharge"
    )
    assert decision.rules == ()


def test_none_means_unknown(clinic: Policy) -> None:
    # Driving is not billable whoever drives: the unknown credential does not matter.
    decision = clinic.evaluate({"activity": "driving", "provider_credential": None})
    assert (decision.outcome, decision.missing) == (Outcome.NOT_BILLABLE, ())
    assert clinic.evaluate({"activity": "benefits", "provider_credential": None}).missing == ("provider_credential",)


def test_missing_facts_are_ones_the_policy_declares_relevant(any_policy: Policy) -> None:
    """The facts' `relevant_when` (what staff are told to ask about) agrees with the rules:
    a fact is never missing where its declaration says it does not matter."""
    facts = any_policy.fact_index
    for partial in partial_scenarios(any_policy):
        for name in any_policy.evaluate(partial).missing:
            assert truth(facts[name].relevant_when, partial) is not False, (name, partial)


# --- invalid scenarios ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "codes", "hint"),
    [
        ({"activty": "driving"}, ["scenario.unknown-fact"], "did you mean `activity`?"),
        ({"activity": "handof"}, ["scenario.unknown-value"], "did you mean `handoff`?"),
        ({"activity": "knitting"}, ["scenario.unknown-value"], "allowed: `benefits`"),
        ({"activity": 3}, ["scenario.type"], None),
        ({"documented": "yes"}, ["scenario.type"], "write `true` or `false`"),
        ({"documented": 1}, ["scenario.type"], None),
        ({"days_since_discharge": True}, ["scenario.type"], None),
        ({"days_since_discharge": "12"}, ["scenario.type"], None),
        ({"days_since_discharge": 1.5}, ["scenario.type"], None),
        ({"days_since_discharge": -1}, ["scenario.out-of-range"], None),
        ({"activity": ["driving"]}, ["scenario.type"], None),
        ({"activty": "x", "contact_mode": "fax", "documented": "no"}, ["scenario.type", "scenario.unknown-fact", "scenario.unknown-value"], None),
    ],
)  # fmt: skip
def test_invalid_scenarios_raise_one_error_with_every_problem(
    clinic: Policy, facts: dict[str, Any], codes: list[str], hint: str | None
) -> None:
    with pytest.raises(ScenarioError) as raised:
        clinic.evaluate(facts)
    assert sorted(d.code for d in raised.value.diagnostics) == codes
    if hint:
        assert (raised.value.diagnostics[0].hint or "").startswith(hint)


def test_a_scenario_must_be_a_mapping(clinic: Policy) -> None:
    with pytest.raises(ScenarioError):
        clinic.evaluate(["activity"])  # type: ignore[arg-type]


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
        (Compare("n", "more_than", 14), {"n": 15}, True),
        (Compare("n", "more_than", 14), {"n": 14}, False),
        (Compare("n", "at_least", 14), {"n": 14}, True),
        (Compare("n", "less_than", 14), {"n": 14}, False),
        (Compare("n", "at_most", 14), {"n": 14}, True),
        (Compare("n", "more_than", 14), {}, None),
        (Range((Compare("n", "more_than", 30), Compare("n", "at_most", 45))), {"n": 30}, False),
        (Range((Compare("n", "more_than", 30), Compare("n", "at_most", 45))), {"n": 31}, True),
        (Range((Compare("n", "more_than", 30), Compare("n", "at_most", 45))), {"n": 45}, True),
        (Range((Compare("n", "more_than", 30), Compare("n", "at_most", 45))), {"n": 46}, False),
        (Range((Compare("n", "more_than", 30), Compare("n", "at_most", 45))), {}, None),
    ],
)
def test_truth_is_three_valued(condition: Any, scenario: dict[str, Any], expected: bool | None) -> None:
    assert truth(condition, scenario) is expected
