"""Plain words for staff: outcomes, facts, conditions and advice, as Markdown.

In: a compiled `Policy` and the pieces of it a page shows (an outcome, a condition,
a scenario's facts).
Out: short Markdown strings, with the user's own text escaped, so every page of the
staff site says the same thing the same way. Nothing here names a rule id: ids are
for maintainers, and staff read titles and reasons.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from billability.model.policy import (
    All,
    Always,
    AnyOf,
    Compare,
    Condition,
    Fact,
    FactType,
    Is,
    Not,
    OneOf,
    Outcome,
    Range,
    Value,
)
from billability.policy.compile import normalize
from billability.policy.compiled import Policy

OUTCOME_WORDS = {
    Outcome.BILLABLE: "Billable",
    Outcome.NOT_BILLABLE: "Not billable",
    Outcome.NEEDS_REVIEW: "Needs review",
    Outcome.UNDETERMINED: "Undetermined",
}

_COMPARISON_WORDS = {
    "more_than": "more than",
    "at_least": "at least",
    "less_than": "less than",
    "at_most": "at most",
}


def advice(policy: Policy, outcome: Outcome) -> str:
    """What an answer means for the person about to bill, as one or two sentences."""
    match outcome:
        case Outcome.BILLABLE:
            return "Bill it as case management, and document it in a progress note."
        case Outcome.NOT_BILLABLE:
            return (
                "Do not bill it as case management. The activity may still be worth doing; "
                "it just cannot be billed under case management."
            )
        case Outcome.NEEDS_REVIEW:
            return (
                "The county's table does not settle it. "
                f"Ask {md(policy.review.team)} before billing it as case management. {md(sentence(policy.review.how))}"
            )
    return "Something you have not said yet decides it. Answer the questions listed with the example, then check again."


def review_note(policy: Policy, indent: str = "") -> list[str]:
    """The admonition that goes with every *Needs review* answer: who decides, and how to reach them."""
    return [
        f'{indent}!!! info "Needs review: ask {_attribute(policy.review.team)}"',
        "",
        f"{indent}    {md(sentence(policy.review.how))} Do not bill it until they have decided.",
        "",
    ]


def badge(outcome: Outcome) -> str:
    return f'<span class="outcome outcome-{outcome.value.replace("_", "-")}">{OUTCOME_WORDS[outcome]}</span>'


def condition_lines(policy: Policy, condition: Condition) -> list[str]:
    """A condition as short lines of plain words, one per fact it looks at."""
    facts = policy.fact_index
    match condition:
        case Always():
            return ["always"]
        case Is(fact=name, value=value):
            return [f"**{md(facts[name].label)}:** {values_text(facts[name], (value,))}"]
        case OneOf(fact=name, values=values):
            return [f"**{md(facts[name].label)}:** {values_text(facts[name], values)}"]
        case Compare(fact=name, op=op, bound=bound):
            return [f"**{md(facts[name].label)}:** {_COMPARISON_WORDS[op]} {bound}"]
        case Range(fact=name, span=(low, high)):
            # fact: {more_than: 30, at_most: 45} -> 31 to 45, the whole numbers it allows
            return [f"**{md(facts[name].label)}:** {low if low == high else f'{low} to {high}'}"]
        case All(items=items):
            return [line for item in items for line in condition_lines(policy, item)]
        case AnyOf(items=items):
            return ["any one of: " + "; or ".join("; ".join(condition_lines(policy, item)) for item in items)]
        case Not(item=Is(fact=name, value=value)):
            return [f"**{md(facts[name].label)}:** anything but {values_text(facts[name], (value,))}"]
        case Not(item=OneOf(fact=name, values=values)):
            return [f"**{md(facts[name].label)}:** anything but {values_text(facts[name], values)}"]
        case Not(item=item):
            return ["none of these: " + "; ".join(condition_lines(policy, item))]
    raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover


def facts_text(policy: Policy, facts: Mapping[str, Any]) -> str:
    """A scenario's facts in the policy's order, each by its label (plain text, not escaped)."""
    parts = []
    for fact in policy.facts:
        if facts.get(fact.name) is None:
            continue
        value = facts[fact.name]
        if fact.type is FactType.ENUM:
            parts.append(value_label(fact, value))
        else:
            parts.append(f"{fact.label}: {plain_value(fact, value)}")
    return "; ".join(parts) if parts else "nothing yet"


def differing_facts(policy: Policy, scenarios: Sequence[Mapping[str, Any]]) -> list[str]:
    """The facts two or more scenarios state differently, as `Label: a vs b` in Markdown."""
    found = []
    for fact in policy.facts:
        stated = {scenario[fact.name] for scenario in scenarios if scenario.get(fact.name) is not None}
        # A fact only one example states is not a difference staff need to see.
        if len(stated) < 2:
            continue
        shown = [plain_value(fact, scenario.get(fact.name)) for scenario in scenarios]
        if len(set(shown)) > 1:
            found.append(f"{md(fact.label)}: " + " vs ".join(md(value) for value in shown))
    return found


def plain_value(fact: Fact, value: Any) -> str:
    if value is None:
        return "not said"
    if fact.type is FactType.BOOLEAN:
        return "yes" if value else "no"
    if fact.type is FactType.ENUM:
        return value_label(fact, value)
    return str(value)


def value_label(fact: Fact, value: Value) -> str:
    return next((v.label for v in fact.values if v.name == value), str(value))


def values_text(fact: Fact, values: Sequence[Value]) -> str:
    shown = [f"*{md(plain_value(fact, value))}*" for value in values]
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " or " + shown[-1]


def asked_for(policy: Policy, fact: Fact) -> str | None:
    """When a fact is asked, from its `relevant_when`, as a sentence; None when always asked."""
    if isinstance(fact.relevant_when, Always):
        return None
    return "Asked only when " + "; and ".join(condition_lines(policy, fact.relevant_when)) + "."


# --- Markdown ------------------------------------------------------------------------------


def sentence(text: str) -> str:
    """Text with a capital first letter and a final stop."""
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def quote(text: str) -> str:
    return f"\u201c{md(normalize(text))}\u201d"


def md(text: str) -> str:
    """Text shown as written: HTML and Markdown markup characters escaped."""
    escaped = html.escape(text, quote=False)
    for mark in ("\\", "`", "*", "_", "[", "]"):
        escaped = escaped.replace(mark, "\\" + mark)
    return escaped


def _attribute(text: str) -> str:
    """Text inside an admonition's quoted title: no double quotes, no markup."""
    return md(text.replace('"', "\u201d"))


def front_matter(title: str | None = None, hide: Sequence[str] = ()) -> list[str]:
    """A page's YAML front matter (its title, the theme's parts it hides), then a blank line."""
    lines = ["---", *([f"title: {title}"] if title else []), *(["hide:"] if hide else []), *(f"  - {p}" for p in hide)]
    return [*lines, "---", ""]
