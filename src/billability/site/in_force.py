"""Which version of the policy the staff site describes, and which versions are coming.

In: a policy folder (its current version and its released versions, read by
`policy.versions.load_versions`) and the day the site is built.
Out: `SiteVersions`: every version oldest first; `shown`, the version in force on the
build day (the first version when none is in force yet), which every page but the
checker and What changed describes; `upcoming`, the versions that take effect after
the build day, each with the version it follows; and `corpus_folders`, the corpus the
shown version is checked against (the corpus's own files for the current version,
`corpus/releases/VERSION/` for a released one), so the site's examples are the cases
of the version it shows.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from billability.model.resources import corpus_dir, policy_dir
from billability.policy.compiled import Policy
from billability.policy.source import RELEASES
from billability.policy.versions import PolicyVersions, effective_date, load_versions


@dataclass(frozen=True, slots=True)
class SiteVersions:
    """The versions of the policy as the site on `today` presents them."""

    versions: PolicyVersions
    shown: Policy
    today: datetime.date

    @property
    def all(self) -> tuple[Policy, ...]:
        return self.versions.versions

    @property
    def upcoming(self) -> tuple[tuple[Policy, Policy], ...]:
        """Each version that takes effect after `today`, oldest first, with the version
        before it (the one whose answers it changes)."""
        found = []
        for index, policy in enumerate(self.all):
            if index > 0 and policy is not self.shown and effective_date(policy) > self.today:
                found.append((self.all[index - 1], policy))
        return tuple(found)

    @property
    def shows_current(self) -> bool:
        return self.shown is self.versions.current

    def corpus_folders(self, corpus_paths: Sequence[str | Path] | None) -> list[Path]:
        """The corpus the shown version is checked against: `corpus_paths` (no paths: the
        bundled corpus) for the current version, their `releases/VERSION/` for a released one."""
        roots = [Path(path) for path in corpus_paths] if corpus_paths else [corpus_dir()]
        if self.shows_current:
            return roots
        return [root / RELEASES / self.shown.version for root in roots]

    def until(self, policy: Policy) -> str | None:
        """The last day `policy` is in force (the day before the next version's), or None for the latest."""
        index = next(at for at, version in enumerate(self.all) if version is policy)
        if index + 1 == len(self.all):
            return None
        return (effective_date(self.all[index + 1]) - datetime.timedelta(days=1)).isoformat()


def site_versions(policy_path: str | Path | None = None, today: datetime.date | None = None) -> SiteVersions:
    """The versions of the policy at `policy_path` (no path: the bundled policy) as the site
    built on `today` (no day: the computer's date) presents them; raises `Problems` when a
    version does not compile or the versions disagree on their order."""
    day = today if today is not None else datetime.date.today()
    versions = load_versions(Path(policy_path) if policy_path is not None else policy_dir())
    return SiteVersions(versions, versions.in_force(day) or versions.first, day)
