"""The staff site's topic pages: one per policy topic, a section per rule.

In: a compiled `Policy`, a topic's name, the corpus's `CaseResult`s and the paths of
the site's other pages (the checker is linked when it is there).
Out: `topics/<topic>.md`. A rule's section gives its answer for the situations it
covers, then its exceptions (the rules that override it, with their answers), the
county's words and the examples that teach it (`billability.site.examples`); every
*Needs review* answer comes with the policy's review contact. Rule ids appear only in
anchors, never in text staff read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from billability.checks.corpus import CaseResult
from billability.model.policy import FactType, Outcome, Rule
from billability.policy.compiled import Policy
from billability.policy.wording import OUTCOME_WORDS, badge, condition_lines, md, review_note, sentence
from billability.site.examples import example_list, teaching
from billability.site.layout import checker_link, rule_link
from billability.site.placement import (
    exception_condition,
    overriding_rules,
    quoted_passages,
    rule_placements,
    rules_where,
    topic_path,
)


def topic_page(policy: Policy, topic: str, results: Sequence[CaseResult], present: Collection[str] = ()) -> str:
    """A topic: each of its rules in plain words, its exceptions, the county's text and
    the examples that teach it."""
    here = topic_path(topic)
    title = next(t.title for t in policy.topics if t.name == topic)
    placements = rule_placements(policy)
    rules = [rule for rule in policy.rules if rule.topic == topic]
    taught = teaching(results)
    lines = [f"# {md(title)}", ""]
    lines += checker_link(here, present)
    notes = [rule for rule in rules_where(policy, placements, kind="note") if rule.topic != topic]
    for rule in notes:
        lines += [
            '!!! note "Who may bill"',
            "",
            f"    Everything on this page also needs the right provider: [{md(rule.title)}]({rule_link(here, rule)}).",
            "",
        ]
    for outcome in (Outcome.BILLABLE, Outcome.NOT_BILLABLE, Outcome.NEEDS_REVIEW):
        chosen = [rule for rule in rules if rule.outcome is outcome]
        if not chosen:
            continue
        lines += [f"## {OUTCOME_WORDS[outcome]}", ""]
        for rule in chosen:
            lines += _rule_section(policy, rule, here, taught)
    waiting = [
        result for result in taught if not result.decision.rules and _activity_topic(policy, result.case.facts) == topic
    ]
    if waiting:
        lines += ["## Examples that need more facts", ""]
        lines += example_list(policy, waiting)
        if any(result.decision.outcome is Outcome.NEEDS_REVIEW for result in waiting):
            lines += review_note(policy)
    elsewhere = [
        rule for rule in rules_where(policy, placements, topic=title, kind="not_billable") if rule.topic != topic
    ]
    if elsewhere:
        lines += [
            "## Not billable in this area",
            "",
            f"The county's table lists these under {md(title)} as not billable:",
            "",
        ]
        lines += [f"- [{md(rule.title)}]({rule_link(here, rule)})" for rule in elsewhere]
        lines += [""]
    return "\n".join(lines)


def _rule_section(policy: Policy, rule: Rule, here: str, taught: Sequence[CaseResult]) -> list[str]:
    """A rule's answer for the situations it covers, then its exceptions, the county's
    words and its examples. The sub-headings are HTML without an id, so they neither
    split the rule's search entry nor crowd the page's table of contents."""
    overrides = overriding_rules(policy, rule)
    verdict = badge(rule.outcome)
    if overrides:
        verdict += " **unless " + ("the exception" if len(overrides) == 1 else "an exception") + " below applies.**"
    lines = [f"### {md(rule.title)} {{ #{rule.id} }}", "", f"{verdict} {md(sentence(rule.reason))}", ""]
    lines += _subheading("When this applies")
    lines += [f"- {line}" for line in condition_lines(policy, rule.when)]
    lines += [""]
    if overrides:
        lines += _subheading("Exceptions")
        notes = {other.id for other in rules_where(policy, rule_placements(policy), kind="note")}
        for other in overrides:
            line = f"- {badge(other.outcome)} [{md(other.title)}]({rule_link(here, other)})"
            if other.id not in notes:
                # The note on who may bill speaks for itself; other exceptions say when and why.
                when = "; ".join(condition_lines(policy, part)[0] for part in exception_condition(policy, rule, other))
                line += f" — {when}. {md(sentence(other.reason))}"
            lines += [line]
        lines += [""]
    lines += _subheading("The county's table says")
    for passage in quoted_passages(policy, rule):
        lines += [f"> {passage}", ""]
    examples = [result for result in taught if rule.id in result.decision.rules]
    if examples:
        lines += _subheading("Examples")
        lines += example_list(policy, examples)
    outcomes = {rule.outcome, *(other.outcome for other in overrides)}
    outcomes |= {result.decision.outcome for result in examples}
    if Outcome.NEEDS_REVIEW in outcomes:
        lines += review_note(policy)
    return lines


def _subheading(text: str) -> list[str]:
    return [f"<h4>{md(text)}</h4>", ""]


def _activity_topic(policy: Policy, facts: Mapping[str, Any]) -> str | None:
    for fact in policy.facts:
        if fact.type is not FactType.ENUM:
            continue
        value = facts.get(fact.name)
        topic = next((v.topic for v in fact.values if v.name == value and v.topic), None)
        if topic is not None:
            return topic
    return None
