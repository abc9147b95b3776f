"""The staff site's home page: the one-screen answer to "can I bill this?".

In: a compiled `Policy`, the `Contrast`s staff get wrong, the paths of the site's
other pages (the checker and the list of changes are linked when they are there) and
the versions coming after the build day (`coming.Coming`).
Out: `index.md`: a "Coming on DATE" notice for each coming version, who may bill, then
billable and not billable under each county topic, the rules the table does not place,
the contrasts and where to read on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from billability.model.policy import Outcome
from billability.policy.compiled import Policy
from billability.policy.wording import badge, front_matter, md, review_note, sentence
from billability.site.coming import Coming, coming_notice
from billability.site.contrasts import Contrast
from billability.site.layout import (
    CHANGES,
    CONTRASTS,
    GLOSSARY,
    HOME,
    HOW_DECISIONS,
    SUMMARY,
    anchor,
    checker_link,
    relative,
    rule_link,
)
from billability.site.placement import Placement, rule_placements, rules_where, table_groups, topic_path


def home_page(
    policy: Policy, contrasts: Sequence[Contrast], present: Collection[str] = (), coming: Sequence[Coming] = ()
) -> str:
    """One screen: who may bill, then billable and not billable under each county topic;
    first, a notice for each version `coming` after the build day."""
    placements = rule_placements(policy)
    topics = {topic.name: topic.title for topic in policy.topics}
    lines = [
        *front_matter(hide=("navigation", "toc")),
        "# Can I bill this as case management?",
        "",
        *checker_link(HOME, present),
        f"From the county's table: {md(policy.title)}, version {md(policy.version)}, "
        f"in effect from {md(policy.effective_from)}. Pick an activity for the conditions, "
        "the county's exact words and examples.",
        "",
        *coming_notice(tuple(coming), topics, present),
        *_who_may_bill(policy, placements),
        *_topic_cards(policy, placements),
        *_not_on_the_list(policy, placements),
    ]
    if any(rule.outcome is Outcome.NEEDS_REVIEW for rule in policy.rules):
        lines += review_note(policy)
    lines += _often_confused(contrasts)
    lines += _new_here(present)
    return "\n".join(lines)


def _who_may_bill(policy: Policy, placements: Mapping[str, Placement]) -> list[str]:
    """A warning for each note on who may bill, linking its section."""
    lines = []
    for rule in rules_where(policy, placements, kind="note"):
        lines += [
            '!!! warning "Who may bill"',
            "",
            f"    **{md(rule.title)}.** {md(sentence(rule.reason))} [More about who may bill]({rule_link(HOME, rule)})",
            "",
        ]
    return lines


def _topic_cards(policy: Policy, placements: Mapping[str, Placement]) -> list[str]:
    """A card for each topic with billable activities: its rules by answer."""
    lines = ['<div class="grid cards" markdown>', ""]
    for topic in policy.topics:
        groups = table_groups(policy, placements, topic.title)
        if not groups[Outcome.BILLABLE]:
            continue
        lines += [f"-   ## [{md(topic.title)}]({relative(HOME, topic_path(topic.name))})", ""]
        for outcome, rules in groups.items():
            if not rules:
                continue
            lines += [f"    {badge(outcome)}", ""]
            lines += [f"    - [{md(rule.title)}]({rule_link(HOME, rule)})" for rule in rules]
            lines += [""]
    return [*lines, "</div>", ""]


def _not_on_the_list(policy: Policy, placements: Mapping[str, Placement]) -> list[str]:
    """The rules the county's table does not place, each with its answer and reason."""
    unplaced = [rule for rule in policy.rules if rule.id not in placements]
    if not unplaced:
        return []
    lines = ["## Not on the list?", ""]
    for rule in unplaced:
        lines += [
            f"{badge(rule.outcome)} {md(sentence(rule.reason))} [{md(rule.title)}]({rule_link(HOME, rule)})",
            "",
        ]
    return lines


def _often_confused(contrasts: Sequence[Contrast]) -> list[str]:
    if not contrasts:
        return []
    return [
        "## Often confused",
        "",
        *(f"- [{md(contrast.title)}]({relative(HOME, CONTRASTS)}#{anchor(contrast.title)})" for contrast in contrasts),
        "",
    ]


def _new_here(present: Collection[str]) -> list[str]:
    """Where to read on: how a decision is made, the glossary, the summary, what changed."""
    lines = [
        "## New here?",
        "",
        f"Read [how a decision is made]({relative(HOME, HOW_DECISIONS)}), "
        "what to do when the answer is *Needs review* or *Undetermined*, "
        f"and the [glossary]({relative(HOME, GLOSSARY)}). "
        f"Print the [one-page summary]({relative(HOME, SUMMARY)}) to keep at your desk.",
        "",
    ]
    if CHANGES in present:
        lines += [f"See [what changed]({relative(HOME, CHANGES)}) in each version of the policy.", ""]
    return lines
