"""The What changed page: each version of the policy, newest first, with the outcomes
that changed against the version before it, in the words staff read on the site.

In: the policy folder the site is built from (inside a git checkout, or not) and its
compiled policy (the working tree's, as the site shows it).
Out: `history_pages` ({"changes.md": Markdown}), `changes_page` (that Markdown), and
the stages behind them: `read_history` (the versions in git), `compare` (the outcome
changes between two policies as `Statement`s) and `statement_text`.

Versions: the commits that touched the policy folder, following first parents from
HEAD, oldest to newest; each commit carries the `version` of its `policy.yaml`. A
version's content is the last commit carrying it (the one before it, when that one
does not compile). Commits from before the policy had a `version` are one earlier,
unversioned state, compared like any other; they are compiled with placeholder values
for the metadata the schema now requires. A commit whose policy does not compile is
skipped with a note. Uncommitted edits of the policy folder, when they change some
outcome against the newest commit, show first as unreleased changes.

Outcome changes come from `diff.diff_policies` (renames read as renames), then each
changed region is widened for staff: a fact's restriction is dropped whenever every
scenario the wider region adds either makes the same change or was not billable and
still is. So "Warm hand-off by voicemail: Billable -> Not billable" leaves out the
conditions that already made a hand-off not billable (a provider who may not bill,
no progress note), which go without saying, and keeps every condition that tells the
change apart from answers that stayed Billable or Needs review.

Outside a git checkout, or in a shallow clone, the page says how to get the history;
it never stops the build. Compiled commits and comparisons are cached in memory by
commit, so `mkdocs serve` rebuilds only pay for git's listing of the commits.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from billability.compile import load_policy
from billability.diagnostics import Problems
from billability.diff import diff_policies
from billability.model import Fact, FactType, Outcome, Policy, Value
from billability.regions import Judge, Leaf, Restriction, Settled, Space, Verdict, decision_judge, partition, space_of
from billability.renames import Rename, renamed_policy
from billability.resources import policy_dir, schema_dir
from billability.revisions import relocated
from billability.source import read_yaml

CHANGES = "changes.md"
# The most outcome changes one version lists; the rest are counted.
MAX_STATEMENTS = 8

# As the topic pages name the outcomes.
OUTCOME_WORDS = {
    Outcome.BILLABLE: "Billable",
    Outcome.NOT_BILLABLE: "Not billable",
    Outcome.NEEDS_REVIEW: "Needs review",
    Outcome.UNDETERMINED: "Undetermined",
}

# Values for the `policy:` fields the schema requires of a commit written before
# they existed; never shown, since an unversioned state is named "before version ...".
_PLACEHOLDERS = {
    "version": '"0"',
    "effective_from": '"2000-01-01"',
    "source_document": '{title: "-", publisher: "-", date: "2000-01-01"}',
    "review": '{team: "-", how: "-"}',
}


# --- the versions in git -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Release:
    """A state of the policy: a numbered version (`version` None: before versions were
    numbered) or the working tree's uncommitted edits (`commit` empty)."""

    version: str | None
    effective_from: str | None
    commit: str
    date: str
    policy: Policy
    fingerprint: str = ""  # the working tree's: its policy files' contents, hashed


@dataclass(frozen=True, slots=True)
class Skipped:
    """A commit left out because its policy does not compile; `problem` is its first diagnostic."""

    commit: str
    date: str
    problem: str


@dataclass(frozen=True, slots=True)
class History:
    """The releases oldest first, or `unavailable` saying why git cannot give them."""

    releases: tuple[Release, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    unavailable: str | None = None
    unreleased: Release | None = None


NOT_A_CHECKOUT = "not-a-checkout"
SHALLOW = "shallow"
NO_COMMITS = "no-commits"

_compiled: dict[tuple[str, str], Policy | str] = {}
_compared: dict[tuple[str, str], Comparison] = {}


def read_history(policy_folder: Path, policy: Policy) -> History:
    """The versions of the policy folder in its git repository, and `policy` (the working
    tree's) as unreleased when the folder has uncommitted edits that change an outcome."""
    folder = policy_folder.resolve()
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top is None:
        return History(unavailable=NOT_A_CHECKOUT)
    if _git(folder, "rev-parse", "--is-shallow-repository") == "true":
        return History(unavailable=SHALLOW)
    prefix = _git(folder, "rev-parse", "--show-prefix") or ""
    listing = _git(folder, "log", "--first-parent", "--reverse", "--format=%H %cs", "--", ".")
    commits = [tuple(line.split(" ", 1)) for line in (listing or "").splitlines() if line]
    if not commits:
        return History(unavailable=NO_COMMITS)
    metadata = _metadata_at(folder, [commit for commit, _ in commits], prefix)
    # Each version's commits, newest first, in the order of each version's last commit.
    groups: dict[str | None, list[tuple[str, str]]] = {}
    for commit, date in commits:
        version = metadata[commit][0]
        groups.setdefault(version, []).insert(0, (commit, date))
    order = sorted(groups, key=lambda version: _last_index(commits, groups[version][0][0]))
    releases: list[Release] = []
    skipped: list[Skipped] = []
    for version in order:
        for commit, date in groups[version]:
            compiled = _compile_at(str(top), folder, commit, prefix)
            if isinstance(compiled, str):
                skipped.append(Skipped(commit, date, compiled))
                continue
            releases.append(Release(version, metadata[commit][1], commit, date, compiled))
            break
    skipped.sort(key=lambda s: _last_index(commits, s.commit))
    unreleased = None
    if releases and _git(folder, "status", "--porcelain", "--", "."):
        version, effective = _metadata_of(_read(folder / "policy.yaml"))
        unreleased = Release(version, effective, "", "", policy, _fingerprint(folder))
    return History(tuple(releases), tuple(skipped), None, unreleased)


def _last_index(commits: Sequence[tuple[str, ...]], commit: str) -> int:
    return next(i for i, entry in enumerate(commits) if entry[0] == commit)


def _git(folder: Path, *arguments: str, given: bytes | None = None) -> str | None:
    """Git's output in `folder`, stripped, or None when git fails or is not installed."""
    try:
        done = subprocess.run(["git", *arguments], cwd=folder, input=given, capture_output=True, check=False)
    except OSError:
        return None
    return done.stdout.decode("utf-8", "replace").strip() if done.returncode == 0 else None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _metadata_at(folder: Path, commits: Sequence[str], prefix: str) -> dict[str, tuple[str | None, str | None]]:
    """Each commit's `policy.version` and `policy.effective_from`, read in one git call."""
    wanted = "".join(f"{commit}:{prefix}policy.yaml\n" for commit in commits).encode()
    try:
        done = subprocess.run(
            ["git", "cat-file", "--batch"], cwd=folder, input=wanted, capture_output=True, check=False
        )
    except OSError:  # pragma: no cover - git answered the calls before this one
        return {commit: (None, None) for commit in commits}
    found: dict[str, tuple[str | None, str | None]] = {}
    out = done.stdout
    position = 0
    for commit in commits:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        position = end + 1
        if len(header) != 3:  # "<name> missing": no policy.yaml at that commit
            found[commit] = (None, None)
            continue
        size = int(header[2])
        found[commit] = _metadata_of(out[position : position + size].decode("utf-8", "replace"))
        position += size + 1
    return found


def _metadata_of(text: str) -> tuple[str | None, str | None]:
    try:
        data = read_yaml(text, "policy.yaml").data
    except Problems:
        return None, None
    section = data.get("policy") if isinstance(data, dict) else None
    if not isinstance(section, dict):
        return None, None
    version, effective = section.get("version"), section.get("effective_from")
    return (
        version if isinstance(version, str) and version else None,
        effective if isinstance(effective, str) and effective else None,
    )


def _compile_at(top: str, folder: Path, commit: str, prefix: str) -> Policy | str:
    """The policy folder at `commit`, compiled, or its first problem as one line."""
    key = (top, commit)
    if key not in _compiled:
        _compiled[key] = _compile_fresh(folder, commit, prefix)
    return _compiled[key]


def _compile_fresh(folder: Path, commit: str, prefix: str) -> Policy | str:
    path = prefix.rstrip("/") or "."
    try:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit, "--", "."], cwd=folder, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return f"git cannot read `{path}` at this commit"
    label = f"{commit[:7]}:{prefix}"
    with tempfile.TemporaryDirectory(prefix="billability-") as temporary:
        root = Path(temporary) / "policy"
        root.mkdir()
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(root, filter="data")
            else:  # pragma: no cover
                tar.extractall(root)
        # `git archive` run inside the folder keeps the folder's own path in its names.
        inner = root / prefix if (root / prefix).is_dir() and prefix else root
        policy_file = inner / "policy.yaml"
        if policy_file.is_file():
            policy_file.write_text(_with_placeholders(_read(policy_file)), encoding="utf-8")
        prefixes = {f"{inner}/", f"{inner.resolve()}/"}
        try:
            return relocated(load_policy(inner), prefixes, label)
        except Problems as error:
            first = relocated(error.diagnostics[0], prefixes, label)
            return f"{first.location}: {first.message}" if first.location else first.message


def _with_placeholders(text: str) -> str:
    """`policy.yaml` with a placeholder for each `policy:` field the schema requires and
    the text lacks (commits written before the field existed)."""
    schema = json.loads((schema_dir() / "policy-file.schema.json").read_text(encoding="utf-8"))
    required = schema.get("properties", {}).get("policy", {}).get("required", [])
    try:
        data = read_yaml(text, "policy.yaml").data
    except Problems:
        return text
    section = data.get("policy") if isinstance(data, dict) else None
    if not isinstance(section, dict):
        return text
    missing = [name for name in required if name not in section and name in _PLACEHOLDERS]
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"policy:\s*(#.*)?$", line)), None)
    if not missing or start is None:
        return text
    following = next((line for line in lines[start + 1 :] if line.strip() and not line.lstrip().startswith("#")), "")
    indent = following[: len(following) - len(following.lstrip())] or "  "
    added = [f"{indent}{name}: {_PLACEHOLDERS[name]}\n" for name in missing]
    return "".join([*lines[: start + 1], *added, *lines[start + 1 :]])


# --- what changed between two states, widened for staff ------------------------------------


@dataclass(frozen=True, slots=True)
class Statement:
    """Every scenario meeting `restrictions` that had `before` now has `after` (None:
    not a scenario that side can state)."""

    restrictions: tuple[Restriction, ...]
    before: Outcome | None
    after: Outcome | None


@dataclass(frozen=True, slots=True)
class Comparison:
    """`base` is the earlier policy in the later one's names; `problem` says why the two
    cannot be compared (then nothing else is set)."""

    statements: tuple[Statement, ...] = ()
    renames: tuple[Rename, ...] = ()
    reworded: bool = False
    base: Policy | None = None
    problem: str | None = None


def compare(base: Policy, head: Policy) -> Comparison:
    """The outcome changes from `base` to `head` as few, wide statements, in question order."""
    try:
        diff = diff_policies(base, head)
    except Problems as error:
        return Comparison(problem=error.diagnostics[0].message)
    renamed = renamed_policy(base, diff.renames)
    reworded = bool(diff.rules or diff.facts or diff.settings)
    if not diff.outcome_changes:
        return Comparison((), diff.renames, reworded, renamed)
    space = space_of(renamed, head)
    leaves = partition(space, _pair_judge(renamed, head))
    statements = [
        _widened(space, leaves, Statement(change.restrictions, change.before, change.after))
        for change in diff.outcome_changes
    ]
    return Comparison(_merged(space, leaves, statements, head), diff.renames, reworded, renamed)


def _pair_judge(base: Policy, head: Policy) -> Judge:
    before, after = decision_judge(base, deciding_rules=False), decision_judge(head, deciding_rules=False)

    def judge(scenario: Mapping[str, Value]) -> Verdict:
        first, second = before(scenario), after(scenario)
        if isinstance(first, Settled) and isinstance(second, Settled):
            return Settled((_outcome(first), _outcome(second)))
        pending: frozenset[str] = frozenset()
        for verdict in (first, second):
            if not isinstance(verdict, Settled):
                pending |= verdict
        return pending

    return judge


def _outcome(verdict: Settled) -> Outcome | None:
    return None if verdict.key is None else verdict.key[0]  # type: ignore[index]


def _holds(leaves: Iterable[Leaf], statement: Statement) -> bool:
    """Whether every scenario of the statement's region either makes its change or was
    not billable and still is: staff read the conditions that made an activity not
    billable as going without saying, and nothing else."""
    for leaf in leaves:
        change = leaf.key
        if change == (statement.before, statement.after) or change == (Outcome.NOT_BILLABLE, Outcome.NOT_BILLABLE):
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
    subject = _subject_fact(head)
    topics: dict[Value, str | None] = (
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
    values = [piece.value for piece in space.pieces[restriction.fact]]
    return min(values.index(v) for v in restriction.values)


def _union(
    space: Space, first: Statement, second: Statement, subject: str | None, topics: Mapping[Value, str | None]
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
    """The scenarios of a change: the activity, then the other facts in parentheses."""
    facts = {**(base.fact_index if base is not None else {}), **head.fact_index}
    subject_fact = _subject_fact(head)
    subject = ""
    qualifiers = []
    for restriction in statement.restrictions:
        fact = facts[restriction.fact]
        if fact.name == subject_fact:
            subject = _subject_text(fact, restriction, base)
        else:
            qualifiers.append(_qualifier_text(fact, restriction, base))
    if subject:
        return subject + (f" ({'; '.join(qualifiers)})" if qualifiers else "")
    if qualifiers:
        return _capital("; ".join(qualifiers))
    return "Every case"


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


def _subject_fact(policy: Policy) -> str | None:
    """The fact whose values name the topics (the activity): the subject of each sentence."""
    for fact in policy.facts:
        if fact.type is FactType.ENUM and any(value.topic for value in fact.values):
            return fact.name
    return None


def _subject_text(fact: Fact, restriction: Restriction, base: Policy | None) -> str:
    labels = [_label_of(fact, value, base) for value in restriction.values]
    others = [v for v in _all_values(fact, base) if v not in restriction.values]
    if others and len(others) <= len(labels) // 2:
        return f"Any {_lower(fact.label)} but " + _joined([_lower(_label_of(fact, v, base)) for v in others])
    return _capital(_joined([labels[0], *(_lower(label) for label in labels[1:])]))


def _qualifier_text(fact: Fact, restriction: Restriction, base: Policy | None) -> str:
    name = _lower(fact.label)
    if restriction.integer:
        return f"{name}: {_range_text(fact, restriction)}"
    if fact.type is FactType.BOOLEAN:
        return f"{name}: {'yes' if restriction.values == (True,) else 'no'}"
    labels = [_lower(_label_of(fact, value, base)) for value in restriction.values]
    others = [v for v in _all_values(fact, base) if v not in restriction.values]
    if others and len(others) <= len(labels) // 2:
        return f"{name}: anything but " + _joined([_lower(_label_of(fact, v, base)) for v in others])
    return f"{name}: {_joined(labels)}"


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


def _lower(text: str) -> str:
    """Lower-case the first letter, unless the word is an abbreviation (`LPHA`, `SUD`)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- the page ------------------------------------------------------------------------------------


def history_pages(policy_path: str | Path | None, policy: Policy) -> dict[str, str]:
    """The What changed page by path, for `site.build_pages` (no path: the bundled policy)."""
    folder = Path(policy_path) if policy_path is not None else policy_dir()
    return {CHANGES: changes_page(folder, policy)}


def changes_page(policy_folder: Path, policy: Policy) -> str:
    """The What changed page for the policy folder; `policy` is the folder's working tree."""
    history = read_history(policy_folder, policy)
    version, effective = _metadata_of(_read(policy_folder / "policy.yaml"))
    lines = [
        "# What changed",
        "",
        "Each version of the policy, newest first, with the answers it changed "
        "from the version before it. An activity not listed under a version got the same answer as before.",
        "",
    ]
    if version is not None:
        lines += [f"This site shows version {_md(version)}" + _effective(effective, ", effective from ") + ".", ""]
    if history.unavailable is not None:
        return "\n".join([*lines, *_unavailable(history.unavailable)])
    releases = history.releases
    topics = {topic.name: topic.title for topic in policy.topics}
    if history.unreleased is not None:
        newest = releases[-1]
        section = _section(newest, history.unreleased, policy, topics)
        if section:
            shown = history.unreleased.version
            lines += ["## Unreleased changes", ""]
            lines += [
                "These edits to the policy are not committed yet: a preview, not in effect"
                + (f" (they will be version {_md(shown)})" if shown is not None and shown != newest.version else "")
                + f". Compared with {_name(newest, releases)}:",
                "",
                *section,
            ]
    for index in range(len(releases) - 1, -1, -1):
        release = releases[index]
        lines += [f"## {_capital(_name(release, releases))}", ""]
        if release.version is None:
            lines += [f"The policy as it stood before versions were numbered (last changed {release.date}).", ""]
        elif release.effective_from is not None:
            lines += [f"Effective from {_md(release.effective_from)}.", ""]
        if index == 0:
            lines += ["This is the earliest state in the history: there is nothing before it to compare with.", ""]
            continue
        previous = releases[index - 1]
        lines += [f"Compared with {_name(previous, releases)}:", ""]
        lines += _section(previous, release, policy, topics) or ["No answer changed.", ""]
    if history.skipped:
        lines += ['!!! note "Left out of this history"', ""]
        for skipped in history.skipped:
            lines += [
                f"    - Commit {skipped.commit[:7]} ({skipped.date}): its policy does not compile "
                f"({_md(skipped.problem)}).",
            ]
        lines += [""]
    return "\n".join(lines)


def _effective(effective: str | None, words: str) -> str:
    return f"{words}{_md(effective)}" if effective is not None else ""


def _name(release: Release, releases: Sequence[Release]) -> str:
    """How the page names a state: "version 1.1", "the policy before version 1.0"."""
    if release.version is not None:
        return f"version {_md(release.version)}"
    later = [r.version for r in releases if r.version is not None and releases.index(r) > releases.index(release)]
    return f"the policy before version {_md(later[0])}" if later else "the policy before versions were numbered"


def _section(base: Release, head: Release, page_policy: Policy, topics: Mapping[str, str]) -> list[str]:
    """The list of changes from `base` to `head`; empty when no answer changed and nothing was renamed."""
    comparison = _comparison(base, head)
    if comparison.problem is not None:
        return [f"These two cannot be compared answer by answer: {_md(comparison.problem)}.", ""]
    statements = comparison.statements
    if not statements:
        if comparison.renames and comparison.base is not None:
            renamed = "; ".join(_md(rename_text(r, head.policy, comparison.base)) for r in comparison.renames)
            return [f"Renamed {renamed} (no answer changed).", ""]
        if head.commit:
            return ["No answer changed" + (" (only wording changed)." if comparison.reworded else "."), ""]
        return []
    lines = []
    for statement in statements[:MAX_STATEMENTS]:
        lines.append(
            f"- {_statement_markdown(statement, head.policy, comparison.base)}{_link(statement, head, topics)}"
        )
    hidden = len(statements) - MAX_STATEMENTS
    if hidden > 0:
        what = f"{base.commit[:7]} {head.commit[:7]}" if head.commit else base.commit[:7]
        lines.append(
            f"- …and {hidden} more change{'s' if hidden != 1 else ''} "
            f"(a maintainer can list them all with `billability diff {what}`)."
        )
    return [*lines, ""]


def _statement_markdown(statement: Statement, head: Policy, base: Policy | None) -> str:
    return f"{_md(scenario_text(statement, head, base))}: {_transition_markdown(statement.before, statement.after)}."


def _transition_markdown(before: Outcome | None, after: Outcome | None) -> str:
    if before is None and after is not None:
        return f"{_badge(after)} (a new answer)"
    if after is None and before is not None:
        return f"no longer an answer (was {_badge(before)})"
    if before is not None and after is not None:
        return f"{_badge(before)} → {_badge(after)}"
    return "no answer"  # pragma: no cover - a change has an answer on one side at least


def _link(statement: Statement, head: Release, topics: Mapping[str, str]) -> str:
    """A link to the topic page when every activity the change names sits in one topic."""
    subject = _subject_fact(head.policy)
    restriction = next((r for r in statement.restrictions if r.fact == subject), None)
    if restriction is None:
        return ""
    fact = head.policy.fact_index[restriction.fact]
    found = {value.topic for value in fact.values if value.name in restriction.values}
    if len(found) != 1:
        return ""
    topic = found.pop()
    if topic is None or topic not in topics:
        return ""
    return f" See [{_md(topics[topic])}](topics/{topic.replace('_', '-')}.md)."


def _comparison(base: Release, head: Release) -> Comparison:
    key = (base.commit, head.commit or head.fingerprint)
    if key not in _compared:
        _compared[key] = compare(base.policy, head.policy)
    return _compared[key]


def _fingerprint(folder: Path) -> str:
    """The policy folder's files, hashed, so that the same uncommitted edits are compared once."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            continue
        digest.update(b"\0")
    return digest.hexdigest()


def _unavailable(reason: str) -> list[str]:
    if reason == SHALLOW:
        return [
            "The history of the policy is not available here: the site was built from a shallow clone, "
            "which holds only the latest commits. Run `git fetch --unshallow` in the clone (in a "
            "workflow, check out with `fetch-depth: 0`) and build the site again.",
            "",
        ]
    if reason == NO_COMMITS:
        return ["The policy has no commits yet, so there is no history to show.", ""]
    return [
        "The history of the policy is not available here: the site was built from files outside a "
        "git clone (an unpacked archive, for example). Build it from a clone of the repository with "
        "its full history (`git clone`, or `git fetch --unshallow` in a shallow clone) to see what "
        "changed in each version.",
        "",
    ]


def _badge(outcome: Outcome) -> str:
    return f'<span class="outcome outcome-{outcome.value.replace("_", "-")}">{OUTCOME_WORDS[outcome]}</span>'


def _md(text: str) -> str:
    """Text shown as written: HTML and Markdown markup characters escaped."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for mark in ("\\", "`", "*", "_", "[", "]"):
        escaped = escaped.replace(mark, "\\" + mark)
    return escaped
