"""Render decisions and diagnostics for people and programs.

In: a `Decision` (with its `PolicyData`) or a list of `Diagnostic`s.
Out: text for a terminal, a JSON-ready dict, or GitHub annotation lines.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import Any

from billability.model.diagnostics import Diagnostic
from billability.model.policy import Decision, FactType, Outcome, PolicyData

HEADLINES = {
    Outcome.BILLABLE: "BILLABLE",
    Outcome.NOT_BILLABLE: "NOT BILLABLE",
    Outcome.NEEDS_REVIEW: "NEEDS REVIEW",
    Outcome.UNDETERMINED: "UNDETERMINED",
}

_WIDTH = 88


def decision_text(decision: Decision, policy: PolicyData) -> str:
    """A counselor's answer: the outcome, why, the county's words, and what to ask next."""
    lines = [HEADLINES[decision.outcome]]
    if decision.rules:
        lines += ["", "Why:"]
        for rule_id, reason in zip(decision.rules, decision.reasons, strict=True):
            lines += _wrapped(f"{reason} [{rule_id}]", "  - ", "    ")
    else:
        lines += ["", *_wrapped(decision.reasons[0] if decision.reasons else "", "", "")]
    if decision.citations:
        lines += ["", "The county's table says:"]
        for citation in decision.citations:
            for quote in citation.quotes:
                lines += _wrapped(f"\u201c{quote}\u201d [{citation.rule}]", "  ", "   ")
    if decision.missing:
        facts = policy.fact_index
        lines += ["", "To decide, answer:"]
        for name in decision.missing:
            fact = facts[name]
            lines += _wrapped(f"{fact.question} ({name}: {_choices(fact.type, fact.value_names)})", "  - ", "    ")
    if decision.outcome is Outcome.NEEDS_REVIEW:
        lines += ["", "Ask your supervisor or QA before billing this as case management."]
    return "\n".join(lines)


def _choices(kind: FactType, values: tuple[str, ...]) -> str:
    if kind is FactType.BOOLEAN:
        return "true or false"
    if kind is FactType.INTEGER:
        return "a number"
    return ", ".join(values)


def _wrapped(text: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, _WIDTH, initial_indent=first, subsequent_indent=rest) or [first.rstrip()]


def decision_json(decision: Decision) -> dict[str, Any]:
    return decision.as_json()


def diagnostics_text(diagnostics: Iterable[Diagnostic]) -> str:
    return "\n".join(d.render() for d in diagnostics)


def diagnostics_github(diagnostics: Iterable[Diagnostic]) -> str:
    """GitHub workflow annotations, so a pull request shows each problem on its line."""
    lines = []
    for d in diagnostics:
        level = {"error": "error", "warning": "warning"}.get(str(d.severity), "notice")
        message = f"[{d.code}] {d.message}" + (f" ({d.hint})" if d.hint else "")
        message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        if d.location and d.location.line:
            # A whole line is annotated from its column 0.
            column = 0 if d.location.column is None else d.location.column
            where = f" file={d.location.file},line={d.location.line},col={column}"
        elif d.location:
            where = f" file={d.location.file}"
        else:
            where = ""
        lines.append(f"::{level}{where}::{message}")
    return "\n".join(lines)
