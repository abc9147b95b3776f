"""Write the staff site's "Can I bill this?" checker from the policy's versions.

In: the compiled `Policy` the site shows, and every version of the policy (oldest first;
by default that one alone).
Out: the checker's files by path inside the site: `check/index.md` (the page: an
empty form the browser fills, a `<noscript>` message pointing to the topic pages, a
place for the date of the service, a live region for the answer, and the scripts in
the order they need each other), `check/diagram.js` (each version's decision diagram,
`billability.decide.diagram`, oldest first, and the shown version's as the one
`decide.js` walks by default) and `check/checker-data.js` (per version: what the page
shows, each fact's question and its choices in the policy's order, the outcome words,
each rule's reason, county quotes and the link to its section on the site, the review
contact, the version, its first and last day in force; and the date field's words).

The page decides nothing itself: `decide.js` walks the diagram of the version in force
on the date of the service, and `checker.js` only renders questions and answers from
the data written here, so a policy edit or a new version changes the checker at the
next build with no edit to the page. The output is deterministic: the same versions
give the same bytes.
"""

from __future__ import annotations

import datetime
import html
import json
import posixpath
from collections.abc import Sequence
from typing import Any

from billability.decide.diagram import diagram_of
from billability.decide.diagram_json import diagram_json, script_json
from billability.model.diagnostics import Diagnostic, Problems
from billability.model.policy import Fact, FactType, Outcome, Rule
from billability.policy.compile import normalize
from billability.policy.compiled import Policy
from billability.policy.versions import effective_date
from billability.policy.wording import OUTCOME_WORDS, advice, front_matter, sentence
from billability.site.layout import CHECKER
from billability.site.placement import topic_path

FOLDER = "check"
PAGE = CHECKER
DIAGRAM = f"{FOLDER}/diagram.js"
DATA = f"{FOLDER}/checker-data.js"

# How a link says "I don't know" (`check/?activity=unknown`); no fact may have a value of that name.
UNKNOWN = "unknown"
UNKNOWN_LABEL = "I don't know"
BOOLEAN_CHOICES = ((True, "true", "Yes"), (False, "false", "No"))

# The address's name for the date of the service (`check/?on=2026-11-15&activity=...`),
# as `billability check --on` names it; no fact may have that name.
DATE_PARAM = "on"
DATE_WORDS = {
    "param": DATE_PARAM,
    "label": "Date of the service",
    "hint": "The answer follows the version of the policy in force on that day.",
}

# What to do with an answer the questions have not settled yet.
UNDETERMINED_ADVICE = "It depends on what you do not know yet. Find out, then answer these questions:"


def checker_pages(policy: Policy, directory_urls: bool = True, *, versions: Sequence[Policy] = ()) -> dict[str, str]:
    """The checker's page and scripts, by path inside the site, sorted by path. `policy`
    is the version the site shows; `versions` every version, oldest first (none: `policy`
    alone), each of which the checker answers for.

    `directory_urls` follows MkDocs' `use_directory_urls` (on by default), which decides
    the address of a topic page the answers link to. Raises `Problems` when a fact has a
    value the checker's links cannot tell apart from "I don't know", or the name the
    links give the date of the service."""
    every = tuple(versions) or (policy,)
    reserved = [problem for version in every for problem in _reserved(version)]
    if reserved:
        raise Problems(sorted(reserved, key=Diagnostic.sort_key))
    pages = {
        PAGE: checker_page(policy, directory_urls),
        DIAGRAM: diagrams_script(every, policy),
        DATA: checker_script(policy, directory_urls, versions=every),
    }
    return dict(sorted(pages.items()))


def _reserved(policy: Policy) -> list[Diagnostic]:
    problems = [
        Diagnostic(
            "checker.reserved-value",
            f"`{fact.name}` has a value named `{UNKNOWN}`, which the checker's links use for \u201c{UNKNOWN_LABEL}\u201d",
            fact.location,
            hint="give the value another name",
        )
        for fact in policy.facts
        if UNKNOWN in fact.value_names
    ]
    problems += [
        Diagnostic(
            "checker.reserved-fact",
            f"the fact `{fact.name}` has the name the checker's links use for the date of the service",
            fact.location,
            hint="give the fact another name",
        )
        for fact in policy.facts
        if fact.name == DATE_PARAM
    ]
    return problems


def checker_page(policy: Policy, directory_urls: bool = True) -> str:
    """The page: the questions and the answer are drawn by `checker.js` in the browser."""
    # Markdown links, so the site's strict build checks that each topic page exists.
    topics = [
        f"- [{_markdown_text(topic.title)}]({posixpath.relpath(topic_path(topic.name), FOLDER)})"
        for topic in policy.topics
    ]
    return "\n".join(
        [
            *front_matter(title="Check an activity", hide=("toc",)),
            "# Can I bill this activity?",
            "",
            '<link rel="stylesheet" href="../stylesheets/checker.css">',
            "",
            "Answer each question as it appears. The answer shows as soon as your answers settle it, "
            "with the county's words behind it. Not sure? Choose "
            f"\u201c{_markdown_text(UNKNOWN_LABEL)}\u201d and the checker tells you what would decide it.",
            "{: .checker-intro }",
            "",
            "<noscript markdown>",
            '<div class="checker-noscript" markdown>',
            "",
            "**This checker runs on scripts, and this browser has them turned off.** "
            "Every answer it gives is also on the topic pages: find your activity there, "
            "with its conditions and the county's exact words.",
            "",
            *topics,
            "",
            "</div>",
            "</noscript>",
            "",
            '<div id="checker-notice" class="checker-notice" role="alert" hidden></div>',
            "",
            '<div id="checker-when" class="checker-when"></div>',
            "",
            '<form id="checker" class="checker" aria-label="Questions about the activity" novalidate></form>',
            "",
            '<div id="checker-result" class="checker-result" aria-live="polite"></div>',
            "",
            '<p id="checker-policy" class="checker-policy"></p>',
            "",
            '<script src="../javascripts/decide.js"></script>',
            f'<script src="{posixpath.basename(DIAGRAM)}"></script>',
            f'<script src="{posixpath.basename(DATA)}"></script>',
            '<script src="../javascripts/checker.js"></script>',
            "",
        ]
    )


def checker_data(policy: Policy, directory_urls: bool = True, shown: Policy | None = None) -> dict[str, Any]:
    """Everything the page shows for one version, as JSON-ready data in the policy's order.
    A rule links its section only when the site (which shows `shown`, by default `policy`)
    has a rule of that id on the same topic page; otherwise its `link` is None."""
    sections = {rule.id: rule.topic for rule in (shown or policy).rules}
    return {
        "policy": {
            "id": policy.id,
            "title": policy.title,
            "version": policy.version,
            "effective_from": policy.effective_from,
        },
        "unknown": {"param": UNKNOWN, "label": UNKNOWN_LABEL},
        "questions": [_question(fact) for fact in policy.facts],
        "outcomes": {
            str(outcome): {"words": OUTCOME_WORDS[outcome], "advice": _advice(policy, outcome)} for outcome in Outcome
        },
        "default_reason": sentence(policy.default_reason),
        "review": {"team": policy.review.team, "how": policy.review.how},
        "rules": {rule.id: _rule(rule, directory_urls, sections.get(rule.id) == rule.topic) for rule in policy.rules},
    }


def checker_versions(policy: Policy, directory_urls: bool = True, versions: Sequence[Policy] = ()) -> dict[str, Any]:
    """What `checker-data.js` sets: the date field's words, the version the site shows,
    and each version's data (`checker_data`, oldest first) with `until`, its last day in
    force (None for the latest)."""
    every = tuple(versions) or (policy,)
    days = [effective_date(version) for version in every]
    return {
        "date": DATE_WORDS,
        "shown": policy.version,
        "versions": [
            checker_data(version, directory_urls, policy)
            | {"until": (days[at + 1] - datetime.timedelta(days=1)).isoformat() if at + 1 < len(every) else None}
            for at, version in enumerate(every)
        ],
    }


def checker_script(policy: Policy, directory_urls: bool = True, *, versions: Sequence[Policy] = ()) -> str:
    """`checker-data.js`: `checker_versions`, set as `window.billability.checker`."""
    body = json.dumps(checker_versions(policy, directory_urls, versions), indent=1, ensure_ascii=False)
    return (
        "// Generated from the policy at every build of the site; edit the policy, not this file.\n"
        "window.billability = window.billability || {};\n"
        f"window.billability.checker = {body};\n"
    )


def diagrams_script(versions: Sequence[Policy], shown: Policy) -> str:
    """`diagram.js`: each version's decision diagram (`diagram_json`), oldest first, as
    `window.billability.diagrams`, and the shown version's as `window.billability.diagram`,
    the one `decide.js` walks when it is given none."""
    diagrams = [diagram_json(diagram_of(version)) for version in versions]
    position = next(at for at, version in enumerate(versions) if version.version == shown.version)
    return (
        "// Each version's decision diagram, generated from the policy by billability: do not edit.\n"
        "window.billability = window.billability || {};\n"
        f"window.billability.diagrams = {script_json(diagrams)};\n"
        f"window.billability.diagram = window.billability.diagrams[{position}];\n"
    )


def _question(fact: Fact) -> dict[str, Any]:
    question: dict[str, Any] = {"fact": fact.name, "label": fact.label, "question": fact.question, "type": fact.type}
    if fact.type is FactType.ENUM:
        question["choices"] = [{"value": v.name, "param": v.name, "label": v.label} for v in fact.values]
    elif fact.type is FactType.BOOLEAN:
        question["choices"] = [
            {"value": value, "param": param, "label": label} for value, param, label in BOOLEAN_CHOICES
        ]
    else:
        question["minimum"] = fact.minimum
        question["maximum"] = fact.maximum
    return question


def _rule(rule: Rule, directory_urls: bool, on_the_site: bool = True) -> dict[str, Any]:
    return {
        "title": rule.title,
        "outcome": str(rule.outcome),
        "reason": sentence(rule.reason),
        "quotes": [normalize(quote) for quote in rule.quotes],
        "link": f"{_address(topic_path(rule.topic), directory_urls)}#{rule.id}" if on_the_site else None,
    }


def _advice(policy: Policy, outcome: Outcome) -> str:
    if outcome is Outcome.NEEDS_REVIEW:
        return f"The county's table does not settle it. Before billing it as case management, ask {policy.review.team}."
    if outcome is Outcome.UNDETERMINED:
        return UNDETERMINED_ADVICE
    return advice(policy, outcome)


def _address(page: str, directory_urls: bool) -> str:
    """The address of a site page (`topics/connection.md`) from the checker's page, which
    sits in the `check/` folder both as `check/` and as `check/index.html`."""
    stem = page.removesuffix(".md")
    if directory_urls:
        return posixpath.relpath(stem, FOLDER) + "/"
    return posixpath.relpath(stem + ".html", FOLDER)


def _markdown_text(text: str) -> str:
    """Text shown as written: HTML and Markdown markup characters escaped."""
    escaped = html.escape(text, quote=False)
    for mark in ("\\", "`", "*", "_", "[", "]"):
        escaped = escaped.replace(mark, "\\" + mark)
    return escaped
