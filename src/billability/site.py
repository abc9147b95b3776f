"""Write the staff reference site's pages from the policy and the corpus.

In: a compiled `Policy`, the corpus's `CaseResult`s (every case run against that
policy) and the `Contrast`s staff get wrong (side-by-side pairs of corpus cases).
Out: Markdown pages by path inside the site: `index.md` (the one-screen answer),
`topics/<topic>.md` (one per policy topic), `contrasts.md` and
`how-decisions-are-made.md`. The functions are pure and the output is
deterministic: the same policy and corpus give the same bytes.

`build_pages` loads a policy and its corpus (the checkout's, from `docs/hooks.py`;
the bundled ones by default), runs every case, and refuses (raising `Problems`) when
the policy and the corpus disagree or a contrast names a case the corpus does not
have, so the site never shows an example the tests fail. The MkDocs hook in
`docs/hooks.py` calls it at every build. The command-line example is a corpus case.
"""

from __future__ import annotations

import html
import itertools
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from billability.compile import load_policy, normalize
from billability.corpus import CaseResult, load_cases, run_cases
from billability.diagnostics import Diagnostic, Location, Problems, hint_for
from billability.evaluate import domain, truth
from billability.model import (
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
    Policy,
    Rule,
    Value,
)
from billability.source import read_yaml_file
from billability.sourcetext import Statement, statements

HOME = "index.md"
CONTRASTS = "contrasts.md"
HOW_DECISIONS = "how-decisions-are-made.md"
GLOSSARY = "glossary.md"  # written by hand

OUTCOME_WORDS = {
    Outcome.BILLABLE: "Billable",
    Outcome.NOT_BILLABLE: "Not billable",
    Outcome.NEEDS_REVIEW: "Needs review",
    Outcome.UNDETERMINED: "Undetermined",
}

# What each answer means for the person about to bill, in the order staff meet them.
OUTCOME_ADVICE = {
    Outcome.BILLABLE: "Bill it as case management, and document it in a progress note.",
    Outcome.NOT_BILLABLE: (
        "Do not bill it as case management. The activity may still be worth doing; "
        "it just cannot be billed under case management."
    ),
    Outcome.NEEDS_REVIEW: (
        "The county's table does not settle it. Ask your supervisor or QA before billing it as case management."
    ),
    Outcome.UNDETERMINED: (
        "Something you have not said yet decides it. Answer the questions listed with the example, then check again."
    ),
}

_COMPARISON_WORDS = {
    "more_than": "more than",
    "at_least": "at least",
    "less_than": "less than",
    "at_most": "at most",
}


@dataclass(frozen=True, slots=True)
class Contrast:
    """Two or three corpus cases that staff confuse, shown side by side."""

    title: str
    cases: tuple[str, ...]
    location: Location


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a rule sits in the county's table: its topic there and its column."""

    topic: str  # "Connection", "Coordination", "Communication", or "" for the credential note
    kind: str  # "note", "activity", "billable" or "not_billable"


# --- loading -------------------------------------------------------------------------------


def build_pages(
    contrasts_path: Path,
    policy_path: str | Path | None = None,
    corpus_paths: Sequence[str | Path] | None = None,
) -> dict[str, str]:
    """Every generated page of the site, from the policy and corpus on disk.

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
    from billability.checker import checker_pages  # here, not at the top: the checker reads this module's words

    return dict(sorted({**site_pages(policy, results, contrasts), **checker_pages(policy)}.items()))


def load_contrasts(path: Path, case_names: Sequence[str]) -> tuple[Contrast, ...]:
    """The contrasts file: `contrasts: [{title: ..., cases: [case name, case name]}]`."""
    located = read_yaml_file(path, str(path))
    problems: list[Diagnostic] = []
    found: list[Contrast] = []
    body = located.data
    if not isinstance(body, dict) or set(body) != {"contrasts"} or not isinstance(body["contrasts"], list):
        raise Problems(
            [
                Diagnostic(
                    "site.contrasts-shape",
                    "a contrasts file holds one key, `contrasts`, with a list of contrasts",
                    located.where(()),
                )
            ]
        )
    known = set(case_names)
    repeated = {name for name in known if case_names.count(name) > 1}
    for index, entry in enumerate(body["contrasts"]):
        path_key: tuple[str | int, ...] = ("contrasts", index)
        if (
            not isinstance(entry, dict)
            or set(entry) != {"title", "cases"}
            or not isinstance(entry["title"], str)
            or not isinstance(entry["cases"], list)
            or not 2 <= len(entry["cases"]) <= 3
            or not all(isinstance(name, str) for name in entry["cases"])
        ):
            problems.append(
                Diagnostic(
                    "site.contrasts-shape",
                    "a contrast has a `title` and a list of two or three `cases` (corpus case names)",
                    located.where(path_key),
                )
            )
            continue
        for position, name in enumerate(entry["cases"]):
            if name not in known:
                problems.append(
                    Diagnostic(
                        "site.unknown-case",
                        f"the corpus has no case named `{name}`",
                        located.where((*path_key, "cases", position)),
                        hint=hint_for(name, sorted(known)),
                    )
                )
            elif name in repeated:
                problems.append(
                    Diagnostic(
                        "site.ambiguous-case",
                        f"more than one corpus case is named `{name}`",
                        located.where((*path_key, "cases", position)),
                        hint="give each of those cases its own name",
                    )
                )
        found.append(Contrast(entry["title"], tuple(entry["cases"]), located.where(path_key)))
    if problems:
        raise Problems(problems)
    return tuple(found)


# --- the pages -----------------------------------------------------------------------------


def site_pages(policy: Policy, results: Sequence[CaseResult], contrasts: Sequence[Contrast]) -> dict[str, str]:
    """Every generated page, by path, sorted by path."""
    pages = {
        HOME: home_page(policy, contrasts),
        CONTRASTS: contrasts_page(policy, results, contrasts),
        HOW_DECISIONS: how_decisions_page(policy, results, contrasts),
    }
    for topic in policy.topics:
        pages[topic_path(topic.name)] = topic_page(policy, topic.name, results)
    return dict(sorted(pages.items()))


def topic_path(topic: str) -> str:
    return f"topics/{topic.replace('_', '-')}.md"


def home_page(policy: Policy, contrasts: Sequence[Contrast]) -> str:
    """One screen: who may bill, then billable and not billable under each county topic."""
    placements = rule_placements(policy)
    lines = [
        "---",
        "hide:",
        "  - navigation",
        "  - toc",
        "---",
        "",
        "# Can I bill this as case management?",
        "",
        f"From the county's table: {_md(policy.title)}. Pick an activity for the conditions, "
        "the county's exact words and worked examples.",
        "",
    ]
    for rule in _rules_where(policy, placements, kind="note"):
        lines += [
            '!!! warning "Who may bill"',
            "",
            f"    **{_md(rule.title)}.** {_md(_sentence(rule.reason))} [More about who may bill]({_link(HOME, rule)})",
            "",
        ]
    lines += ['<div class="grid cards" markdown>', ""]
    for topic in policy.topics:
        billable = _rules_where(policy, placements, topic=topic.title, outcome=Outcome.BILLABLE)
        if not billable:
            continue
        lines += [f"-   ### [{_md(topic.title)}]({_relative(HOME, topic_path(topic.name))})", ""]
        groups = (
            (Outcome.BILLABLE, billable),
            (
                Outcome.NOT_BILLABLE,
                _rules_where(policy, placements, topic=topic.title, outcome=Outcome.NOT_BILLABLE, kind="not_billable"),
            ),
            (Outcome.NEEDS_REVIEW, _rules_where(policy, placements, topic=topic.title, outcome=Outcome.NEEDS_REVIEW)),
        )
        for outcome, rules in groups:
            if not rules:
                continue
            lines += [f"    {_badge(outcome)}", ""]
            lines += [f"    - [{_md(rule.title)}]({_link(HOME, rule)})" for rule in rules]
            lines += [""]
    lines += ["</div>", ""]
    unplaced = [rule for rule in policy.rules if rule.id not in placements]
    for rule in unplaced:
        lines += [
            f"**Not on the list?** {_badge(rule.outcome)} {_md(_sentence(rule.reason))} "
            f"[{_md(rule.title)}]({_link(HOME, rule)})",
            "",
        ]
    if contrasts:
        lines += [
            "**Often confused:** "
            + "; ".join(
                f"[{_md(contrast.title)}]({_relative(HOME, CONTRASTS)}#{_anchor(contrast.title)})"
                for contrast in contrasts
            )
            + ".",
            "",
        ]
    lines += [
        f"New here? Read [how a decision is made]({_relative(HOME, HOW_DECISIONS)}), "
        "what to do when the answer is *Needs review* or *Undetermined*, "
        f"and the [glossary]({_relative(HOME, GLOSSARY)}).",
        "",
    ]
    return "\n".join(lines)


def topic_page(policy: Policy, topic: str, results: Sequence[CaseResult]) -> str:
    """A topic: each of its rules in plain words, the county's text and the examples that pin it."""
    here = topic_path(topic)
    title = next(t.title for t in policy.topics if t.name == topic)
    placements = rule_placements(policy)
    rules = [rule for rule in policy.rules if rule.topic == topic]
    lines = [f"# {_md(title)}", ""]
    notes = [rule for rule in _rules_where(policy, placements, kind="note") if rule.topic != topic]
    for rule in notes:
        lines += [
            '!!! note "Who may bill"',
            "",
            f"    Everything on this page also needs the right provider: [{_md(rule.title)}]({_link(here, rule)}).",
            "",
        ]
    for outcome in (Outcome.BILLABLE, Outcome.NOT_BILLABLE, Outcome.NEEDS_REVIEW):
        chosen = [rule for rule in rules if rule.outcome is outcome]
        if not chosen:
            continue
        lines += [f"## {OUTCOME_WORDS[outcome]}", ""]
        for rule in chosen:
            lines += _rule_section(policy, rule, here, results)
    waiting = [
        result
        for result in results
        if not result.decision.rules and _activity_topic(policy, result.case.facts) == topic
    ]
    if waiting:
        lines += ["## Examples that need more facts", ""]
        lines += _example_table(policy, waiting)
    elsewhere = [
        rule for rule in _rules_where(policy, placements, topic=title, kind="not_billable") if rule.topic != topic
    ]
    if elsewhere:
        lines += [
            "## Not billable in this area",
            "",
            f"The county's table lists these under {_md(title)} as not billable:",
            "",
        ]
        lines += [f"- [{_md(rule.title)}]({_link(here, rule)})" for rule in elsewhere]
        lines += [""]
    return "\n".join(lines)


def contrasts_page(policy: Policy, results: Sequence[CaseResult], contrasts: Sequence[Contrast]) -> str:
    """Pairs of examples that look alike and are decided differently, side by side."""
    by_name = {result.case.name: result for result in results}
    lines = [
        "---",
        "hide:",
        "  - navigation",
        "---",
        "",
        "# Often confused",
        "",
        "Each pair below looks alike but is decided differently. "
        "Every example is a case that the project's tests run against the policy.",
        "",
    ]
    for contrast in contrasts:
        chosen = [by_name[name] for name in contrast.cases]
        lines += [f"## {_md(contrast.title)} {{ #{_anchor(contrast.title)} }}", ""]
        differing = _differing_facts(policy, [result.case.facts for result in chosen])
        if differing:
            lines += ["**What differs:** " + "; ".join(differing) + ".", ""]
        lines += ['<div class="grid cards" markdown>', ""]
        for result in chosen:
            decision = result.decision
            lines += [
                f"-   {_badge(decision.outcome)}",
                "",
                f"    **{_md(result.case.name)}**",
                "",
                f"    {_md(_facts_text(policy, result.case.facts))}",
                "",
            ]
            for rule_id, reason in zip(decision.rules, decision.reasons, strict=True):
                rule = policy.rule(rule_id)
                lines += [f"    Why: {_md(_sentence(reason))} [{_md(rule.title)}]({_link(CONTRASTS, rule)})", ""]
            for citation in decision.citations:
                # The first passage is enough beside its twin; the rule's section has them all.
                lines += [f"    > {quoted_passages(policy, policy.rule(citation.rule))[0]}", ""]
        lines += ["</div>", ""]
    return "\n".join(lines)


def how_decisions_page(policy: Policy, results: Sequence[CaseResult], contrasts: Sequence[Contrast] = ()) -> str:
    """Credential first, then the activity, then how it was done; what each answer means."""
    placements = rule_placements(policy)
    credential_rules = _rules_where(policy, placements, kind="note")
    lines = ["# How a decision is made", ""]
    lines += ["## 1. Who provided the service", ""]
    for rule in credential_rules:
        lines += [
            f"{_md(_sentence(rule.reason))} When the provider does not qualify, nothing else matters: "
            f"the answer is {_badge(rule.outcome)}. See [{_md(rule.title)}]({_link(HOW_DECISIONS, rule)}).",
            "",
        ]
        lines += [f"> {_quote(quote)}" for quote in rule.quotes] + [""]
    lines += [
        "## 2. What the activity was",
        "",
        "The activity decides which of the county's rules can apply. Each topic page lists its activities:",
        "",
    ]
    for topic in policy.topics:
        lines += [f"- [{_md(topic.title)}]({_relative(HOW_DECISIONS, topic_path(topic.name))})"]
    lines += ["", "## 3. How it was done", "", "For some activities, more questions decide the answer:", ""]
    for fact in policy.facts:
        asked_for = _asked_for(policy, fact)
        if asked_for is None:
            continue
        lines += [f"- **{_md(fact.question)}** Asked {asked_for}."]
    lines += ["", "## When rules disagree", ""]
    order = [OUTCOME_WORDS[outcome] for outcome in policy.precedence]
    lines += [
        "More than one rule can apply to the same activity. The answer is the first of "
        + ", then ".join(f"*{word}*" for word in order)
        + " that any applying rule gives, and every rule giving that answer is shown, "
        "so you see each reason at once.",
        "",
        f"When no rule applies, the answer is {_badge(policy.default_outcome)}: {_md(policy.default_reason)}.",
        "",
        "## What the answers mean",
        "",
    ]
    for outcome in (Outcome.BILLABLE, Outcome.NOT_BILLABLE, Outcome.NEEDS_REVIEW, Outcome.UNDETERMINED):
        lines += [f"- {_badge(outcome)} {_md(OUTCOME_ADVICE[outcome])}"]
    undetermined = [result for result in results if result.decision.outcome is Outcome.UNDETERMINED]
    if undetermined:
        lines += [
            "",
            "## Examples of an undetermined answer",
            "",
            "Leaving out what you do not know is fine: the answer then names exactly the questions "
            "that would change it, in the order to ask them.",
            "",
        ]
        lines += _example_table(policy, undetermined)
    example = _check_example(results, contrasts)
    if example is not None:
        lines += [
            "",
            "## Checking a scenario yourself",
            "",
            "The same rules answer on the command line, with the county's words and the questions still open:",
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


def _rule_section(policy: Policy, rule: Rule, here: str, results: Sequence[CaseResult]) -> list[str]:
    lines = [
        f"### {_md(rule.title)} {{ #{rule.id} }}",
        "",
        f"{_badge(rule.outcome)} {_md(_sentence(rule.reason))}",
        "",
        f"<small>Rule <code>{rule.id}</code></small>",
        "",
        "**When this applies**",
        "",
    ]
    lines += [f"- {line}" for line in condition_lines(policy, rule.when)]
    lines += [""]
    overrides = overriding_rules(policy, rule)
    if overrides:
        lines += [f"**But not {OUTCOME_WORDS[rule.outcome].lower()} when**", ""]
        lines += [
            f"- [{_md(other.title)}]({_link(here, other)}): {OUTCOME_WORDS[other.outcome].lower()}"
            for other in overrides
        ]
        lines += [""]
    lines += ["**The county's table says**", ""]
    for passage in quoted_passages(policy, rule):
        lines += [f"> {passage}", ""]
    pinned = [result for result in results if rule.id in result.decision.rules]
    if pinned:
        lines += ["**Examples**", ""]
        lines += _example_table(policy, pinned)
    return lines


def condition_lines(policy: Policy, condition: Condition) -> list[str]:
    """A rule's condition as short lines of plain words, one per fact it looks at."""
    facts = policy.fact_index
    match condition:
        case Always():
            return ["always"]
        case Is(fact=name, value=value):
            return [f"**{_md(facts[name].label)}:** {_values_text(facts[name], (value,))}"]
        case OneOf(fact=name, values=values):
            return [f"**{_md(facts[name].label)}:** {_values_text(facts[name], values)}"]
        case Compare(fact=name, op=op, bound=bound):
            return [f"**{_md(facts[name].label)}:** {_COMPARISON_WORDS[op]} {bound}"]
        case All(items=items):
            return [line for item in items for line in condition_lines(policy, item)]
        case AnyOf(items=items):
            return ["any one of: " + "; or ".join("; ".join(condition_lines(policy, item)) for item in items)]
        case Not(item=Is(fact=name, value=value)):
            return [f"**{_md(facts[name].label)}:** anything but {_values_text(facts[name], (value,))}"]
        case Not(item=OneOf(fact=name, values=values)):
            return [f"**{_md(facts[name].label)}:** anything but {_values_text(facts[name], values)}"]
        case Not(item=item):
            return ["not: " + "; ".join(condition_lines(policy, item))]
    raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover


def overriding_rules(policy: Policy, rule: Rule) -> list[Rule]:
    """The rules that take precedence over `rule` and can apply to the same scenario."""
    rank = {outcome: index for index, outcome in enumerate(policy.precedence)}
    if rule.outcome not in rank:
        return []
    facts = policy.fact_index
    found = []
    for other in policy.rules:
        if other.outcome not in rank or rank[other.outcome] >= rank[rule.outcome]:
            continue
        names = sorted(rule.facts | other.facts)
        for values in itertools.product(*(domain(policy, facts[name]) for name in names)):
            scenario = dict(zip(names, values, strict=True))
            if truth(rule.when, scenario) and truth(other.when, scenario):
                found.append(other)
                break
    return found


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
            pieces += [_md(whole[cursor:start]), "**" + _md(whole[start:end]) + "**"]
            cursor = end
        pieces.append(_md(whole[cursor:]))
        bolded = "".join(pieces)
        outside = "".join(_md(whole[cursor:start]) for cursor, start in _gaps(_merged(spans[whole]), len(whole)))
        if not outside.strip(" ,.;"):
            # The rule quotes the whole statement: nothing to set apart.
            bolded = _md(whole)
        passages.append(f"\u201c{bolded}\u201d")
    return passages


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


def _statement_of(quote: str, found: Iterable[Statement]) -> Statement | None:
    for statement in found:
        if quote in normalize(statement.text):
            return statement
    return None


def _rules_where(
    policy: Policy,
    placements: Mapping[str, Placement],
    topic: str | None = None,
    outcome: Outcome | None = None,
    kind: str | None = None,
) -> list[Rule]:
    return [
        rule
        for rule in policy.rules
        if rule.id in placements
        and (topic is None or placements[rule.id].topic == topic)
        and (outcome is None or rule.outcome is outcome)
        and (kind is None or placements[rule.id].kind == kind)
    ]


# --- examples ------------------------------------------------------------------------------


def _example_table(policy: Policy, results: Sequence[CaseResult]) -> list[str]:
    lines = ["| Example | What we know | Answer |", "| --- | --- | --- |"]
    for result in results:
        decision = result.decision
        answer = _badge(decision.outcome)
        if decision.missing:
            questions = " ".join(_md(policy.fact_index[name].question) for name in decision.missing)
            answer += f" Still to answer: {questions}"
        lines.append(
            f"| {_cell(_md(result.case.name))} | {_cell(_md(_facts_text(policy, result.case.facts)))} | {_cell(answer)} |"
        )
    return [*lines, ""]


def _facts_text(policy: Policy, facts: Mapping[str, Any]) -> str:
    """A scenario's facts in the policy's order, each by its label."""
    parts = []
    for fact in policy.facts:
        if facts.get(fact.name) is None:
            continue
        value = facts[fact.name]
        if fact.type is FactType.ENUM:
            parts.append(_value_label(fact, value))
        else:
            parts.append(f"{fact.label}: {_plain_value(fact, value)}")
    return "; ".join(parts) if parts else "nothing yet"


def _differing_facts(policy: Policy, scenarios: Sequence[Mapping[str, Any]]) -> list[str]:
    found = []
    for fact in policy.facts:
        stated = {scenario[fact.name] for scenario in scenarios if scenario.get(fact.name) is not None}
        # A fact only one example states is not a difference staff need to see.
        if len(stated) < 2:
            continue
        shown = [_plain_value(fact, scenario.get(fact.name)) for scenario in scenarios]
        if len(set(shown)) > 1:
            found.append(f"{_md(fact.label)}: " + " vs ".join(_md(value) for value in shown))
    return found


def _plain_value(fact: Fact, value: Any) -> str:
    if value is None:
        return "not said"
    if fact.type is FactType.BOOLEAN:
        return "yes" if value else "no"
    if fact.type is FactType.ENUM:
        return _value_label(fact, value)
    return str(value)


def _value_label(fact: Fact, value: Value) -> str:
    return next((v.label for v in fact.values if v.name == value), str(value))


def _values_text(fact: Fact, values: Sequence[Value]) -> str:
    shown = [f"*{_md(_plain_value(fact, value))}*" for value in values]
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " or " + shown[-1]


def _activity_topic(policy: Policy, facts: Mapping[str, Any]) -> str | None:
    for fact in policy.facts:
        if fact.type is not FactType.ENUM:
            continue
        value = facts.get(fact.name)
        topic = next((v.topic for v in fact.values if v.name == value and v.topic), None)
        if topic is not None:
            return topic
    return None


def _asked_for(policy: Policy, fact: Fact) -> str | None:
    """Words for when a fact is asked, from its `relevant_when`; None when always asked."""
    if isinstance(fact.relevant_when, Always):
        return None
    lines = condition_lines(policy, fact.relevant_when)
    return "when " + "; and ".join(line.replace("**", "") for line in lines)


# --- Markdown ------------------------------------------------------------------------------


def _badge(outcome: Outcome) -> str:
    return f'<span class="outcome outcome-{outcome.value.replace("_", "-")}">{OUTCOME_WORDS[outcome]}</span>'


def _link(here: str, rule: Rule) -> str:
    return f"{_relative(here, topic_path(rule.topic))}#{rule.id}"


def _relative(here: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(here) or ".")


def _anchor(title: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join(words)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _quote(quote: str) -> str:
    return f"\u201c{_md(normalize(quote))}\u201d"


def _md(text: str) -> str:
    """Text shown as written: HTML and Markdown markup characters escaped."""
    escaped = html.escape(text, quote=False)
    for mark in ("\\", "`", "*", "_", "[", "]"):
        escaped = escaped.replace(mark, "\\" + mark)
    return escaped


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
