"""The decision table is an exact partition: every complete scenario lies in exactly one
region, and gets that region's outcome and deciding rules from `Policy.evaluate`.

What a table looks like is pinned on the clinic fixture; over the checkout's policy the
tests assert only what they derive from the policy they load.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from billability.checks.strategies import near_bounds
from billability.decide.regions import Restriction, space_of
from billability.decide.scenario import truth
from billability.decide.table import (
    DecisionTable,
    Region,
    decision_table,
    region_of,
    table_csv,
    table_json,
    table_markdown,
    table_rows,
)
from billability.model.conditions import nodes
from billability.model.policy import Compare, FactType, Is, OneOf, Value, facts_of
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from policy_texts import CLINIC, edited_policy, rule, small_policy

# Edits of the clinic fixture, of the kinds a maintainer makes: (file, old text, new text).
CLINIC_WINDOW_21 = (("rules/connection.yaml", "more_than: 14", "more_than: 21"),)
CLINIC_ALLOW_VIDEO = (("rules/communication.yaml", "contact_mode: phone", "contact_mode: [phone, video]"),)
CLINIC_ADD_CREDENTIAL = (
    ("facts.yaml", "      peer:\n", "      intern:\n        label: Intern\n      peer:\n"),
    ("rules/credential.yaml", "provider_credential: counselor", "provider_credential: [counselor, intern]"),
)


def edited_clinic(root: Path, *changes: tuple[str, str, str]) -> Policy:
    """The clinic fixture policy, copied under `root` with each (file, old, new) text replaced once."""
    return load_policy(edited_policy(root, *changes, source=CLINIC / "policy"))


def small_policies() -> list[Policy]:
    return [
        small_policy(rule("talk", "billable", "activity: talk")),
        small_policy(
            rule("talk", "billable", "activity: talk"),
            rule("talk-unreached", "not_billable", "activity: talk\nreached: false"),
            rule("long", "needs_review", "minutes: {at_least: 60}"),
            rule("short", "not_billable", "minutes: {less_than: 5}"),
        ),
        small_policy(
            rule("either", "billable", "any:\n  - activity: drive\n  - minutes: {at_most: 10}"),
            rule("not-talk", "not_billable", "not:\n  activity: [talk, write]\nreached: false"),
            rule("window", "not_billable", "minutes: {more_than: 30}\nactivity: [drive]"),
        ),
        small_policy(rule("third", "needs_review", "minutes: [3, 7]"), rule("fifth", "billable", "minutes: 5")),
    ]


@pytest.fixture(scope="module")
def clinic_edits(tmp_path_factory: pytest.TempPathFactory) -> list[Policy]:
    edits = [CLINIC_WINDOW_21, CLINIC_ALLOW_VIDEO, CLINIC_ADD_CREDENTIAL]
    return [edited_clinic(tmp_path_factory.mktemp("edit"), *changes) for changes in edits]


@pytest.fixture(scope="module")
def policies(policy: Policy, clinic: Policy, clinic_edits: list[Policy]) -> list[Policy]:
    """The checkout's policy, the fixture and edits of it, and small inline policies."""
    return [policy, clinic, *clinic_edits, *small_policies()]


def completions(policy: Policy, region: Region) -> Iterator[dict[str, Value]]:
    """Every scenario of the region on the grid of pieces, with whole numbers taken at
    both ends of each interval (and far out on an open end)."""
    space = space_of(policy)
    choices = []
    for name in space.facts:
        restriction = region.restriction(name)
        values: list[Value] = []
        for piece in space.pieces[name]:
            held = piece.restriction
            if restriction is not None and not restriction.contains(piece.value):
                continue
            if held.integer:
                values += [v for v in (held.low, held.high) if v is not None]
                if held.high is None:
                    values.append((held.low or 0) + 10_000)
                if held.low is None:
                    values.append((held.high or 0) - 10_000)
            else:
                values.append(piece.value)
        choices.append([(name, v) for v in dict.fromkeys(values)])
    for combination in itertools.product(*choices):
        yield dict(combination)


# --- the fixture's table, pinned ---------------------------------------------------------


CLINIC_TABLE = """\
counselor | benefits           | any | any   | any        | billable     | benefits
counselor | handoff            | any | true  | 0 to 14    | billable     | handoff
counselor | handoff            | any | true  | 15 or more | not_billable | handoff-window
counselor | handoff            | any | false | 0 to 14    | not_billable | handoff-undocumented
counselor | handoff            | any | false | 15 or more | not_billable | handoff-undocumented handoff-window
counselor | driving            | any | any   | any        | not_billable | driving
counselor | provider_call      | phone | any | any      | billable     | provider-call
counselor | provider_call      | voicemail or email | any | any | not_billable | provider-call-voicemail-or-email
counselor | provider_call      | video | any | any      | needs_review | provider-call-video
counselor | other              | any | any   | any        | needs_review | (default)
peer      | benefits or other  | any | any   | any        | not_billable | not-a-counselor
peer      | handoff            | any | true  | 0 to 14    | not_billable | not-a-counselor
peer      | handoff            | any | true  | 15 or more | not_billable | handoff-window not-a-counselor
peer      | handoff            | any | false | 0 to 14    | not_billable | handoff-undocumented not-a-counselor
peer      | handoff            | any | false | 15 or more | not_billable | handoff-undocumented handoff-window not-a-counselor
peer      | driving            | any | any   | any        | not_billable | driving not-a-counselor
peer      | provider_call      | phone or video | any | any | not_billable | not-a-counselor
peer      | provider_call      | voicemail or email | any | any | not_billable | not-a-counselor provider-call-voicemail-or-email
"""


def test_the_fixture_table_merges_what_decides_alike_and_leaves_the_rest_any(clinic: Policy) -> None:
    table = decision_table(clinic)
    rows = table_rows(table)
    assert rows[0] == ["region", *(f.name for f in clinic.facts), "outcome", "rules"]
    expected = [[cell.strip() for cell in line.split("|")] for line in CLINIC_TABLE.splitlines()]
    assert [row[1:] for row in rows[1:]] == expected
    assert table.combinations == 2 * 5 * 4 * 2


# --- every policy: an exact partition --------------------------------------------------------


def test_the_table_counts_every_combination_once_and_merges_them(any_policy: Policy) -> None:
    table = decision_table(any_policy)
    space = space_of(any_policy)
    finite = [f for f in any_policy.facts if f.type is not FactType.INTEGER]
    assert table.combinations == math.prod(len(f.value_names) if f.type is FactType.ENUM else 2 for f in finite)
    # On the grid of pieces (whole numbers as intervals), the regions add up to all of it.
    integers = [f.name for f in any_policy.facts if f.type is FactType.INTEGER]
    cells = 0
    for region in table.regions:
        spans = 1
        for name in integers:
            restriction = region.restriction(name)
            spans *= sum(1 for p in space.pieces[name] if restriction is None or restriction.contains(p.value))
        cells += region.combinations * spans
    grid = table.combinations * math.prod(space.size(name) for name in integers)
    assert cells == grid
    # Scenarios that decide alike are merged: far fewer regions than cells of the grid.
    assert 0 < len(table.regions) < grid / 2


def test_every_grid_scenario_is_in_exactly_one_region_with_the_evaluated_decision(policies: list[Policy]) -> None:
    for policy in policies:
        table = decision_table(policy)
        seen: Counter[tuple[tuple[str, Value], ...]] = Counter()
        for region in table.regions:
            for scenario in completions(policy, region):
                seen[tuple(sorted(scenario.items()))] += 1
                decision = policy.evaluate(scenario)
                assert (decision.outcome, decision.rules) == (region.outcome, region.rules), (
                    policy.id,
                    region,
                    scenario,
                )
        assert seen and max(seen.values()) == 1
        # The grid is the same whichever region enumerates it: nothing is left out.
        assert len(seen) == len(list(completions(policy, Region((), region.outcome, (), 0))))


@pytest.mark.parametrize("seed", range(4))
def test_random_complete_scenarios_fall_in_one_region(policies: list[Policy], seed: int) -> None:
    chooser = random.Random(seed)
    for policy in policies:
        table = decision_table(policy)
        for _ in range(300):
            scenario: dict[str, Value] = {}
            for fact in policy.facts:
                if fact.type is FactType.ENUM:
                    scenario[fact.name] = chooser.choice(fact.value_names)
                elif fact.type is FactType.BOOLEAN:
                    scenario[fact.name] = chooser.choice([True, False])
                else:
                    # on and beside each compared number, or anywhere up to a million
                    low = fact.minimum if fact.minimum is not None else -(10**6)
                    anywhere = chooser.randint(low, fact.maximum if fact.maximum is not None else 10**6)
                    scenario[fact.name] = chooser.choice([*near_bounds(policy, fact), anywhere])
            (region,) = region_of(table, scenario)
            decision = policy.evaluate(scenario)
            assert (region.outcome, region.rules) == (decision.outcome, decision.rules)


def _values_in(policy: Policy, region: Region, name: str) -> list[Value]:
    """The values (one per piece) that fact `name` takes in the region."""
    restriction = region.restriction(name)
    return [p.value for p in space_of(policy).pieces[name] if restriction is None or restriction.contains(p.value)]


def test_a_fact_is_split_only_where_its_declaration_says_it_matters(any_policy: Policy) -> None:
    """A region restricts a fact only where the fact's `relevant_when` can hold: driving a
    client is decided whatever the contact or hand-off facts say, so those stay `any`."""
    for region in decision_table(any_policy).regions:
        for restriction in region.restrictions:
            relevant_when = any_policy.fact_index[restriction.fact].relevant_when
            looked_at = sorted(facts_of(relevant_when))
            settings = itertools.product(*(_values_in(any_policy, region, name) for name in looked_at))
            assert any(
                truth(relevant_when, dict(zip(looked_at, values, strict=True))) is not False for values in settings
            ), (restriction.fact, region.condition)


def test_the_fixture_decides_driving_on_the_credential_and_activity_alone(clinic: Policy) -> None:
    for region in decision_table(clinic).regions:
        activity = region.restriction("activity")
        assert activity is not None
        if "driving" in activity.values:
            assert [r.fact for r in region.restrictions] == ["provider_credential", "activity"]
        if region.restriction("days_since_discharge") is not None:
            assert activity.values == ("handoff",)


@pytest.mark.parametrize(
    ("restriction", "text"),
    [
        (Restriction("activity", ("talk",)), "talk"),
        (Restriction("activity", ("talk", "drive", "write")), "talk, drive or write"),
        (Restriction("reached", (False,)), "false"),
        (Restriction("minutes", low=0, high=30, integer=True), "0 to 30"),
        (Restriction("minutes", low=31, integer=True), "31 or more"),
        (Restriction("minutes", high=4, integer=True), "4 or less"),
        (Restriction("minutes", low=5, high=5, integer=True), "5"),
    ],
)
def test_restriction_text(restriction: Restriction, text: str) -> None:
    assert restriction.text == text


@pytest.mark.parametrize(
    ("bounds", "intervals"),
    [
        ("minutes: {more_than: 30}", [(0, 29), (30, 30), (31, None)]),
        ("minutes: {at_least: 5}", [(0, 4), (5, 5), (6, None)]),
        ("minutes: {less_than: 0}", [(0, 0), (1, None)]),
        ("minutes: [3, 7]", [(0, 2), (3, 3), (4, 6), (7, 7), (8, None)]),
    ],
)
def test_whole_numbers_are_cut_at_every_constant(bounds: str, intervals: list[tuple[int, int | None]]) -> None:
    policy = small_policy(rule("r", "billable", bounds))
    pieces = space_of(policy).pieces["minutes"]
    assert [(p.restriction.low, p.restriction.high) for p in pieces] == intervals


# --- whole-number cuts come from the policy's own numbers -----------------------------------


def _ranges(table: DecisionTable) -> set[tuple[int | None, int | None]]:
    return {(r.low, r.high) for region in table.regions for r in region.restrictions if r.integer}


def _cuts_in_table(policy: Policy, name: str) -> set[int]:
    """Each `n` where the table separates `n` from `n + 1` for fact `name`."""
    minimum = policy.fact_index[name].minimum
    cuts: set[int] = set()
    for region in decision_table(policy).regions:
        restriction = region.restriction(name)
        if restriction is None:
            continue
        if restriction.high is not None:
            cuts.add(restriction.high)
        if restriction.low is not None and restriction.low != minimum:
            cuts.add(restriction.low - 1)
    return cuts


def _cuts_in_rules(policy: Policy, name: str) -> set[int]:
    """Each `n` where some rule's comparison of fact `name` changes between `n` and `n + 1`."""
    fact = policy.fact_index[name]
    cuts: set[int] = set()
    for checked in policy.rules:
        for _, node in nodes(checked.when):
            match node:
                case Compare(fact=fact_name, op=op, bound=bound) if fact_name == name:
                    cuts.add(bound if op in ("more_than", "at_most") else bound - 1)
                case Is(fact=fact_name, value=value) if fact_name == name and type(value) is int:
                    cuts.update((value - 1, value))
                case OneOf(fact=fact_name, values=values) if fact_name == name:
                    cuts.update(c for v in values if type(v) is int for c in (v - 1, v))
    low = fact.minimum if fact.minimum is not None else -math.inf
    high = fact.maximum if fact.maximum is not None else math.inf
    return {c for c in cuts if low <= c < high}


def test_whole_numbers_are_cut_exactly_where_the_rules_compare_them(
    any_policy: Policy, clinic_edits: list[Policy]
) -> None:
    # e.g. a window of `more_than: 30` days gives the ranges 0 to 30 and 31 or more.
    for policy in (any_policy, *clinic_edits):
        for fact in policy.facts:
            if fact.type is FactType.INTEGER:
                assert _cuts_in_table(policy, fact.name) == _cuts_in_rules(policy, fact.name), fact.name


def test_no_table_cuts_a_number_no_rule_compares(policies: list[Policy]) -> None:
    for policy in policies:
        for fact in policy.facts:
            if fact.type is FactType.INTEGER:
                assert _cuts_in_table(policy, fact.name) <= _cuts_in_rules(policy, fact.name), (policy.id, fact.name)


def test_the_fixture_window_cuts_days_after_14(clinic: Policy) -> None:
    assert _ranges(decision_table(clinic)) == {(0, 14), (15, None)}


def test_moving_the_fixture_window_moves_the_cut(clinic_edits: list[Policy]) -> None:
    moved = clinic_edits[0]
    assert _ranges(decision_table(moved)) == {(0, 21), (22, None)}


@pytest.mark.parametrize("render", [table_markdown, table_csv, table_json])
def test_renderings_list_every_region_once_and_are_deterministic(
    any_policy: Policy, render: Callable[[DecisionTable], str]
) -> None:
    table: DecisionTable = decision_table(any_policy)
    first, second = render(table), render(decision_table(any_policy))
    assert first == second
    if render is table_json:
        document = json.loads(first)
        assert len(document["regions"]) == len(table.regions)
        assert document["combinations"] == table.combinations
    else:
        assert len(first.splitlines()) == len(table.regions) + (1 if render is table_csv else 4)
