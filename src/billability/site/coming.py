"""The versions that take effect after the site is built, and the answers each changes.

In: the site's versions (`in_force.SiteVersions`) and the titles of the topics the site
has pages for.
Out: `Coming` (an upcoming version, the version it follows and the answers it changes,
compared by `history.changes.changes_between`, as What changed compares versions);
`coming_notice`, the home page's "Coming on DATE" notice with the first answers that
change and a link to the whole list; `coming_sections`, What changed's section for each
upcoming version. Both word the changes as What changed does (`change_words.change_lines`).
The comparison needs no git: the versions are the policy's released snapshots and its
working copy.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from billability.history.changes import Changes, changes_between
from billability.policy.compiled import Policy
from billability.policy.source import RELEASES
from billability.policy.wording import md
from billability.site.change_words import change_lines
from billability.site.in_force import SiteVersions
from billability.site.layout import CHANGES, HOME, anchor, relative

# The most answers the home page's notice lists; What changed lists them all (up to its own limit).
NOTICE_STATEMENTS = 3


@dataclass(frozen=True, slots=True)
class Coming:
    """A version that takes effect after the build day, and what it changes from `base`."""

    base: Policy
    head: Policy
    changes: Changes
    current: bool  # the working copy (not a released snapshot)

    @property
    def title(self) -> str:
        return f"Coming on {self.head.effective_from}: version {self.head.version}"

    @property
    def anchor(self) -> str:
        return anchor(f"coming {self.head.version}")

    @property
    def listing(self) -> str:
        """The command a maintainer lists every change with."""
        base = f"policy/{RELEASES}/{self.base.version}"
        return (
            f"billability diff {base}"
            if self.current
            else f"billability diff {base} policy/{RELEASES}/{self.head.version}"
        )


def coming_changes(site: SiteVersions) -> tuple[Coming, ...]:
    """Each upcoming version, oldest first, with the answers it changes from the version before it."""
    return tuple(
        Coming(base, head, changes_between(base, head), head is site.versions.current) for base, head in site.upcoming
    )


def coming_notice(
    comings: tuple[Coming, ...], topics: Mapping[str, str], present: Collection[str] = (), here: str = HOME
) -> list[str]:
    """The home page's notice for each upcoming version: its day, the first answers it
    changes, and a link to them all on What changed (when the site has that page)."""
    lines: list[str] = []
    for coming in comings:
        body = [
            f"From {md(coming.head.effective_from)}, answers follow version {md(coming.head.version)} "
            f"instead of version {md(coming.base.version)}.",
            "",
            *_changed(coming, topics, NOTICE_STATEMENTS),
        ]
        if CHANGES in present:
            body += [
                f"[Every answer version {md(coming.head.version)} changes]({relative(here, CHANGES)}#{coming.anchor})",
                "",
            ]
        lines += [f'!!! info "{coming.title}"', "", *(f"    {line}" if line else "" for line in body)]
    return lines


def coming_sections(comings: tuple[Coming, ...], topics: Mapping[str, str]) -> list[str]:
    """What changed's section for each upcoming version, the latest first."""
    lines: list[str] = []
    for coming in reversed(comings):
        lines += [
            f"## {coming.title} {{ #{coming.anchor} }}",
            "",
            f"Version {md(coming.head.version)} takes effect on {md(coming.head.effective_from)}; until then, "
            f"answers follow version {md(coming.base.version)}. Compared with version {md(coming.base.version)}:",
            "",
            *_changed(coming, topics),
        ]
    return lines


def _changed(coming: Coming, topics: Mapping[str, str], most: int | None = None) -> list[str]:
    changes = coming.changes
    if changes.problem is not None:
        return [f"These two versions cannot be compared answer by answer: {md(changes.problem)}.", ""]
    if not changes.statements:
        return ["No answer changes" + (" (only wording changes)." if changes.reworded else "."), ""]
    if most is None:
        return change_lines(changes, coming.head, topics, coming.listing)
    return change_lines(changes, coming.head, topics, None, most)
