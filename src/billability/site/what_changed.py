"""The What changed page: each version of the policy, newest first, with the answers
it changed from the version before it, in the words staff read on the site.

In: the policy folder the site is built from (inside a git clone, or not), its
compiled policy (the working tree's), the version the site shows and the versions
coming after the build day (`coming.Coming`).
Out: `history_pages` ({"changes.md": Markdown}, for `site.build_pages`) and
`changes_page` (that Markdown). The versions come from `versions.read_history`, the
changes between neighbours from `changes.changes_between`, worded by
`change_words.change_lines`.

The page: a section for each version coming after the build day ("Coming on DATE"),
compared from the policy's released versions with no git; the working tree's
uncommitted edits, as unreleased changes, when they change some answer; then each
version in force or past with its effective date and at most `MAX_STATEMENTS`
changes, each linking its topic page; a note for commits left out because their policy
does not compile. Outside a git clone, or in a shallow one, the history says how to get
it; it never stops the build. Comparisons are cached in memory by the pair of commits
(the working tree by its files' contents).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from billability.history.changes import Changes, changes_between, rename_text
from billability.history.versions import NO_COMMITS, SHALLOW, Release, forget_commits, read_history
from billability.model.policy import Outcome
from billability.model.resources import policy_dir
from billability.policy.compiled import Policy
from billability.policy.wording import badge, md, review_note
from billability.site.change_words import MAX_STATEMENTS, change_lines
from billability.site.coming import Coming, coming_sections
from billability.site.layout import CHANGES

__all__ = ["MAX_STATEMENTS", "changes_page", "forget_history", "history_pages"]

_compared: dict[tuple[str, str], Changes] = {}


def forget_history() -> None:
    """Empty the in-memory caches of compiled commits and comparisons (for timing a cold build)."""
    _compared.clear()
    forget_commits()


def history_pages(
    policy_path: str | Path | None, policy: Policy, shown: Policy | None = None, coming: Sequence[Coming] = ()
) -> dict[str, str]:
    """The What changed page by path, for `site.build_pages` (no path: the bundled policy)."""
    folder = Path(policy_path) if policy_path is not None else policy_dir()
    return {CHANGES: changes_page(folder, policy, shown, coming)}


def changes_page(
    policy_folder: Path, policy: Policy, shown: Policy | None = None, coming: Sequence[Coming] = ()
) -> str:
    """The What changed page for the policy folder; `policy` is the folder's working tree,
    `shown` the version the site describes (by default `policy`), `coming` the versions
    that take effect after the build day: each has its section first, and is left out of
    the history below."""
    described = shown or policy
    history = read_history(policy_folder, policy)
    lines = [
        "# What changed",
        "",
        "Each version of the policy, newest first, with the answers it changed "
        "from the version before it. An activity not listed under a version got the same answer as before.",
        "",
    ]
    if described.version:
        lines += [
            f"This site shows version {md(described.version)}, effective from {md(described.effective_from)}.",
            "",
        ]
    topics = {topic.name: topic.title for topic in described.topics}
    lines += coming_sections(tuple(coming), topics)
    if history.unavailable is not None:
        return "\n".join([*lines, *_unavailable(history.unavailable)])
    releases = history.releases
    upcoming = {entry.head.version for entry in coming}
    if history.unreleased is not None:
        newest = releases[-1]
        section = _section(newest, history.unreleased, topics)
        if section:
            numbered = history.unreleased.version
            lines += ["## Unreleased changes", ""]
            lines += [
                "These edits to the policy are not committed yet: a preview, not in effect"
                + (
                    f" (they will be version {md(numbered)})"
                    if numbered is not None and numbered != newest.version
                    else ""
                )
                + f". Compared with {_name(newest, releases)}:",
                "",
                *section,
            ]
    for index in range(len(releases) - 1, -1, -1):
        release = releases[index]
        if release.version in upcoming:
            continue  # its section above lists what it changes
        name = _name(release, releases)
        lines += [f"## {name[:1].upper()}{name[1:]}", ""]
        if release.version is None:
            lines += [f"The policy as it stood before versions were numbered (last changed {release.date}).", ""]
        elif release.effective_from is not None:
            lines += [f"Effective from {md(release.effective_from)}.", ""]
        if index == 0:
            lines += ["This is the earliest state in the history: there is nothing before it to compare with.", ""]
            continue
        previous = releases[index - 1]
        lines += [f"Compared with {_name(previous, releases)}:", ""]
        lines += _section(previous, release, topics) or ["No answer changed.", ""]
    if history.skipped:
        lines += ['!!! note "Left out of this history"', ""]
        for skipped in history.skipped:
            lines += [
                f"    - Commit {skipped.commit[:7]} ({skipped.date}): its policy does not compile "
                f"({md(skipped.problem)}).",
            ]
        lines += [""]
    if any(badge(Outcome.NEEDS_REVIEW) in line for line in lines):
        # Staff who read that an activity now needs review learn at once whom to ask.
        lines[lines.index("") + 1 : lines.index("") + 1] = review_note(described)
    return "\n".join(lines)


def _name(release: Release, releases: Sequence[Release]) -> str:
    """How the page names a state: "version 1.1", "the policy before version 1.0"."""
    if release.version is not None:
        return f"version {md(release.version)}"
    later = [r.version for r in releases if r.version is not None and releases.index(r) > releases.index(release)]
    return f"the policy before version {md(later[0])}" if later else "the policy before versions were numbered"


def _section(base: Release, head: Release, topics: Mapping[str, str]) -> list[str]:
    """The changes from `base` to `head` as lines of the page. For the working tree
    (no commit), nothing when no answer changed: only answers make a preview worth showing."""
    changes = _changes(base, head)
    if changes.problem is not None:
        return [f"These two cannot be compared answer by answer: {md(changes.problem)}.", ""]
    statements = changes.statements
    if not statements:
        if not head.commit:
            return []
        if changes.renames and changes.base is not None:
            renamed = "; ".join(md(rename_text(r, head.policy, changes.base)) for r in changes.renames)
            return [f"Renamed {renamed} (no answer changed).", ""]
        return ["No answer changed" + (" (only wording changed)." if changes.reworded else "."), ""]
    what = f"{base.commit[:7]} {head.commit[:7]}" if head.commit else base.commit[:7]
    return change_lines(changes, head.policy, topics, f"billability diff {what}", MAX_STATEMENTS)


def _changes(base: Release, head: Release) -> Changes:
    key = (base.commit, head.commit or head.fingerprint)
    if key not in _compared:
        _compared[key] = changes_between(base.policy, head.policy)
    return _compared[key]


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
