"""What changed between two policies, in the words staff read on the site.

In: two compiled policies, BASE (earlier) and HEAD (later).
Out: `Changes`: the outcome changes as few, wide `Statement`s in question order,
the renames, and whether anything else (wording, quotes) changed; `statement_text` and
`rename_text` say them with the facts' and values' labels: "Calling a provider (how the
contact was made: video call): Needs review → Not billable". `scenario_words` says any
set of restrictions so (`diff_report` words the diff's groups with it), a fact left
blank as "not known".

The changes come from one partition of the two policies (`joint_regions`: renames
read as renames, so a pure rename changes nothing; the regions read with every fact
answered, joined as the diff joins its groups, without counting them), then
each changed region is widened for staff: a fact's restriction is dropped whenever
every scenario the wider region adds either makes the same change or was not billable
and still is. So "Warm hand-off by voicemail: Billable → Not billable" leaves out the
conditions that already made a hand-off not billable (a provider who may not bill, no
progress note), which go without saying, and keeps every condition that tells the
change apart from answers that stayed Billable or Needs review. Statements of the same change that differ in one fact's values are joined,
except activities of different topics, so that each sentence can link its topic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from billability.decide.regions import Leaf, Restriction, Space
from billability.decide.scenario import truth
from billability.history.diff import fact_changes, rule_changes
from billability.history.joint_regions import changed_regions, joined_regions, joint_regions
from billability.history.renames import Rename
from billability.model.diagnostics import Problems
from billability.model.policy import Fact, FactType, Outcome, Value
from billability.policy.compiled import Policy
from billability.policy.wording import OUTCOME_WORDS


# As the topic pages name the outcomes.
@dataclass(frozen=True, slots=True)
class Statement:
    """Every scenario meeting `restrictions` that had `before` now has `after` (None:
    not a scenario that side can state)."""

    restrictions: tuple[Restriction, ...]
    before: Outcome | None
    after: Outcome | None


@dataclass(frozen=True, slots=True)
class Changes:
    """`base` is the earlier policy in the later one's names; `problem` says why the two
    cannot be compared (then nothing else is set)."""

    statements: tuple[Statement, ...] = ()
    renames: tuple[Rename, ...] = ()
    reworded: bool = False
    base: Policy | None = None
    problem: str | None = None


def changes_between(base: Policy, head: Policy) -> Changes:
    """The outcome changes from `base` to `head` as few, wide statements, in question order."""
    try:
        joint = joint_regions(base, head)
    except Problems as error:
        return Changes(problem=error.diagnostics[0].message)
    renamed = joint.base  # BASE read in HEAD's names
    # Wording: rules, facts or the default's reason; a new version number alone is not.
    reworded = bool(
        rule_changes(renamed, head) or fact_changes(renamed, head) or base.default_reason != head.default_reason
    )
    changed = joined_regions(joint.space, changed_regions(joint), blanks=False)
    if not changed:
        return Changes((), joint.renames, reworded, renamed)
    statements = [
        _widened(joint.space, joint.complete, Statement(restrictions, before, after))
        for restrictions, before, after in changed
    ]
    return Changes(_merged(joint.space, joint.complete, statements, head), joint.renames, reworded, renamed)


def _holds(leaves: Iterable[Leaf], statement: Statement) -> bool:
    """Whether every scenario of the statement's region either makes its change or was
    not billable and still is: staff read the conditions that made an activity not
    billable as going without saying, and nothing else. A new or removed answer (one
    side None) says nothing of the scenarios around it: they must all make it."""
    kept = {(statement.before, statement.after)}
    if statement.before is not None and statement.after is not None:
        kept.add((Outcome.NOT_BILLABLE, Outcome.NOT_BILLABLE))
    for leaf in leaves:
        if leaf.key in kept:
            continue
        if _meet(leaf.restrictions, statement.restrictions):
            return False
    return True


def _meet(first: Sequence[Restriction], second: Sequence[Restriction]) -> bool:
    """Whether two regions share a scenario."""
    other = {r.fact: r for r in second}
    for mine in first:
        theirs = other.get(mine.fact)
        if theirs is None:
            continue
        if mine.integer:
            lows = [b for b in (mine.low, theirs.low) if b is not None]
            highs = [b for b in (mine.high, theirs.high) if b is not None]
            if lows and highs and max(lows) > min(highs):
                return False
        elif not set(mine.values) & set(theirs.values):
            return False
    return True


def _widened(space: Space, leaves: Sequence[Leaf], statement: Statement) -> Statement:
    """The statement with every restriction dropped that it still holds without: later
    questions first, so the activity and what was done stay as long as they matter."""
    rank = {name: i for i, name in enumerate(space.facts)}
    current = statement
    for restriction in sorted(statement.restrictions, key=lambda r: -rank[r.fact]):
        wider = Statement(tuple(r for r in current.restrictions if r != restriction), current.before, current.after)
        if _holds(leaves, wider):
            current = wider
    return current


def _merged(
    space: Space, leaves: Sequence[Leaf], statements: Sequence[Statement], head: Policy
) -> tuple[Statement, ...]:
    """The statements without repeats or statements another one covers, those that differ
    in the values of one fact joined into one, in question order."""
    subject = subject_fact(head)
    topics: dict[Value | None, str | None] = (
        {value.name: value.topic for value in head.fact_index[subject].values} if subject is not None else {}
    )
    found = list(dict.fromkeys(statements))
    joined = True
    while joined:
        joined = False
        for i, first in enumerate(found):
            for second in found[i + 1 :]:
                union = _union(space, first, second, subject, topics)
                if union is not None:
                    found = [s for s in found if s not in (first, second)] + [_widened(space, leaves, union)]
                    joined = True
                    break
            if joined:
                break
    kept = [s for s in found if not any(other is not s and _covers(other, s) for other in found)]
    rank = {name: i for i, name in enumerate(space.facts)}

    def order(statement: Statement) -> tuple[tuple[int, int], ...]:
        return tuple(
            (rank[r.fact], (r.low or 0) if r.integer else _first_piece(space, r)) for r in statement.restrictions
        )

    return tuple(sorted(kept, key=lambda s: (order(s), str(s.before), str(s.after))))


def _first_piece(space: Space, restriction: Restriction) -> int:
    values: list[Value | None] = [piece.value for piece in space.pieces[restriction.fact]]
    return min(values.index(v) for v in restriction.values)


def _union(
    space: Space, first: Statement, second: Statement, subject: str | None, topics: Mapping[Value | None, str | None]
) -> Statement | None:
    """One statement for two of the same change that differ only in one enum or yes/no fact."""
    if (first.before, first.after) != (second.before, second.after):
        return None
    mine, theirs = {r.fact: r for r in first.restrictions}, {r.fact: r for r in second.restrictions}
    if mine.keys() != theirs.keys():
        return None
    differing = [name for name in mine if mine[name] != theirs[name]]
    if len(differing) != 1 or mine[differing[0]].integer:
        return None
    name = differing[0]
    if name == subject and len({topics.get(v) for v in (*mine[name].values, *theirs[name].values)}) > 1:
        return None  # activities of different topics stay apart, each sentence with its topic's link
    values = set(mine[name].values) | set(theirs[name].values)
    ordered = tuple(piece.value for piece in space.pieces[name] if piece.value in values)
    # A fact that may now be anything is no restriction at all.
    restrictions = tuple(
        Restriction(name, ordered) if r.fact == name else r
        for r in first.restrictions
        if r.fact != name or len(ordered) < space.size(name)
    )
    return Statement(restrictions, first.before, first.after)


def _covers(wide: Statement, narrow: Statement) -> bool:
    if (wide.before, wide.after) != (narrow.before, narrow.after):
        return False
    inner = {r.fact: r for r in narrow.restrictions}
    for restriction in wide.restrictions:
        other = inner.get(restriction.fact)
        if other is None:
            return False
        if restriction.integer:
            if not (_at_most(restriction.low, other.low) and _at_least(restriction.high, other.high)):
                return False
        elif not set(other.values) <= set(restriction.values):
            return False
    return True


def _at_most(low: int | None, other: int | None) -> bool:
    return low is None or (other is not None and low <= other)


def _at_least(high: int | None, other: int | None) -> bool:
    return high is None or (other is not None and high >= other)


# --- staff words -----------------------------------------------------------------------------


def statement_text(statement: Statement, head: Policy, base: Policy | None = None) -> str:
    """One change as staff read it: "Activity (another fact: its values): Before → After"."""
    return f"{scenario_text(statement, head, base)}: {transition_text(statement.before, statement.after)}"


def scenario_text(statement: Statement, head: Policy, base: Policy | None = None) -> str:
    """The scenarios of a change: the activity ("Any activity" when it does not matter),
    then the other facts in parentheses."""
    return scenario_words(statement.restrictions, head, base)


def scenario_words(restrictions: Sequence[Restriction], head: Policy, base: Policy | None = None) -> str:
    """Scenarios as staff read them, the activity first: "Calling a provider (how the
    contact was made: video call)". A fact left blank (a restriction that holds None,
    in a partial scenario) is "not known"."""
    facts = {**(base.fact_index if base is not None else {}), **head.fact_index}
    subject_name = subject_fact(head)
    subject = ""
    qualifiers = []
    for restriction in restrictions:
        fact = facts[restriction.fact]
        if fact.name == subject_name:
            subject = _subject_text(fact, restriction, base)
        elif not _implied(restriction, restrictions, facts):
            qualifiers.append(_qualifier_text(fact, restriction, base))
    if not subject:
        subject = f"Any {lower_first(facts[subject_name].label)}" if subject_name is not None else "Every case"
    return subject + (f" ({'; '.join(qualifiers)})" if qualifiers else "")


def _implied(restriction: Restriction, restrictions: Sequence[Restriction], facts: Mapping[str, Fact]) -> bool:
    """Whether another fact of the change is asked only when this restriction holds
    ("days since discharge" only after discharge), so that naming it says nothing more.
    A fact left blank is always said."""
    if restriction.integer or restriction.blank:
        return False
    fact = facts[restriction.fact]
    others: list[Value] = [True, False] if fact.type is FactType.BOOLEAN else list(fact.value_names)
    outside = [value for value in others if value not in restriction.values]
    return any(
        other.fact != restriction.fact
        and all(truth(facts[other.fact].relevant_when, {restriction.fact: value}) is False for value in outside)
        for other in restrictions
    )


def transition_text(before: Outcome | None, after: Outcome | None) -> str:
    if before is None:
        return f"{OUTCOME_WORDS[after]} (a new answer)" if after is not None else "no answer"
    if after is None:
        return f"no longer an answer (was {OUTCOME_WORDS[before]})"
    return f"{OUTCOME_WORDS[before]} → {OUTCOME_WORDS[after]}"


def rename_text(rename: Rename, head: Policy, base: Policy) -> str:
    """A rename by the labels staff see; when the label stayed, only the name in the
    policy files changed."""
    # `base` is already in the new names: its fact and value are found under them.
    if rename.fact is None:
        old, new = base.fact_index[rename.new].label, head.fact_index[rename.new].label
        return f"“{old}” to “{new}”" if old != new else f"“{new}” in the policy files only"
    label = head.fact_index[rename.fact].label
    old = _value_label(base.fact_index.get(rename.fact), rename.new)
    new = _value_label(head.fact_index[rename.fact], rename.new)
    return f"{label} “{old}” to “{new}”" if old != new else f"{label} “{new}” in the policy files only"


def subject_fact(policy: Policy) -> str | None:
    """The fact whose values name the topics (the activity): the subject of each sentence."""
    for fact in policy.facts:
        if fact.type is FactType.ENUM and any(value.topic for value in fact.values):
            return fact.name
    return None


NOT_KNOWN = "not known"


def _subject_text(fact: Fact, restriction: Restriction, base: Policy | None) -> str:
    known = [value for value in restriction.values if value is not None]
    if not known:
        return f"{fact.label} {NOT_KNOWN}"
    labels = [_label_of(fact, value, base) for value in known]
    others = [v for v in _all_values(fact, base) if v not in known]
    if others and len(others) <= len(labels) // 2:
        text = f"Any {lower_first(fact.label)} but " + _joined([lower_first(_label_of(fact, v, base)) for v in others])
    else:
        text = _capital(_joined([labels[0], *(lower_first(label) for label in labels[1:])]))
    return f"{text}, or {lower_first(fact.label)} {NOT_KNOWN}" if restriction.blank else text


def _qualifier_text(fact: Fact, restriction: Restriction, base: Policy | None) -> str:
    name = lower_first(fact.label)
    known = [value for value in restriction.values if value is not None]
    blank = [NOT_KNOWN] if restriction.blank else []
    if not known and not restriction.integer:
        return f"{name}: {NOT_KNOWN}"
    if restriction.integer:
        return f"{name}: {NOT_KNOWN if restriction.blank else _range_text(fact, restriction)}"
    if fact.type is FactType.BOOLEAN:
        return f"{name}: {_joined(['yes' if value else 'no' for value in known] + blank)}"
    labels = [lower_first(_label_of(fact, value, base)) for value in known]
    others = [v for v in _all_values(fact, base) if v not in known]
    if others and len(others) <= len(labels) // 2:
        but = "anything but " + _joined([lower_first(_label_of(fact, v, base)) for v in others])
        return f"{name}: {but}, or {NOT_KNOWN}" if blank else f"{name}: {but}"
    return f"{name}: {_joined(labels + blank)}"


def _range_text(fact: Fact, restriction: Restriction) -> str:
    low, high = restriction.low, restriction.high
    if low is not None and high is not None and low == high:
        return str(low)
    if high is not None and (low is None or low == fact.minimum):
        return f"{high} or fewer"
    if high is None and low is not None:
        return f"{low} or more"
    return f"{low} to {high}"


def _all_values(fact: Fact, base: Policy | None) -> list[Value]:
    older = base.fact_index.get(fact.name) if base is not None else None
    names = [*fact.value_names, *(older.value_names if older is not None else ())]
    return list(dict.fromkeys(names))


def _label_of(fact: Fact, value: Value, base: Policy | None) -> str:
    if value in fact.value_names:
        return _value_label(fact, value)
    return _value_label(base.fact_index.get(fact.name) if base is not None else None, value)


def _value_label(fact: Fact | None, value: Value) -> str:
    if fact is not None:
        for candidate in fact.values:
            if candidate.name == value:
                return candidate.label
    return str(value)


def _joined(words: Sequence[str]) -> str:
    if len(words) == 1:
        return words[0]
    # Labels that hold a comma or an "or" of their own are kept apart by a comma each.
    last = ", or " if any("," in word or " or " in word for word in words) else " or "
    return ", ".join(words[:-1]) + last + words[-1]


def lower_first(text: str) -> str:
    """Lower-case the first letter, unless the word is an abbreviation (`LPHA`, `SUD`)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
