"""The decision table is an exact partition: every complete scenario lies in exactly one
region, and gets that region's outcome and deciding rules from `Policy.evaluate`."""

from __future__ import annotations

import itertools
import json
import math
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from billability import load_policy
from billability.model import FactType, Policy, Value
from billability.regions import (
    DecisionTable,
    Region,
    Restriction,
    decision_table,
    region_of,
    space_of,
    table_csv,
    table_json,
    table_markdown,
)
from policy_texts import ADD_CREDENTIAL, ALLOW_VIDEO, WINDOW_45, edited_policy, rule, small_policy


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
    ]


def bundled_policies(tmp_path_factory: pytest.TempPathFactory) -> list[Policy]:
    edits = [(), WINDOW_45, ALLOW_VIDEO, ADD_CREDENTIAL]
    return [load_policy(edited_policy(tmp_path_factory.mktemp("edit"), *changes)) for changes in edits]


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> list[Policy]:
    return [*bundled_policies(tmp_path_factory), *small_policies()]


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


def test_the_bundled_table_is_small_and_covers_every_combination() -> None:
    policy = load_policy()
    table = decision_table(policy)
    fact_sizes = [
        len(f.value_names) if f.type is FactType.ENUM else 2 for f in policy.facts if f.type is not FactType.INTEGER
    ]
    assert table.combinations == math.prod(fact_sizes) == 10080
    assert sum(region.combinations for region in table.regions if not _has_integer(region)) <= table.combinations
    assert 20 < len(table.regions) < 200


def _has_integer(region: Region) -> bool:
    return any(r.integer for r in region.restrictions)


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
                    scenario[fact.name] = chooser.choice([0, 1, 29, 30, 31, 45, 46, 59, 60, chooser.randint(0, 10**6)])
            (region,) = region_of(table, scenario)
            decision = policy.evaluate(scenario)
            assert (region.outcome, region.rules) == (decision.outcome, decision.rules)


def test_irrelevant_facts_are_any() -> None:
    table = decision_table(load_policy())
    for region in table.regions:
        activity = region.restriction("activity")
        assert activity is not None
        if "transportation" in activity.values:
            # Driving a client is not billable whatever the contact or the hand-off facts say.
            assert [r.fact for r in region.restrictions] in (["provider_credential", "activity"], ["activity"])
        if region.restriction("days_since_discharge") is not None:
            after = region.restriction("after_discharge")
            assert after is not None and after.values == (True,)


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
    ],
)
def test_whole_numbers_are_cut_at_every_constant(bounds: str, intervals: list[tuple[int, int | None]]) -> None:
    policy = small_policy(rule("r", "billable", bounds))
    pieces = space_of(policy).pieces["minutes"]
    assert [(p.restriction.low, p.restriction.high) for p in pieces] == intervals


def test_the_bundled_window_cuts_days_after_30() -> None:
    table = decision_table(load_policy())
    ranges = {(r.low, r.high) for region in table.regions for r in region.restrictions if r.integer}
    assert ranges == {(0, 30), (31, None)}


@pytest.mark.parametrize("render", [table_markdown, table_csv, table_json])
def test_renderings_list_every_region_once_and_are_deterministic(render: object) -> None:
    assert callable(render)
    table: DecisionTable = decision_table(load_policy())
    first, second = render(table), render(decision_table(load_policy()))
    assert first == second
    if render is table_json:
        assert len(json.loads(first)["regions"]) == len(table.regions)
    else:
        assert len(first.splitlines()) == len(table.regions) + (1 if render is table_csv else 4)


def test_the_45_day_edit_cuts_days_after_45(tmp_path: Path) -> None:
    table = decision_table(load_policy(edited_policy(tmp_path, *WINDOW_45)))
    ranges = {(r.low, r.high) for region in table.regions for r in region.restrictions if r.integer}
    assert ranges == {(0, 45), (46, None)}
