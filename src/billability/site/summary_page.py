"""The staff site's one-page summary, to print and keep at the desk.

In: a compiled `Policy`.
Out: `summary/index.md`: who may bill, each table topic's activities by answer with
their one-line reasons, the rules the table does not place, what needs review and
whom to ask.
"""

from __future__ import annotations

from billability.model.policy import Outcome
from billability.policy.compiled import Policy
from billability.policy.wording import OUTCOME_WORDS, advice, badge, front_matter, md, sentence
from billability.site.layout import clause
from billability.site.placement import rule_placements, rules_where, table_groups


def summary_page(policy: Policy) -> str:
    """Everything on one or two printed pages: who may bill, each topic's activities by
    answer with their one-line reasons, what needs review and whom to ask."""
    placements = rule_placements(policy)
    lines = [
        *front_matter(hide=("navigation", "toc")),
        "# One-page summary",
        "",
        '<div class="summary" markdown>',
        "",
        f'<p class="summary-source">{md(policy.title)}, version {md(policy.version)}, in effect from '
        f"{md(policy.effective_from)}. From {md(policy.source_document.title)} "
        f"({md(policy.source_document.publisher)}, {md(policy.source_document.date)}).</p>",
        "",
    ]
    shown: set[str] = set()
    notes = rules_where(policy, placements, kind="note")
    if notes:
        lines += ["## Who may bill", ""]
        lines += [f"- {badge(rule.outcome)} **{md(rule.title)}.** {md(sentence(rule.reason))}" for rule in notes]
        lines += [""]
        shown |= {rule.id for rule in notes}
    titles = [topic.title for topic in policy.topics]
    table_topics = sorted(
        {placement.topic for placement in placements.values() if placement.kind != "note"},
        key=lambda name: (titles.index(name) if name in titles else len(titles), name),
    )
    for topic_title in table_topics:
        groups = table_groups(policy, placements, topic_title, every_column=True)
        lines += [f"## {md(topic_title or 'Other')}", ""]
        for outcome, rules in groups.items():
            if not rules:
                continue
            lines += [f"### {OUTCOME_WORDS[outcome]}", ""]
            lines += [f"- **{md(rule.title)}.** {md(sentence(rule.reason))}" for rule in rules]
            lines += [""]
            shown |= {rule.id for rule in rules}
    rest = [rule for rule in policy.rules if rule.id not in shown]
    if rest:
        lines += ["## Not on the list", ""]
        lines += [f"- {badge(rule.outcome)} **{md(rule.title)}.** {md(sentence(rule.reason))}" for rule in rest]
        lines += [""]
    lines += [
        "## When the answer is needs review",
        "",
        f"{md(advice(policy, Outcome.NEEDS_REVIEW))}",
        "",
        f"When no rule covers an activity, the answer is {badge(policy.default_outcome)}: "
        f"{clause(policy.default_reason)}",
        "",
        "</div>",
        "",
    ]
    return "\n".join(lines)
