"""A range, `minutes: {more_than: 4, at_most: 30}`, through every stage: it compiles to a
`Range` whose bounds are located at their keys, a range that holds no whole number is a
located mistake, and the evaluator, the decision diagram and table, lint, coverage,
mutation, the YAML written back, the strategies, the SQL query and the site's words all
read it as both bounds holding.

Everything runs on the small policy of `policy_texts` with the rules `RANGES`."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import duckdb
import pytest

from billability.audit.sql import policy_sql
from billability.checks.corpus import load_cases
from billability.checks.coverage import measure
from billability.checks.distinguish import compare, shown_decision, tell_apart
from billability.checks.lint import lint_policy
from billability.checks.mutate import mutants
from billability.checks.strategies import near_bounds
from billability.decide.diagram import diagram_of, walk
from billability.decide.engine import decide
from billability.decide.reference import reference_decide
from billability.decide.regions import space_of
from billability.decide.scenario import truth
from billability.decide.table import decision_table
from billability.decide.value_classes import fact_classes
from billability.model.conditions import describe
from billability.model.diagnostics import Problems
from billability.model.policy import All, Compare, Decision, Outcome, Range
from billability.policy.compile import compile_texts
from billability.policy.compiled import Policy
from billability.policy.dump import dump_condition, dump_policy
from billability.policy.wording import condition_lines
from command_line import run
from policy_texts import FACTS, HEADER, RANGES, SOURCE, rule, small_policy, write_small_policy
from record_tables import column_types, differences, result_query, write_records

# Each rule's minutes, as plain Python: what every stage must agree with.
EXPECTED = {
    "talk-short": lambda minutes: 4 < minutes <= 30,
    "talk-long": lambda minutes: 30 < minutes <= 60,
    "drive": lambda minutes: 10 <= minutes < 20,
}


@pytest.fixture(scope="module")
def ranges() -> Policy:
    return small_policy(*RANGES)


def diagnosed(when: str) -> list[tuple[str, int, int, str | None]]:
    """(code, line, column, hint) of each diagnostic of a policy with one rule on `when`."""
    with pytest.raises(Problems) as raised:
        small_policy(rule("r", "billable", when))
    return [
        (d.code, d.location.line, d.location.column, d.hint) if d.location else (d.code, 0, 0, d.hint)
        for d in raised.value.diagnostics
    ]


# --- compile --------------------------------------------------------------------------------


def test_a_range_compiles_to_its_two_bounds_lower_first_each_at_its_key(ranges: Policy) -> None:
    spans = {}
    for rule_id, lines in (("talk-short", (44, 44)), ("talk-long", (53, 53)), ("drive", (63, 64))):
        when = ranges.rule(rule_id).when
        assert isinstance(when, All)
        span = when.items[1]
        assert isinstance(span, Range) and span.fact == "minutes"
        assert span.lower.op in ("more_than", "at_least") and span.upper.op in ("less_than", "at_most")
        assert (span.lower.location.line, span.upper.location.line) == lines  # type: ignore[union-attr]
        spans[rule_id] = span.span
    assert spans == {"talk-short": (5, 30), "talk-long": (31, 60), "drive": (10, 19)}
    # `{at_most: 60, more_than: 30}`: each bound at its own key, whatever the order.
    long = ranges.rule("talk-long").when.items[1]  # type: ignore[union-attr]
    assert isinstance(long, Range)
    assert (long.lower.location.column, long.upper.location.column) == (30, 17)  # type: ignore[union-attr]


def test_the_range_the_maintainer_wrote_compiles_and_validates(tmp_path: Path) -> None:
    root = write_small_policy(tmp_path / "policy", rule("r", "needs_review", "minutes: {more_than: 30, at_most: 45}"))
    status, output, errors = run("validate", str(root))
    assert (status, errors) == (0, "")
    assert output.splitlines()[0].endswith(": 3 facts, 1 rule: valid")


@pytest.mark.parametrize(
    ("when", "code", "column", "hint"),
    [
        # No whole number lies between the bounds: swapped ones are named, with the fix.
        ("minutes: {more_than: 45, at_most: 30}", "policy.empty-range", 16, "`{more_than: 30, at_most: 45}`"),
        ("minutes: {at_least: 46, less_than: 31}", "policy.empty-range", 16, "`{at_least: 31, less_than: 46}`"),
        ("minutes: {more_than: 30, less_than: 31}", "policy.empty-range", 16, "widen the range"),
        ("minutes: {at_least: 31, at_most: 30}", "policy.empty-range", 16, "`{at_least: 30, at_most: 31}`"),
        # Two bounds on one side: at the second of them.
        ("minutes: {more_than: 30, at_least: 31}", "schema.not-together", 32, "one lower bound"),
        ("minutes: {less_than: 30, at_most: 45, more_than: 2}", "schema.not-together", 32, "one upper bound"),
        ("minutes: {more_than: 30, at_mots: 45}", "schema.unknown-key", 32, "did you mean `at_most`?"),
        ("reached: {more_than: 1, at_most: 3}", "policy.type-mismatch", 17, "write `reached: true`"),
    ],
)  # fmt: skip
def test_a_range_that_cannot_hold_is_a_located_mistake_with_a_hint(
    when: str, code: str, column: int, hint: str
) -> None:
    ((found, line, found_column, found_hint),) = diagnosed(when)
    assert (found, line, found_column) == (code, 43, column)
    assert found_hint is not None and hint in found_hint


def test_a_one_number_range_is_no_mistake() -> None:
    policy = small_policy(rule("r", "billable", "minutes: {more_than: 30, less_than: 32}"))
    assert [m for m in range(29, 34) if policy.evaluate({"minutes": m}).outcome is Outcome.BILLABLE] == [31]
    assert condition_lines(policy, policy.rules[0].when) == ["**Minutes:** 31"]


# --- deciding: evaluate, the diagram, the table, the SQL --------------------------------------


def expected_outcome(activity: str, minutes: int) -> Outcome:
    if activity == "drive" and EXPECTED["drive"](minutes):
        return Outcome.NOT_BILLABLE
    if activity == "talk" and EXPECTED["talk-short"](minutes):
        return Outcome.BILLABLE
    return Outcome.NEEDS_REVIEW  # talk-long, or the default


def test_evaluate_holds_both_bounds(ranges: Policy) -> None:
    for activity in ("talk", "drive", "write"):
        for minutes in range(0, 70):
            decision = ranges.evaluate({"activity": activity, "minutes": minutes})
            assert decision.outcome is expected_outcome(activity, minutes), (activity, minutes)
    talk_long = ranges.rule("talk-long").when
    assert [truth(talk_long, {"activity": "talk", "minutes": m}) for m in (30, 31, 60, 61)] == [
        False,
        True,
        True,
        False,
    ]
    # Unknown minutes: unknown, and named as what would decide it.
    undecided = ranges.evaluate({"activity": "talk"})
    assert (undecided.outcome, undecided.missing) == (Outcome.UNDETERMINED, ("minutes",))


def test_the_diagram_cuts_minutes_at_each_bound_and_decides_as_the_reference(ranges: Policy) -> None:
    classes = fact_classes(ranges, ranges.fact_index["minutes"])
    assert set(classes.starts) >= {5, 31, 61, 10, 20}
    diagram = diagram_of(ranges)
    for activity in ("talk", "drive", "write", None):
        for minutes in [*range(0, 70), None]:
            scenario = {
                name: value for name, value in (("activity", activity), ("minutes", minutes)) if value is not None
            }
            assert walk(diagram.root, scenario) == reference_decide(ranges, scenario), scenario


def test_the_table_cuts_minutes_at_each_bound(ranges: Policy) -> None:
    table = decision_table(ranges)
    talk = [region.cell("minutes") for region in table.regions if region.cell("activity") == "talk"]
    assert talk == ["0 to 4", "5 to 30", "31 to 60", "61 or more"]
    drive = [region.cell("minutes") for region in table.regions if region.outcome is Outcome.NOT_BILLABLE]
    assert drive == ["10 to 19"]


def test_the_sql_query_decides_every_minute_as_evaluate(ranges: Policy, tmp_path: Path) -> None:
    scenarios = [{"activity": a, "minutes": m} for a in ("talk", "drive", "write") for m in range(0, 70)]
    scenarios += [{"activity": "talk"}, {"minutes": 15}, {}]
    path = tmp_path / "records.jsonl"
    write_records(path, ranges, scenarios)
    connection = duckdb.connect()
    try:
        columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in column_types(ranges).items()) + "}"
        connection.execute(
            f"CREATE TABLE records AS SELECT * FROM read_json(?, format = 'newline_delimited', columns = {columns})",
            [str(path)],
        )
        rows = connection.execute(result_query(policy_sql(ranges, "records", "duckdb"))).fetchall()
    finally:
        connection.close()
    assert len(rows) == len(scenarios)
    assert differences(ranges, scenarios, rows) == []


# --- the maintainer's checks --------------------------------------------------------------------


def test_lint_sees_a_range_that_excludes_another_test_of_its_fact() -> None:
    policy = small_policy(rule("r", "billable", "all:\n  - minutes: {at_least: 10, at_most: 20}\n  - minutes: 30"))
    assert [
        (d.code, d.location.line if d.location else 0) for d in lint_policy(policy) if d.code == "lint.never-holds"
    ] == [("lint.never-holds", 44)]


def test_lint_gaps_are_worded_by_the_cuts_of_the_ranges(ranges: Policy) -> None:
    gaps = [d.message for d in lint_policy(ranges) if d.code == "lint.gap"]
    assert any("minutes is 0 to 4" in message for message in gaps)
    assert any("minutes is 61 or more" in message for message in gaps)


def test_coverage_names_and_locates_each_bound(ranges: Policy, tmp_path: Path) -> None:
    corpus = tmp_path / "cases.yaml"
    corpus.write_text(
        "cases:\n"
        "  - name: A 30-minute talk is billable\n"
        "    facts: {activity: talk, minutes: 30}\n"
        "    expect: {outcome: billable, rules: [talk-short]}\n"
        "  - name: A 31-minute talk needs review\n"
        "    facts: {activity: talk, minutes: 31}\n"
        "    expect: {outcome: needs_review, rules: [talk-long]}\n",
        encoding="utf-8",
    )
    report = measure(ranges, load_cases([corpus], ranges))
    short = {
        c.condition: (c.location.line, c.location.column, c.seen_true, c.seen_false)
        for c in report.conditions
        if c.rule == "talk-short"
    }  # type: ignore[union-attr]
    # 31 minutes fails only the upper bound: the lower one is never seen false.
    assert short["minutes more than 4"] == (44, 17, 1, 0)
    assert short["minutes at most 30"] == (44, 31, 1, 1)
    assert short["minutes more than 4 and at most 30"] == (44, 16, 1, 1)


def test_mutation_moves_each_bound_by_one_at_its_key(ranges: Policy) -> None:
    found = {m.name: m for m in mutants(ranges)}
    for name, column in (
        ("rule talk-short: minutes more than 4 -> 3", 17),
        ("rule talk-short: minutes more than 4 -> 5", 17),
        ("rule talk-short: minutes at most 30 -> 29", 31),
        ("rule talk-short: minutes at most 30 -> 31", 31),
        ("rule talk-short: drop minutes at most 30", 31),
        ("rule talk-long: minutes at most 60 -> 61", 17),
        ("rule talk-long: minutes more than 30 -> 29", 30),
    ):
        assert name in found, sorted(found)
        assert (found[name].location.line, found[name].location.column) == (  # type: ignore[union-attr]
            44 if "talk-short" in name else 53,
            column,
        )
    moved = found["rule talk-short: minutes at most 30 -> 31"].policy.rule("talk-short").when
    assert [truth(moved, {"activity": "talk", "minutes": m}) for m in (4, 5, 31, 32)] == [False, True, True, False]


def test_every_mutant_of_a_range_is_policy_text_that_decides_as_the_mutant(ranges: Policy) -> None:
    for mutant in mutants(ranges):
        if "minutes" not in mutant.name:
            continue
        reloaded = compile_texts(dump_policy(mutant.policy), ranges.source_text)
        for activity in ("talk", "drive"):
            for minutes in (0, 3, 4, 5, 9, 10, 11, 19, 20, 29, 30, 31, 32, 59, 60, 61, 62):
                scenario = {"activity": activity, "minutes": minutes}
                assert reloaded.evaluate(scenario).outcome is mutant.policy.evaluate(scenario).outcome, mutant.name


def test_a_range_mutant_is_proved_equivalent_exactly_when_no_scenario_tells_it_apart(ranges: Policy) -> None:
    """Over every scenario, each fact unknown or one value of each piece of the joint
    space: a mutant `tell_apart` finds no witness for decides each one as the policy."""
    proved = told = 0
    for mutant in mutants(ranges):
        if "minutes" not in mutant.name:
            continue
        comparison = compare(ranges, mutant.policy)
        space = space_of(ranges, mutant.policy)
        options = [[None, *(piece.value for piece in space.pieces[name])] for name in space.facts]
        differs = any(
            shown(decide(ranges, facts)) != shown(shown_decision(comparison, facts))
            for values in itertools.product(*options)
            for facts in [{n: v for n, v in zip(space.facts, values, strict=True) if v is not None}]
        )
        witness = tell_apart(comparison)
        assert (witness is not None) == differs, mutant.name
        proved += witness is None
        told += witness is not None
    assert proved and told


def shown(decision: Decision) -> tuple[Outcome, tuple[str, ...], tuple[str, ...]]:
    return decision.outcome, tuple(sorted(decision.rules)), decision.missing


def test_mutate_prints_cases_for_the_bounds_no_case_pins(tmp_path: Path) -> None:
    root = write_small_policy(tmp_path / "policy", *RANGES)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "cases.yaml").write_text(
        "cases:\n"
        "  - name: A 30-minute talk is billable\n"
        "    facts: {activity: talk, minutes: 30}\n"
        "    expect: {outcome: billable, rules: [talk-short]}\n",
        encoding="utf-8",
    )
    _, output, _ = run("mutate", "--policy", str(root), "--corpus", str(corpus))
    assert re.search(r"policy\.yaml:44:17: rule talk-short: minutes more than 4 -> 5 survived", output)
    assert "facts: {activity: talk, minutes: 5}" in output


# --- writing it back out: YAML, one-line words, the site ---------------------------------------


def test_a_range_dumps_as_the_range_a_maintainer_writes_and_compiles_back(ranges: Policy) -> None:
    span = ranges.rule("talk-long").when.items[1]  # type: ignore[union-attr]
    assert dump_condition(span) == {"minutes": {"more_than": 30, "at_most": 60}}
    reloaded = compile_texts(dump_policy(ranges), ranges.source_text)
    assert reloaded.rules == ranges.rules
    assert all(isinstance(rule.when.items[1], Range) for rule in reloaded.rules)  # type: ignore[union-attr]


def test_an_empty_range_of_a_mutant_dumps_as_the_all_of_its_bounds() -> None:
    empty = Range((Compare("minutes", "more_than", 30), Compare("minutes", "at_most", 30)))
    assert dump_condition(empty) == {"all": [{"minutes": {"more_than": 30}}, {"minutes": {"at_most": 30}}]}
    texts = {
        "policy.yaml": HEADER
        + FACTS
        + "rules:\n"
        + rule("r", "billable", "all:\n  - minutes: {more_than: 30}\n  - minutes: {at_most: 30}")
    }
    compile_texts(texts, SOURCE)  # what it dumps to compiles


@pytest.mark.parametrize(
    ("rule_id", "words", "line"),
    [
        ("talk-short", "minutes more than 4 and at most 30", "**Minutes:** 5 to 30"),
        ("talk-long", "minutes more than 30 and at most 60", "**Minutes:** 31 to 60"),
        ("drive", "minutes at least 10 and less than 20", "**Minutes:** 10 to 19"),
    ],
)
def test_a_range_reads_as_the_numbers_it_allows(ranges: Policy, rule_id: str, words: str, line: str) -> None:
    span = ranges.rule(rule_id).when.items[1]  # type: ignore[union-attr]
    assert describe(span) == words
    assert condition_lines(ranges, ranges.rule(rule_id).when)[1] == line


def test_strategies_reach_both_sides_of_each_bound(ranges: Policy) -> None:
    points = set(near_bounds(ranges, ranges.fact_index["minutes"]))
    assert {3, 4, 5, 29, 30, 31, 59, 60, 61, 9, 10, 11, 19, 20, 21} <= points


def test_check_explains_a_scenario_in_a_range(tmp_path: Path) -> None:
    root = write_small_policy(tmp_path / "policy", *RANGES)
    status, output, _ = run("check", "--policy", str(root), "activity=talk", "minutes=31")
    assert status == 0
    assert output.startswith("NEEDS REVIEW") and "[talk-long]" in output
    status, output, _ = run("check", "--policy", str(root), "activity=talk")
    assert output.startswith("UNDETERMINED") and "minutes" in output
