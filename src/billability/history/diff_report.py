"""Say what a policy change does: a `PolicyDiff` as text for the terminal and as
Markdown for a pull-request comment.

In: a `diff.PolicyDiff`.
Out: text, or Markdown whose first line marks the comment (so a workflow can update it).
Each group of scenarios is worded as the site's What changed page words a change
(`changes.scenario_words`: the activity, then the other facts by their labels; "Not
billable → Needs review"), with the facts and values as the policy files name them
beneath, for programmers: `{activity: advocacy, contact_mode: email}`.
"""

from __future__ import annotations

from collections.abc import Sequence

from billability.decide.regions import Restriction
from billability.history.changes import lower_first, scenario_words, transition_text
from billability.history.diff import PolicyDiff
from billability.history.joint_regions import OutcomeChange
from billability.history.renames import Rename
from billability.model.diagnostics import counted
from billability.model.policy import Outcome, Value
from billability.policy.compiled import Policy
from billability.policy.wording import OUTCOME_WORDS, md

RENAMES_BREAK = (
    "breaking for callers and data mappings: scenarios, exports and mappings that use an old name stop working"
)
COUNTED = "a fact counts where it is asked"
PARTIAL = "with some answers not known"


def diff_text(diff: PolicyDiff) -> str:
    lines = [f"policy diff {diff.base} -> {diff.head}"]
    if diff.renames:
        lines.append(f"renamed ({RENAMES_BREAK}):")
        lines += [f"  - {_rename_text(rename, markdown=False)}" for rename in diff.renames]
    under = " (compared under the renames)" if diff.renames else ""
    if diff.outcome_changes:
        lines.append(
            f"outcomes change in {diff.changed_combinations} of {counted(diff.combinations, 'combination')} of answers "
            f"({COUNTED}), in {_groups(diff.outcome_changes)}{under}:"
        )
        lines += _group_lines(diff, diff.outcome_changes)
    elif diff.undetermined_changes:
        lines.append(f"no scenario with every answer given changes outcome{under}")
    else:
        lines.append(f"no scenario changes outcome{under}")
    if diff.undetermined_changes:
        lines.append(f"{PARTIAL}, outcomes go to or from undetermined in {_groups(diff.undetermined_changes)}:")
        lines += _group_lines(diff, diff.undetermined_changes)
    if diff.version_note:
        lines.append(f"warning: {diff.version_note}")
    lines += _sections(diff, markdown=False)
    lines.append(_corpus_summary(diff, markdown=False))
    return "\n".join(lines)


def diff_markdown(diff: PolicyDiff) -> str:
    """A pull-request comment (its first line marks it, so a workflow can update it)."""
    lines = [
        "<!-- billability-diff -->",
        f"### Policy diff: `{diff.base}` → `{diff.head}`",
        "",
    ]
    if diff.version_note:
        lines += ["> [!WARNING]", f"> {diff.version_note[0].upper()}{diff.version_note[1:]}.", ""]
    if diff.renames:
        lines += [
            "> [!WARNING]",
            f"> **Renamed**: {RENAMES_BREAK}.",
            ">",
            *(f"> - {_rename_text(rename, markdown=True)}" for rename in diff.renames),
            "",
        ]
    under = " Compared under the renames." if diff.renames else ""
    if diff.outcome_changes:
        lines += [
            f"**{diff.changed_combinations}** of {counted(diff.combinations, 'combination')} of answers change outcome "
            f"({COUNTED}; whole numbers are shown as ranges).{under}",
            "",
            *_table(diff, diff.outcome_changes),
        ]
    elif diff.undetermined_changes:
        lines.append(f"No scenario with every answer given changes outcome.{under}")
    else:
        lines.append(f"No scenario changes outcome.{under}")
    if diff.undetermined_changes:
        lines += [
            "",
            "<details>",
            f"<summary>{PARTIAL[0].upper()}{PARTIAL[1:]}, outcomes go to or from undetermined in "
            f"{_groups(diff.undetermined_changes)}</summary>",
            "",
            *_table(diff, diff.undetermined_changes),
            "",
            "</details>",
        ]
    sections = _sections(diff, markdown=True)
    if sections:
        lines += ["", *sections]
    lines += ["", _corpus_summary(diff, markdown=True)]
    return "\n".join(lines)


# --- a group of scenarios ------------------------------------------------------------------


def _groups(changes: Sequence[OutcomeChange]) -> str:
    return counted(len(changes), "group")


def _group_lines(diff: PolicyDiff, changes: Sequence[OutcomeChange]) -> list[str]:
    lines = []
    for change in changes:
        words = _words(diff, change.restrictions)
        lines.append(f"  - {words}: {transition_text(change.before, change.after)}  [{_count(diff, change)}]")
        lines.append(f"      {identifiers(change.restrictions)}")
    return lines


def _table(diff: PolicyDiff, changes: Sequence[OutcomeChange]) -> list[str]:
    lines = ["| scenarios | before | after | how many |", "|---|---|---|---|"]
    for change in changes:
        words = md(_words(diff, change.restrictions)).replace("|", "\\|")
        names = identifiers(change.restrictions).replace("|", "\\|")
        lines.append(
            f"| {words}<br>`{names}` | {_outcome_words(change.before)} | {_outcome_words(change.after)} "
            f"| {_count(diff, change)} |"
        )
    return lines


def _words(diff: PolicyDiff, restrictions: Sequence[Restriction]) -> str:
    if diff.policies is None:
        return identifiers(restrictions)
    base, head = diff.policies
    return scenario_words(restrictions, head, base)


def _outcome_words(outcome: Outcome | None) -> str:
    return "no such scenario" if outcome is None else OUTCOME_WORDS[outcome]


def _count(diff: PolicyDiff, change: OutcomeChange) -> str:
    text = counted(change.combinations, "combination")
    for fact, span in change.numbers:
        text += f" x {counted(span, 'value')} of {_label(diff.policies, fact)}"
    return text


def _label(policies: tuple[Policy, Policy] | None, fact: str) -> str:
    for policy in reversed(policies or ()):
        if fact in policy.fact_index:
            return lower_first(policy.fact_index[fact].label)
    return fact


def identifiers(restrictions: Sequence[Restriction]) -> str:
    """A group as the policy files name its facts and values, in the flow style of a
    rule's `when:` (a blank fact is `null`): `{activity: advocacy, contact_mode: [email, null]}`."""
    return "{" + ", ".join(f"{r.fact}: {_yaml(r)}" for r in restrictions) + "}"


def _yaml(restriction: Restriction) -> str:
    if restriction.integer and restriction.values != (None,):
        low, high = restriction.low, restriction.high
        if low is not None and low == high:
            return str(low)
        bounds = [f"at_least: {low}"] if low is not None else []
        bounds += [f"at_most: {high}"] if high is not None else []
        return "{" + ", ".join(bounds) + "}"
    shown = [_scalar(value) for value in restriction.values]
    return shown[0] if len(shown) == 1 else "[" + ", ".join(shown) + "]"


def _scalar(value: Value | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- the rest of the report ----------------------------------------------------------------


def _rename_text(rename: Rename, markdown: bool) -> str:
    def code(text: str) -> str:
        return f"`{text}`" if markdown else text

    arrow = "→" if markdown else "->"
    if rename.fact is None:
        names = f"fact {code(rename.old)} {arrow} {code(rename.new)}"
    elif markdown:
        names = f"value {code(f'{rename.fact}: {rename.old}')} {arrow} {code(f'{rename.fact}: {rename.new}')}"
    else:
        names = f"value {rename.fact}: {rename.old} {arrow} {rename.new}"
    return f"{names} ({rename.location})" if rename.location else names


def _corpus_summary(diff: PolicyDiff, markdown: bool) -> str:
    def code(text: str) -> str:
        return f"`{text}`" if markdown else text

    if diff.corpus is None:
        return f"No corpus run against {code(diff.head)}." if markdown else f"no corpus run against {diff.head}"
    failed = len(diff.failing_cases)
    text = f"{code(diff.corpus)} against {code(diff.head)}: {diff.cases_run - failed} passed, {failed} failed"
    removed = sum(1 for case in diff.case_changes if case.change == "removed")
    added = len(diff.case_changes) - removed
    if diff.case_changes:
        text += f"; {counted(removed, 'case')} removed, {added} added"
    if diff.corpus_problems:
        text += ", and some files do not load"
    return f"Corpus {text}." if markdown else text


def _sections(diff: PolicyDiff, markdown: bool) -> list[str]:
    bullet, detail = ("- ", "  - ") if markdown else ("  - ", "      ")

    def heading(title: str) -> str:
        return f"\n#### {title[0].upper()}{title[1:]}\n" if markdown else f"{title}:"

    def code(text: str) -> str:
        return f"`{text}`" if markdown else text

    lines: list[str] = []
    if diff.settings:
        lines.append(heading("policy settings"))
        lines += [f"{bullet}{setting}" for setting in diff.settings]
    if diff.facts:
        lines.append(heading("facts"))
        for fact in diff.facts:
            details = f": {', '.join(fact.details)}" if fact.details else ""
            lines.append(f"{bullet}{fact.change} {code(fact.fact)}{details} ({fact.location})")
    if diff.rules:
        lines.append(heading("rules"))
        for rule in diff.rules:
            fields = f": {', '.join(rule.fields)}" if rule.fields else ""
            lines.append(f"{bullet}{rule.change} {code(rule.rule)}{fields} ({rule.location})")
    if diff.failing_cases:
        lines.append(heading("corpus cases that fail with the change"))
        for case in diff.failing_cases:
            already = " (failed before the change too)" if case.failed_before else ""
            lines.append(f"{bullet}{case.location}: {case.name}{already}")
            lines += [f"{detail}{difference}" for difference in case.differences]
    for change, title in (
        ("removed", "corpus cases removed (what they pinned is no longer checked)"),
        ("added", "corpus cases added"),
    ):
        cases = [case for case in diff.case_changes if case.change == change]
        if cases:
            lines.append(heading(title))
            lines += [f"{bullet}{case.location}: {case.name}" for case in cases]
    if diff.corpus_problems:
        lines.append(heading("corpus files that do not load"))
        indent = "\n" + " " * len(bullet)
        lines += [f"{bullet}{problem.render().replace(chr(10), indent)}" for problem in diff.corpus_problems]
    return lines
