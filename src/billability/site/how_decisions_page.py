"""The staff site's How a decision is made page.

In: a compiled `Policy`, the corpus's `CaseResult`s and the `Contrast`s (which pick the
command-line example).
Out: `how-decisions-are-made.md`: credential first, then the activity, then how it was
done; how rules that disagree are settled; what each answer means; examples of an
undetermined answer; and a `billability check` command that is a corpus case, so it
always runs against this policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from billability.checks.corpus import CaseResult
from billability.model.policy import Outcome
from billability.policy.compiled import Policy
from billability.policy.wording import OUTCOME_WORDS, advice, asked_for, badge, md, quote, sentence
from billability.site.contrasts import Contrast
from billability.site.examples import example_list, teaching
from billability.site.layout import HOW_DECISIONS, clause, relative, rule_link
from billability.site.placement import rule_placements, rules_where, topic_path


def how_decisions_page(policy: Policy, results: Sequence[CaseResult], contrasts: Sequence[Contrast] = ()) -> str:
    """Credential first, then the activity, then how it was done; what each answer means."""
    # A bullet list ends its section without a blank line: the next section starts with one.
    lines = [
        "# How a decision is made",
        "",
        *_who_provided_the_service(policy),
        *_what_the_activity_was(policy),
        "",
        *_how_it_was_done(policy),
        "",
        *_when_rules_disagree(policy),
        *_what_the_answers_mean(policy),
        *_undetermined_examples(policy, results),
        *_command_line_example(results, contrasts),
    ]
    return "\n".join(lines)


def _who_provided_the_service(policy: Policy) -> list[str]:
    """Each note on who may bill: its reason, its answer when the provider does not
    qualify, and the county's words."""
    lines = ["## 1. Who provided the service", ""]
    for rule in rules_where(policy, rule_placements(policy), kind="note"):
        lines += [
            f"{md(sentence(rule.reason))} When the provider does not qualify, nothing else matters: "
            f"the answer is {badge(rule.outcome)}. See [{md(rule.title)}]({rule_link(HOW_DECISIONS, rule)}).",
            "",
        ]
        lines += [f"> {quote(text)}" for text in rule.quotes] + [""]
    return lines


def _what_the_activity_was(policy: Policy) -> list[str]:
    return [
        "## 2. What the activity was",
        "",
        "The activity decides which of the county's rules can apply. Each topic page lists its activities:",
        "",
        *(f"- [{md(topic.title)}]({relative(HOW_DECISIONS, topic_path(topic.name))})" for topic in policy.topics),
    ]


def _how_it_was_done(policy: Policy) -> list[str]:
    """The questions asked for some activities only, each with when it is asked."""
    lines = ["## 3. How it was done", "", "For some activities, more questions decide the answer:", ""]
    for fact in policy.facts:
        when = asked_for(policy, fact)
        if when is None:
            continue
        lines += [f"- **{md(fact.question)}** {when}"]
    return lines


def _when_rules_disagree(policy: Policy) -> list[str]:
    """The policy's precedence, and its answer when no rule applies."""
    order = [OUTCOME_WORDS[outcome] for outcome in policy.precedence]
    return [
        "## When rules disagree",
        "",
        "More than one rule can apply to the same activity. The answer is the first of "
        + ", then ".join(f"*{word}*" for word in order)
        + " that any applying rule gives, and every rule giving that answer is shown, "
        "so you see each reason at once.",
        "",
        f"When no rule applies, the answer is {badge(policy.default_outcome)}: {clause(policy.default_reason)}",
        "",
    ]


def _what_the_answers_mean(policy: Policy) -> list[str]:
    outcomes = (Outcome.BILLABLE, Outcome.NOT_BILLABLE, Outcome.NEEDS_REVIEW, Outcome.UNDETERMINED)
    return ["## What the answers mean", "", *(f"- {badge(outcome)} {advice(policy, outcome)}" for outcome in outcomes)]


def _undetermined_examples(policy: Policy, results: Sequence[CaseResult]) -> list[str]:
    """The teaching cases whose answer is undetermined, when there are any."""
    undetermined = [result for result in teaching(results) if result.decision.outcome is Outcome.UNDETERMINED]
    if not undetermined:
        return []
    return [
        "",
        "## Examples of an undetermined answer",
        "",
        "Leaving out what you do not know is fine: the answer then names exactly the questions "
        "that would change it, in the order to ask them.",
        "",
        *example_list(policy, undetermined),
    ]


def _command_line_example(results: Sequence[CaseResult], contrasts: Sequence[Contrast]) -> list[str]:
    """A corpus case as the `billability check` command that asks it."""
    example = _check_example(results, contrasts)
    if example is None:
        return []
    return [
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
