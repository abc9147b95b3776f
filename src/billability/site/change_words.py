"""How the staff site words an answer that changed between two versions of the policy.

In: the `Changes` between two policies (`history.changes.changes_between`), the later
policy and the titles of the topics the site has pages for.
Out: `change_lines`: Markdown list items, one per outcome change ("Counselor, call with
a provider, by video: Needs review → Billable."), each linking its topic page, the rest
counted. What changed (`what_changed`) and the notices of coming versions (`coming`)
word changes with it, so staff read a change the same way wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping

from billability.history.changes import Changes, Statement, scenario_text, subject_fact
from billability.model.diagnostics import counted
from billability.model.policy import Outcome
from billability.policy.compiled import Policy
from billability.policy.wording import badge, md
from billability.site.placement import topic_path

# The most outcome changes one list shows; the rest are counted.
MAX_STATEMENTS = 8


def change_lines(
    changes: Changes, head: Policy, topics: Mapping[str, str], listing: str | None, most: int = MAX_STATEMENTS
) -> list[str]:
    """At most `most` of the outcome changes as a Markdown list (ending with a blank line),
    each linking its topic page when the site has it; the rest counted, with the command
    `listing` that lists them all (if any). The page they sit on is at the site's top level."""
    lines = [
        f"- {_statement_markdown(statement, head, changes.base)}{_link(statement, head, topics)}"
        for statement in changes.statements[:most]
    ]
    hidden = len(changes.statements) - most
    if hidden > 0:
        more = f" (a maintainer can list them all with `{listing}`)" if listing else ""
        lines.append(f"- …and {counted(hidden, 'more change')}{more}.")
    return [*lines, ""]


def _statement_markdown(statement: Statement, head: Policy, base: Policy | None) -> str:
    return f"{md(scenario_text(statement, head, base))}: {_transition_markdown(statement.before, statement.after)}."


def _transition_markdown(before: Outcome | None, after: Outcome | None) -> str:
    if before is None and after is not None:
        return f"{badge(after)} (a new answer)"
    if after is None and before is not None:
        return f"no longer an answer (was {badge(before)})"
    if before is not None and after is not None:
        return f"{badge(before)} → {badge(after)}"
    return "no answer"  # pragma: no cover - a change has an answer on one side at least


def _link(statement: Statement, head: Policy, topics: Mapping[str, str]) -> str:
    """A link to the topic page when every activity the change names sits in one topic."""
    subject = subject_fact(head)
    restriction = next((r for r in statement.restrictions if r.fact == subject), None)
    if restriction is None:
        return ""
    fact = head.fact_index[restriction.fact]
    found = {value.topic for value in fact.values if value.name in restriction.values}
    if len(found) != 1:
        return ""
    topic = found.pop()
    if topic is None or topic not in topics:
        return ""
    return f" See [{md(topics[topic])}]({topic_path(topic)})."
