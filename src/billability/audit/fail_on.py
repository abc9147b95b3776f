"""The outcomes an audit fails on, as `billability audit --fail-on` names them.

In: the option's text, a comma list of outcomes (`not_billable,invalid`), or None.
Out: the outcomes it names, each once, in its order; `Problems` located at the option
when it names none or one that is no outcome of the audit (`outcomes.OUTCOMES`).
"""

from __future__ import annotations

from billability.audit.outcomes import OUTCOMES
from billability.model.diagnostics import Diagnostic, Location, Problems, hint_for, one_of


def failing_outcomes(text: str | None) -> tuple[str, ...]:
    """The outcomes `--fail-on` names (none without the option)."""
    if text is None:
        return ()
    where = Location(f"option --fail-on `{text}`")
    chosen = tuple(dict.fromkeys(word.strip() for word in text.split(",") if word.strip()))
    problems = [
        Diagnostic("cli.fail-on", f"`{word}` is not an outcome", where, hint=hint_for(word, OUTCOMES))
        for word in chosen
        if word not in OUTCOMES
    ]
    if not chosen:
        hint = "name one or more outcomes, separated by commas; " + one_of(OUTCOMES)
        problems.append(Diagnostic("cli.fail-on", "no outcome is named", where, hint=hint))
    if problems:
        raise Problems(problems)
    return chosen
