"""Write the staff reference site's pages from the policy and the corpus.

In: a compiled `Policy`, the corpus's `CaseResult`s (every case run against that
policy), the `Contrast`s staff get wrong (side-by-side pairs of corpus cases) and the
paths of the site's other pages (so a link is written only to a page that exists).
Out: Markdown pages by path inside the site: `index.md` (the one-screen answer),
`topics/<topic>.md` (one per policy topic), `summary/index.md` (the printable
summary), `contrasts.md` and `how-decisions-are-made.md`. The functions are pure and
the output is deterministic: the same policy and corpus give the same bytes.

Every page starts with one h1 and never skips a heading level. A rule's section gives
its answer for the situations it covers, then its exceptions (the rules that override
it, with their answers), the county's words and the examples that teach it
(`billability.site.examples`); every *Needs review* answer comes with the policy's review
contact. Rule ids appear only in anchors, never in text staff read.

`build_pages` loads a policy and its corpus (the checkout's, from `docs/hooks.py`;
the bundled ones by default), runs every case, and refuses (raising `Problems`) when
the policy and the corpus disagree or a contrast names a case the corpus does not
have, so the site never shows an example the tests fail. The MkDocs hook in
`docs/hooks.py` calls it at every build. The command-line example is a corpus case.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from billability.policy.compile import load_policy
from billability.site.contrasts import Contrast, load_contrasts
from billability.checks.corpus import CaseResult, load_cases, run_cases
from billability.model.diagnostics import Diagnostic, Problems
from billability.site.examples import example_list, teaching
from billability.site.what_changed import history_pages
from billability.model.policy import FactType, Outcome, Rule
from billability.policy.compiled import Policy
from billability.site.placement import (
    Placement,
    exception_condition,
    overriding_rules,
    quoted_passages,
    rule_placements,
    rules_where,
    topic_path,
)
from billability.policy.wording import (
    OUTCOME_WORDS,
    advice,
    asked_for,
    badge,
    condition_lines,
    differing_facts,
    facts_text,
    front_matter,
    md,
    quote,
    review_note,
    sentence,
)

HOME = "index.md"
CONTRASTS = "contrasts.md"
HOW_DECISIONS = "how-decisions-are-made.md"
SUMMARY = "summary/index.md"
GLOSSARY = "glossary.md"  # written by hand
CHECKER = "check/index.md"  # the step-by-step checker, linked when the site has it
CHANGES = "changes.md"  # what changed between versions, linked when the site has it

__all__ = [
    "CHECKER",
    "CONTRASTS",
    "HOME",
    "HOW_DECISIONS",
    "OUTCOME_WORDS",
    "SUMMARY",
    "Contrast",
    "Placement",
    "build_pages",
    "condition_lines",
    "load_contrasts",
    "overriding_rules",
    "rule_placements",
    "site_pages",
    "topic_path",
]


# --- loading -------------------------------------------------------------------------------


def build_pages(
    contrasts_path: Path,
    policy_path: str | Path | None = None,
    corpus_paths: Sequence[str | Path] | None = None,
    present: Collection[str] = (),
) -> dict[str, str]:
    """Every generated page of the site, from the policy and corpus on disk. `present`
    holds the paths of the site's hand-written pages, which the generated pages may link.

    Raises `Problems` when the policy or corpus cannot be read, when a case fails,
    or when a contrast names a case that does not exist."""
    policy = load_policy(policy_path)
    cases = load_cases(corpus_paths or None, policy)
    results = run_cases(policy, cases)
    failures = [
        Diagnostic(
            "site.case-fails",
            f"the site cannot show `{result.case.name}`: " + "; ".join(result.differences),
            result.case.location,
            hint="run `billability test` and fix the policy or the case first",
        )
        for result in results
        if not result.passed
    ]
    if failures:
        raise Problems(failures)
    contrasts = load_contrasts(contrasts_path, [result.case.name for result in results])
    pages: dict[str, str] = {}
    # Pages written by other stages from the same policy go into `pages` here, before
    # the staff pages, which link to them only when they exist.
    from billability.site.checker import checker_pages  # here, not at the top: the checker reads this module's words

    pages.update(checker_pages(policy))
    pages.update(history_pages(policy_path, policy))
    pages.update(site_pages(policy, results, contrasts, present={*present, *pages}))
    return dict(sorted(pages.items()))


# --- the pages -----------------------------------------------------------------------------


def site_pages(
    policy: Policy,
    results: Sequence[CaseResult],
    contrasts: Sequence[Contrast],
    present: Collection[str] = (),
) -> dict[str, str]:
    """Every generated page, by path, sorted by path. `present` holds the paths of the
    site's other pages: the checker and the list of changes are linked when they are there."""
    pages = {
        HOME: home_page(policy, contrasts, present),
        SUMMARY: summary_page(policy),
        CONTRASTS: contrasts_page(policy, results, contrasts),
        HOW_DECISIONS: how_decisions_page(policy, results, contrasts),
    }
    for topic in policy.topics:
        pages[topic_path(topic.name)] = topic_page(policy, topic.name, results, present)
    return dict(sorted(pages.items()))


def home_page(policy: Policy, contrasts: Sequence[Contrast], present: Collection[str] = ()) -> str:
    """One screen: who may bill, then billable and not billable under each county topic."""
    placements = rule_placements(policy)
    lines = [
        *front_matter(hide=("navigation", "toc")),
        "# Can I bill this as case management?",
        "",
    ]
    lines += _checker_link(HOME, present)
    lines += [
        f"From the county's table: {md(policy.title)}, version {md(policy.version)}, "
        f"in effect from {md(policy.effective_from)}. Pick an activity for the conditions, "
        "the county's exact words and examples.",
        "",
    ]
    for rule in rules_where(policy, placements, kind="note"):
        lines += [
            '!!! warning "Who may bill"',
            "",
            f"    **{md(rule.title)}.** {md(sentence(rule.reason))} [More about who may bill]({_link(HOME, rule)})",
            "",
        ]
    lines += ['<div class="grid cards" markdown>', ""]
    for topic in policy.topics:
        groups = _table_groups(policy, placements, topic.title)
        if not groups[Outcome.BILLABLE]:
            continue
        lines += [f"-   ## [{md(topic.title)}]({_relative(HOME, topic_path(topic.name))})", ""]
        for outcome, rules in groups.items():
            if not rules:
                continue
            lines += [f"    {badge(outcome)}", ""]
            lines += [f"    - [{md(rule.title)}]({_link(HOME, rule)})" for rule in rules]
            lines += [""]
    lines += ["</div>", ""]
    unplaced = [rule for rule in policy.rules if rule.id not in placements]
    if unplaced:
        lines += ["## Not on the list?", ""]
        for rule in unplaced:
            lines += [f"{badge(rule.outcome)} {md(sentence(rule.reason))} [{md(rule.title)}]({_link(HOME, rule)})", ""]
    if any(rule.outcome is Outcome.NEEDS_REVIEW for rule in policy.rules):
        lines += review_note(policy)
    if contrasts:
        lines += ["## Often confused", ""]
        lines += [
            f"- [{md(contrast.title)}]({_relative(HOME, CONTRASTS)}#{_anchor(contrast.title)})"
            for contrast in contrasts
        ]
        lines += [""]
    lines += [
        "## New here?",
        "",
        f"Read [how a decision is made]({_relative(HOME, HOW_DECISIONS)}), "
        "what to do when the answer is *Needs review* or *Undetermined*, "
        f"and the [glossary]({_relative(HOME, GLOSSARY)}). "
        f"Print the [one-page summary]({_relative(HOME, SUMMARY)}) to keep at your desk.",
        "",
    ]
    if CHANGES in present:
        lines += [f"See [what changed]({_relative(HOME, CHANGES)}) in each version of the policy.", ""]
    return "\n".join(lines)


def topic_page(policy: Policy, topic: str, results: Sequence[CaseResult], present: Collection[str] = ()) -> str:
    """A topic: each of its rules in plain words, its exceptions, the county's text and
    the examples that teach it."""
    here = topic_path(topic)
    title = next(t.title for t in policy.topics if t.name == topic)
    placements = rule_placements(policy)
    rules = [rule for rule in policy.rules if rule.topic == topic]
    taught = teaching(results)
    lines = [f"# {md(title)}", ""]
    lines += _checker_link(here, present)
    notes = [rule for rule in rules_where(policy, placements, kind="note") if rule.topic != topic]
    for rule in notes:
        lines += [
            '!!! note "Who may bill"',
            "",
            f"    Everything on this page also needs the right provider: [{md(rule.title)}]({_link(here, rule)}).",
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
        lines += [f"- [{md(rule.title)}]({_link(here, rule)})" for rule in elsewhere]
        lines += [""]
    return "\n".join(lines)


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
        groups = _table_groups(policy, placements, topic_title, every_column=True)
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
        f"{_clause(policy.default_reason)}",
        "",
        "</div>",
        "",
    ]
    return "\n".join(lines)


def contrasts_page(policy: Policy, results: Sequence[CaseResult], contrasts: Sequence[Contrast]) -> str:
    """Pairs of examples that look alike and are decided differently, side by side."""
    by_name = {result.case.name: result for result in results}
    lines = [
        *front_matter(hide=("navigation",)),
        "# Often confused",
        "",
        "Each pair below looks alike but is decided differently. "
        "Every example is a case that the project's tests run against the policy.",
        "",
    ]
    for contrast in contrasts:
        chosen = [by_name[name] for name in contrast.cases]
        lines += [f"## {md(contrast.title)} {{ #{_anchor(contrast.title)} }}", ""]
        differing = differing_facts(policy, [result.case.facts for result in chosen])
        if differing:
            lines += ["What differs: " + "; ".join(differing) + ".", ""]
        lines += ['<div class="grid cards" markdown>', ""]
        for result in chosen:
            decision = result.decision
            lines += [
                f"-   {badge(decision.outcome)}",
                "",
                f"    **{md(result.case.name)}**",
                "",
                f"    {md(facts_text(policy, result.case.facts))}",
                "",
            ]
            for rule_id, reason in zip(decision.rules, decision.reasons, strict=True):
                rule = policy.rule(rule_id)
                lines += [f"    Why: {md(sentence(reason))} [{md(rule.title)}]({_link(CONTRASTS, rule)})", ""]
            for citation in decision.citations:
                # The first passage is enough beside its twin; the rule's section has them all.
                lines += [f"    > {quoted_passages(policy, policy.rule(citation.rule))[0]}", ""]
        lines += ["</div>", ""]
        if any(result.decision.outcome is Outcome.NEEDS_REVIEW for result in chosen):
            lines += review_note(policy)
    return "\n".join(lines)


def how_decisions_page(policy: Policy, results: Sequence[CaseResult], contrasts: Sequence[Contrast] = ()) -> str:
    """Credential first, then the activity, then how it was done; what each answer means."""
    placements = rule_placements(policy)
    credential_rules = rules_where(policy, placements, kind="note")
    lines = ["# How a decision is made", ""]
    lines += ["## 1. Who provided the service", ""]
    for rule in credential_rules:
        lines += [
            f"{md(sentence(rule.reason))} When the provider does not qualify, nothing else matters: "
            f"the answer is {badge(rule.outcome)}. See [{md(rule.title)}]({_link(HOW_DECISIONS, rule)}).",
            "",
        ]
        lines += [f"> {quote(text)}" for text in rule.quotes] + [""]
    lines += [
        "## 2. What the activity was",
        "",
        "The activity decides which of the county's rules can apply. Each topic page lists its activities:",
        "",
    ]
    for topic in policy.topics:
        lines += [f"- [{md(topic.title)}]({_relative(HOW_DECISIONS, topic_path(topic.name))})"]
    lines += ["", "## 3. How it was done", "", "For some activities, more questions decide the answer:", ""]
    for fact in policy.facts:
        when = asked_for(policy, fact)
        if when is None:
            continue
        lines += [f"- **{md(fact.question)}** {when}"]
    lines += ["", "## When rules disagree", ""]
    order = [OUTCOME_WORDS[outcome] for outcome in policy.precedence]
    lines += [
        "More than one rule can apply to the same activity. The answer is the first of "
        + ", then ".join(f"*{word}*" for word in order)
        + " that any applying rule gives, and every rule giving that answer is shown, "
        "so you see each reason at once.",
        "",
        f"When no rule applies, the answer is {badge(policy.default_outcome)}: {_clause(policy.default_reason)}",
        "",
        "## What the answers mean",
        "",
    ]
    for outcome in (Outcome.BILLABLE, Outcome.NOT_BILLABLE, Outcome.NEEDS_REVIEW, Outcome.UNDETERMINED):
        lines += [f"- {badge(outcome)} {advice(policy, outcome)}"]
    undetermined = [result for result in teaching(results) if result.decision.outcome is Outcome.UNDETERMINED]
    if undetermined:
        lines += [
            "",
            "## Examples of an undetermined answer",
            "",
            "Leaving out what you do not know is fine: the answer then names exactly the questions "
            "that would change it, in the order to ask them.",
            "",
        ]
        lines += example_list(policy, undetermined)
    example = _check_example(results, contrasts)
    if example is not None:
        lines += [
            "",
            "## Checking a scenario on the command line",
            "",
            "Maintainers can ask the same rules on the command line, which answers with the county's words "
            "and the questions still open:",
            "",
            "```",
            "billability check " + " ".join(f"{name}={_argument(value)}" for name, value in example.case.facts.items()),
            "```",
            "",
        ]
    return "\n".join(lines)


def _check_example(results: Sequence[CaseResult], contrasts: Sequence[Contrast]) -> CaseResult | None:
    """A corpus case to show as a `billability check` command, so the command always runs
    against this policy: the first not-billable case of the contrasts, else of the corpus."""
    by_name = {result.case.name: result for result in results}
    named = [by_name[name] for contrast in contrasts for name in contrast.cases if name in by_name]
    for result in (*named, *results):
        if result.decision.outcome is Outcome.NOT_BILLABLE:
            return result
    return results[0] if results else None


def _argument(value: Any) -> str:
    """A fact's value as `billability check` reads it from FACT=VALUE."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- one rule ------------------------------------------------------------------------------


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
            line = f"- {badge(other.outcome)} [{md(other.title)}]({_link(here, other)})"
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


def _table_groups(
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


def _checker_link(here: str, present: Collection[str]) -> list[str]:
    if CHECKER not in present:
        return []
    return [
        f"[Check a situation step by step]({_relative(here, CHECKER)}){{ .md-button .md-button--primary }}",
        "",
    ]


def _activity_topic(policy: Policy, facts: Mapping[str, Any]) -> str | None:
    for fact in policy.facts:
        if fact.type is not FactType.ENUM:
            continue
        value = facts.get(fact.name)
        topic = next((v.topic for v in fact.values if v.name == value and v.topic), None)
        if topic is not None:
            return topic
    return None


# --- links ---------------------------------------------------------------------------------


def _link(here: str, rule: Rule) -> str:
    return f"{_relative(here, topic_path(rule.topic))}#{rule.id}"


def _relative(here: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(here) or ".")


def _clause(text: str) -> str:
    """A reason after a colon: as written, lower case first, with a final stop."""
    text = text.strip().rstrip(".")
    return md(text) + "."


def _anchor(title: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join(words)
