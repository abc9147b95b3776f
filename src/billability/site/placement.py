"""Where each rule sits in the county's table, and which rules override it.

In: a compiled `Policy` (its rules, its precedence and its source text).
Out: each rule's `Placement` (the table's topic and column its first quote sits in),
a table topic's rules by answer (`table_groups`), the rules that take precedence over a rule and can apply with it (its exceptions),
the part of an exception's condition a reader does not already know from the rule,
and the whole statements of the table that a rule quotes; and the site page of each
topic (`topic_path`). The staff site lays its pages out from these.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from billability.decide.scenario import truth
from billability.decide.value_classes import domain
from billability.model.policy import All, Condition, Outcome, Range, Rule, Value, facts_of
from billability.policy.compile import normalize
from billability.policy.compiled import Policy
from billability.policy.sourcetext import Statement, statements
from billability.policy.wording import md


def topic_path(topic: str) -> str:
    """The site page of a topic, from the site's root (`topics/connection.md`)."""
    return f"topics/{topic.replace('_', '-')}.md"


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a rule sits in the county's table: its topic there and its column."""

    topic: str  # "Connection", "Coordination", "Communication", or "" for the credential note
    kind: str  # "note", "activity", "billable" or "not_billable"


def rule_placements(policy: Policy) -> dict[str, Placement]:
    """Where each rule's first quote sits in the county's table; rules whose quotes sit
    outside the table's rows and bullets (the introduction) are left out."""
    found = statements(policy.source_text)
    placements: dict[str, Placement] = {}
    for rule in policy.rules:
        for quote in rule.quotes:
            statement = _statement_of(normalize(quote), found)
            if statement is not None:
                placements[rule.id] = Placement(statement.topic, statement.kind)
                break
    return placements


def rules_where(
    policy: Policy,
    placements: Mapping[str, Placement],
    topic: str | None = None,
    outcome: Outcome | None = None,
    kind: str | None = None,
) -> list[Rule]:
    """The placed rules, in policy order, of a table topic, an outcome and a column."""
    return [
        rule
        for rule in policy.rules
        if rule.id in placements
        and (topic is None or placements[rule.id].topic == topic)
        and (outcome is None or rule.outcome is outcome)
        and (kind is None or placements[rule.id].kind == kind)
    ]


def table_groups(
    policy: Policy, placements: Mapping[str, Placement], topic_title: str, every_column: bool = False
) -> dict[Outcome, list[Rule]]:
    """A table topic's rules by answer. The home page lists the not-billable column's rules
    only (the others are exceptions, on their rule's page); the summary lists them all."""
    return {
        Outcome.BILLABLE: rules_where(policy, placements, topic=topic_title, outcome=Outcome.BILLABLE),
        Outcome.NOT_BILLABLE: rules_where(
            policy,
            placements,
            topic=topic_title,
            outcome=Outcome.NOT_BILLABLE,
            kind=None if every_column else "not_billable",
        ),
        Outcome.NEEDS_REVIEW: rules_where(policy, placements, topic=topic_title, outcome=Outcome.NEEDS_REVIEW),
    }


def overriding_rules(policy: Policy, rule: Rule) -> list[Rule]:
    """The rules that take precedence over `rule` and can apply to the same scenario."""
    rank = {outcome: index for index, outcome in enumerate(policy.precedence)}
    if rule.outcome not in rank:
        return []
    found = []
    for other in policy.rules:
        if other.outcome not in rank or rank[other.outcome] >= rank[rule.outcome]:
            continue
        if _some_scenario(policy, rule.when, other.when):
            found.append(other)
    return found


def exception_condition(policy: Policy, rule: Rule, other: Rule) -> tuple[Condition, ...]:
    """The parts of `other`'s condition that `rule`'s condition does not already imply:
    what a reader of `rule` must also know for `other` to apply. All of `other`'s
    condition when every part is implied (the two rules then apply together)."""
    # A range is one part: its bounds are said together ("31 to 45").
    parts = other.when.items if isinstance(other.when, All) and not isinstance(other.when, Range) else (other.when,)
    left = tuple(part for part in parts if not _implies(policy, rule.when, part))
    return left or parts


def quoted_passages(policy: Policy, rule: Rule) -> list[str]:
    """The statements of the county's table that a rule quotes, whole, with the quoted words
    in bold, so a short quote ("e.g., leaving a voice mail message.") keeps its context.
    A quote from outside the table's rows and bullets is shown as it is."""
    found = statements(policy.source_text)
    spans: dict[str, list[tuple[int, int]]] = {}
    order: list[str] = []
    for quote in rule.quotes:
        wanted = normalize(quote)
        statement = _statement_of(wanted, found)
        whole = normalize(statement.text) if statement is not None else wanted
        if whole not in spans:
            spans[whole] = []
            order.append(whole)
        start = whole.index(wanted)
        spans[whole].append((start, start + len(wanted)))
    passages = []
    for whole in order:
        pieces, cursor = [], 0
        for start, end in _merged(spans[whole]):
            pieces += [md(whole[cursor:start]), "**" + md(whole[start:end]) + "**"]
            cursor = end
        pieces.append(md(whole[cursor:]))
        bolded = "".join(pieces)
        outside = "".join(md(whole[cursor:start]) for cursor, start in _gaps(_merged(spans[whole]), len(whole)))
        if not outside.strip(" ,.;"):
            # The rule quotes the whole statement: nothing to set apart.
            bolded = md(whole)
        passages.append(f"\u201c{bolded}\u201d")
    return passages


# --- by enumeration over the facts' domains ---------------------------------------------------


def _scenarios(policy: Policy, *conditions: Condition) -> Iterable[dict[str, Value]]:
    facts = policy.fact_index
    names = sorted(frozenset().union(*(facts_of(condition) for condition in conditions)))
    for values in itertools.product(*(domain(policy, facts[name]) for name in names)):
        yield dict(zip(names, values, strict=True))


def _some_scenario(policy: Policy, first: Condition, second: Condition) -> bool:
    return any(truth(first, scenario) and truth(second, scenario) for scenario in _scenarios(policy, first, second))


def _implies(policy: Policy, given: Condition, part: Condition) -> bool:
    return all(truth(part, scenario) for scenario in _scenarios(policy, given, part) if truth(given, scenario))


def _statement_of(quote: str, found: Iterable[Statement]) -> Statement | None:
    for statement in found:
        if quote in normalize(statement.text):
            return statement
    return None


def _gaps(spans: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    edges = [0, *(edge for span in spans for edge in span), length]
    return [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
