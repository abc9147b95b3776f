"""What a change to the policy does: the exact scenarios whose outcome changes.

In: two compiled policies, BASE and HEAD, or two `Side`s (`revisions.read_side`:
the working tree, a folder or a git revision, each with its corpus).
Out: a `PolicyDiff`: the facts and values renamed; the groups of scenarios whose
outcome changes, each a readable condition with the outcome before and after; the
rules and facts added, removed or changed; the corpus cases that HEAD fails, the
cases removed from the corpus or added to it (by name, BASE's corpus against HEAD's),
and the corpus files of either side that do not load; and its text and Markdown
renderings.

Renames first: BASE is translated into HEAD's names (`renames.renamed_policy`)
before anything is compared, so a pure rename changes no outcome and no rule, and
is reported once, as a rename.

How scenarios are counted: enum and boolean facts are finite, so a group counts the
combinations of their values it holds. A whole-number fact has no upper end, so it is
not counted but stated as a range in the group's condition ("days_since_discharge is
31 to 45"); when that range is bounded the group also says how many whole numbers it
spans, so combinations x numbers gives the scenarios. A value or fact that only one
side declares is a scenario only that side can decide: the other side shows "no such
scenario".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from billability.corpus import Case, run_case
from billability.diagnostics import Diagnostic, Location, Problems, ScenarioError
from billability.model import Always, Condition, Fact, Outcome, Policy, Rule, Value
from billability.regions import Judge, Restriction, Settled, Space, Verdict, decision_judge, partition, space_of
from billability.renames import Rename, find_renames, renamed_policy
from billability.revisions import Side

# --- what changed --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutcomeChange:
    """Every complete scenario meeting `restrictions` went from `before` to `after`
    (None: not a scenario that side's policy can state)."""

    restrictions: tuple[Restriction, ...]
    before: Outcome | None
    after: Outcome | None
    combinations: int

    @property
    def condition(self) -> str:
        return "; ".join(r.sentence for r in self.restrictions) or "every scenario"

    @property
    def transition(self) -> str:
        return f"{_outcome_text(self.before)} -> {_outcome_text(self.after)}"

    @property
    def numbers(self) -> tuple[tuple[str, int], ...]:
        """For each whole-number fact held to a bounded range: how many numbers it spans."""
        return tuple(
            (r.fact, r.high - r.low + 1)
            for r in self.restrictions
            if r.integer and r.low is not None and r.high is not None
        )

    @property
    def count(self) -> str:
        text = f"{self.combinations} combination{'s' if self.combinations != 1 else ''}"
        for fact, span in self.numbers:
            text += f" x {span} values of {fact}"
        return text


def _outcome_text(outcome: Outcome | None) -> str:
    return "no such scenario" if outcome is None else str(outcome)


@dataclass(frozen=True, slots=True)
class RuleChange:
    rule: str
    change: str  # added, removed or changed
    fields: tuple[str, ...]
    location: Location | None


@dataclass(frozen=True, slots=True)
class FactChange:
    fact: str
    change: str  # added, removed or changed
    details: tuple[str, ...]
    location: Location | None


@dataclass(frozen=True, slots=True)
class CaseFailure:
    """A corpus case HEAD fails; `failed_before` when BASE failed it as well."""

    location: Location
    name: str
    differences: tuple[str, ...]
    failed_before: bool


@dataclass(frozen=True, slots=True)
class CaseChange:
    """A corpus case only one side has: `removed` (BASE's corpus has a case of that
    name, HEAD's has none; located in BASE's files) or `added`."""

    location: Location
    name: str
    change: str  # added or removed


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    """`corpus` names HEAD's corpus as shown (None: no corpus was run), and
    `cases_run` how many of its cases loaded and ran."""

    base: str
    head: str
    renames: tuple[Rename, ...]
    outcome_changes: tuple[OutcomeChange, ...]
    combinations: int
    changed_combinations: int
    settings: tuple[str, ...]
    facts: tuple[FactChange, ...]
    rules: tuple[RuleChange, ...]
    corpus: str | None = None
    cases_run: int = 0
    failing_cases: tuple[CaseFailure, ...] = ()
    corpus_problems: tuple[Diagnostic, ...] = ()
    case_changes: tuple[CaseChange, ...] = ()
    # The policy's declared version on each side (`policy.yaml`'s `version`).
    versions: tuple[str, str] = ("", "")

    @property
    def outcomes_change(self) -> bool:
        return bool(self.outcome_changes)

    @property
    def version_note(self) -> str | None:
        """A reminder when outcomes change and the version staff see stays the same."""
        before, after = self.versions
        if not self.outcome_changes or before != after:
            return None
        return (
            f"outcomes change but the version is still {before}: raise `version` in policy.yaml, "
            "so staff and saved decisions can tell the two apart"
        )

    @property
    def corpus_loads(self) -> bool:
        return not self.corpus_problems


def diff_sides(base: Side, head: Side, compare_corpora: bool = True) -> PolicyDiff:
    """Compare the two sides' policies, run HEAD's corpus with HEAD, and collect the
    corpus files of either side that do not load. With `compare_corpora` (HEAD's corpus
    is its own, not one given in its place) and both corpora loading whole, list the
    cases removed and added."""
    diff = diff_policies(base.policy, head.policy, base.label, head.label)
    failing = _failing_cases(renamed_policy(base.policy, diff.renames), head.policy, head.cases)
    compared = compare_corpora and all(side.corpus is not None and not side.problems for side in (base, head))
    return dataclasses.replace(
        diff,
        corpus=head.corpus,
        cases_run=len(head.cases),
        failing_cases=failing,
        corpus_problems=tuple(sorted((*base.problems, *head.problems), key=Diagnostic.sort_key)),
        case_changes=_case_changes(base.cases, head.cases) if compared else (),
    )


def _case_changes(before: Iterable[Case], after: Iterable[Case]) -> tuple[CaseChange, ...]:
    """The cases, by name, only one corpus has: the removed ones first, each in file order."""
    old = {case.name: case for case in before}
    new = {case.name: case for case in after}
    removed = [CaseChange(case.location, case.name, "removed") for name, case in old.items() if name not in new]
    added = [CaseChange(case.location, case.name, "added") for name, case in new.items() if name not in old]
    return tuple(removed + added)


def diff_policies(base: Policy, head: Policy, base_label: str = "base", head_label: str = "head") -> PolicyDiff:
    """Compare two policies over their joint input space, BASE read in HEAD's names."""
    renames = find_renames(base, head)
    base = renamed_policy(base, renames)
    _check_fact_types(base, head)
    space = space_of(base, head)
    changes = []
    for leaf in partition(space, pair_judge(base, head)):
        if leaf.key is None:
            continue
        assert isinstance(leaf.key, tuple)
        before: Outcome | None = leaf.key[0]
        after: Outcome | None = leaf.key[1]
        changes.append(OutcomeChange(leaf.restrictions, before, after, space.combinations(leaf.restrictions)))
    return PolicyDiff(
        base=base_label,
        head=head_label,
        renames=renames,
        outcome_changes=tuple(changes),
        combinations=space.combinations(()),
        changed_combinations=_changed_combinations(space, changes),
        settings=_settings(base, head),
        facts=_fact_changes(base, head),
        rules=_rule_changes(base, head),
        versions=(base.version, head.version),
    )


def pair_judge(base: Policy, head: Policy, unchanged_together: bool = True) -> Judge:
    """A judge of the pair of outcomes (BASE's, HEAD's) a scenario gets; with
    `unchanged_together`, unchanged scenarios share one key (None), so that they merge
    into few large regions."""
    before, after = decision_judge(base, deciding_rules=False), decision_judge(head, deciding_rules=False)

    def judge(scenario: Mapping[str, Value]) -> Verdict:
        first, second = before(scenario), after(scenario)
        if isinstance(first, Settled) and isinstance(second, Settled):
            if unchanged_together and first.key == second.key:
                return Settled(None)
            return Settled((_outcome(first), _outcome(second)))
        pending: frozenset[str] = frozenset()
        for verdict in (first, second):
            if not isinstance(verdict, Settled):
                pending |= verdict
        return pending

    return judge


def _changed_combinations(space: Space, changes: Sequence[OutcomeChange]) -> int:
    """How many combinations of the enum and boolean facts change for some whole number.
    Groups that differ only in a whole-number range share their combinations, so the
    groups' counts are not simply added: the finite facts are partitioned once more."""
    boxes = [tuple(r for r in change.restrictions if not r.integer) for change in changes]

    def judge(scenario: Mapping[str, Value]) -> Verdict:
        pending: set[str] = set()
        for box in boxes:
            if any(r.fact in scenario and not r.contains(scenario[r.fact]) for r in box):
                continue
            open_facts = {r.fact for r in box if r.fact not in scenario}
            if not open_facts:
                return Settled(True)
            pending |= open_facts
        return frozenset(pending) if pending else Settled(False)

    return sum(space.combinations(leaf.restrictions) for leaf in partition(space, judge) if leaf.key is True)


def _outcome(verdict: Settled) -> Outcome | None:
    if verdict.key is None:
        return None
    assert isinstance(verdict.key, tuple)
    outcome: Outcome = verdict.key[0]
    return outcome


def _check_fact_types(base: Policy, head: Policy) -> None:
    declared = base.fact_index
    problems = [
        Diagnostic(
            "diff.fact-type-changed",
            f"`{fact.name}` was {declared[fact.name].type} and is now {fact.type}, so their scenarios cannot be compared",
            fact.location,
            hint="give the new meaning a new fact name, and remove the old fact",
        )
        for fact in head.facts
        if fact.name in declared and declared[fact.name].type is not fact.type
    ]
    if problems:
        raise Problems(problems)


def _settings(base: Policy, head: Policy) -> tuple[str, ...]:
    found = []
    if base.version != head.version:
        found.append(f"version: {base.version} -> {head.version}")
    if base.effective_from != head.effective_from:
        found.append(f"effective from: {base.effective_from} -> {head.effective_from}")
    if base.precedence != head.precedence:
        found.append(f"precedence: {', '.join(base.precedence)} -> {', '.join(head.precedence)}")
    if base.default_outcome is not head.default_outcome:
        found.append(f"default outcome: {base.default_outcome} -> {head.default_outcome}")
    if base.default_reason != head.default_reason:
        found.append("default reason reworded")
    return tuple(found)


_RULE_FIELDS = (
    ("title", "title"),
    ("topic", "topic"),
    ("outcome", "outcome"),
    ("when", "when"),
    ("reason", "reason"),
    ("quotes", "source"),
)


def _rule_changes(base: Policy, head: Policy) -> tuple[RuleChange, ...]:
    before: dict[str, Rule] = {rule.id: rule for rule in base.rules}
    after: dict[str, Rule] = {rule.id: rule for rule in head.rules}
    found = []
    for rule_id in sorted(before.keys() | after.keys()):
        old, new = before.get(rule_id), after.get(rule_id)
        if old is None and new is not None:
            found.append(RuleChange(rule_id, "added", (), new.location))
        elif new is None and old is not None:
            found.append(RuleChange(rule_id, "removed", (), old.location))
        elif old is not None and new is not None:
            fields = tuple(shown for name, shown in _RULE_FIELDS if getattr(old, name) != getattr(new, name))
            if fields:
                found.append(RuleChange(rule_id, "changed", fields, new.location))
    return tuple(found)


def _fact_changes(base: Policy, head: Policy) -> tuple[FactChange, ...]:
    before, after = base.fact_index, head.fact_index
    found = []
    for name in [*before, *(n for n in after if n not in before)]:
        old, new = before.get(name), after.get(name)
        if old is None and new is not None:
            found.append(FactChange(name, "added", (), new.location))
        elif new is None and old is not None:
            found.append(FactChange(name, "removed", (), old.location))
        elif old is not None and new is not None:
            details = _fact_details(old, new)
            if details:
                found.append(FactChange(name, "changed", details, new.location))
    return tuple(found)


def _fact_details(old: Fact, new: Fact) -> tuple[str, ...]:
    details = [f"value `{v}` added" for v in new.value_names if v not in old.value_names]
    details += [f"value `{v}` removed" for v in old.value_names if v not in new.value_names]
    labels = {v.name: v for v in old.values}
    details += [f"value `{v.name}` relabelled" for v in new.values if v.name in labels and labels[v.name] != v]
    for name in ("label", "question", "minimum", "maximum"):
        if getattr(old, name) != getattr(new, name):
            details.append(f"{name} changed")
    if not _same_condition(old.relevant_when, new.relevant_when):
        details.append("relevant_when changed")
    return tuple(details)


def _same_condition(old: Condition, new: Condition) -> bool:
    # `always` carries its location in comparisons; where it was written is not a change.
    if isinstance(old, Always) and isinstance(new, Always):
        return True
    return old == new


def _failing_cases(base: Policy, head: Policy, cases: Iterable[Case]) -> tuple[CaseFailure, ...]:
    """HEAD's failing cases; `base` is BASE in HEAD's names, so a case written for HEAD
    can say whether it failed before the change too."""
    failures: list[CaseFailure] = []
    for case in cases:
        result = run_case(head, case)
        if result.passed:
            continue
        try:
            failed_before = not run_case(base, case).passed
        except ScenarioError:
            failed_before = True
        failures.append(CaseFailure(case.location, case.name, result.differences, failed_before))
    return tuple(failures)


# --- rendering ---------------------------------------------------------------------------


RENAMES_BREAK = (
    "breaking for callers and data mappings: scenarios, exports and mappings that use an old name stop working"
)


def diff_text(diff: PolicyDiff) -> str:
    lines = [f"policy diff {diff.base} -> {diff.head}"]
    if diff.renames:
        lines.append(f"renamed ({RENAMES_BREAK}):")
        lines += [f"  - {_rename_text(rename, markdown=False)}" for rename in diff.renames]
    under = " (compared under the renames)" if diff.renames else ""
    if diff.outcome_changes:
        lines.append(
            f"outcomes change in {diff.changed_combinations} of {diff.combinations} combinations of the enum and "
            f"yes/no facts, in {len(diff.outcome_changes)} group{'s' if len(diff.outcome_changes) != 1 else ''}"
            f"{under}:"
        )
        for change in diff.outcome_changes:
            lines.append(f"  - {change.condition}: {change.transition}  [{change.count}]")
    else:
        lines.append(f"no scenario changes outcome{under}")
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
            f"**{diff.changed_combinations}** of {diff.combinations} combinations of the enum and yes/no facts "
            f"change outcome (whole numbers are shown as ranges).{under}",
            "",
            "| scenarios | before | after | how many |",
            "|---|---|---|---|",
        ]
        for change in diff.outcome_changes:
            condition = change.condition.replace("|", "\\|")
            lines.append(
                f"| {condition} | {_outcome_text(change.before)} | {_outcome_text(change.after)} | {change.count} |"
            )
    else:
        lines.append(f"No scenario changes outcome.{under}")
    sections = _sections(diff, markdown=True)
    if sections:
        lines += ["", *sections]
    lines += ["", _corpus_summary(diff, markdown=True)]
    return "\n".join(lines)


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
        text += f"; {removed} case{'s' if removed != 1 else ''} removed, {added} added"
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
