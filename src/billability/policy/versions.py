"""Every version of a policy, and the one in force on a day.

In: a policy folder: its own files are the current version (the working copy a
maintainer edits), and its top-level `releases/` holds one folder per released version,
each a whole policy folder written by `billability release` with a `SHA256SUMS` file.
Out: `PolicyVersions`: the compiled versions oldest first by `effective_from`, the
current one last. `in_force(day)` is the version whose `effective_from` is the latest on
or before the day (None before the first); `evaluate(facts, on=day)` decides by it; the
current version decides when no day is given. `release_problems` says what a reviewer
must know before a version can be trusted: a released version edited after its release,
or the current version changed without raising its number (what its files say, not
their comments or layout).

A version is kept as a snapshot rather than as dates on each rule so that a maintainer's
edit stays an edit of `policy/` as it always was, and a released version is the exact
text that was in force, checked by its SHA-256 sums. The current version stands for its
own number even when a release of that number exists, so that what a maintainer sees
is what they edited; `release_problems` then says that the number must be raised.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from billability.model.diagnostics import Diagnostic, Location, Problems, ScenarioError
from billability.model.policy import Decision
from billability.model.resources import policy_dir, shown_folder, shown_path
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from billability.policy.source import RELEASES, policy_section, read_yaml

SUMS = "SHA256SUMS"


@dataclass(frozen=True, slots=True)
class PolicyVersions:
    """A policy's versions, oldest first; the last is the current one (the folder's own
    files). `released` names the versions that have a snapshot under `releases/`."""

    versions: tuple[Policy, ...]
    folder: Path
    released: tuple[str, ...] = ()

    @property
    def current(self) -> Policy:
        return self.versions[-1]

    @property
    def first(self) -> Policy:
        return self.versions[0]

    def named(self, version: str) -> Policy | None:
        """The version numbered `version`, or None."""
        return next((policy for policy in self.versions if policy.version == version), None)

    def in_force(self, on: datetime.date) -> Policy | None:
        """The version in force on a day: the latest effective on or before it; None before the first."""
        found = None
        for policy in self.versions:
            if effective_date(policy) <= on:
                found = policy
        return found

    def upcoming(self, today: datetime.date) -> tuple[Policy, ...]:
        """The versions that take effect after `today`."""
        return tuple(policy for policy in self.versions if effective_date(policy) > today)

    def switches(self) -> tuple[datetime.date, ...]:
        """The day each version takes effect, oldest first."""
        return tuple(effective_date(policy) for policy in self.versions)

    def up_to(self, version: str) -> PolicyVersions:
        """The versions up to and including `version`: the policy as it stood when it was current."""
        last = next(i for i, policy in enumerate(self.versions) if policy.version == version)
        return PolicyVersions(self.versions[: last + 1], self.folder, self.released)

    def deciding(self, on: datetime.date | str | None) -> Policy:
        """The version that decides a service on `on` (None: the current one); raises
        `ScenarioError` for a day before the first version or no day at all."""
        if on is None:
            return self.current
        day = on if isinstance(on, datetime.date) else _day(on)
        policy = self.in_force(day)
        if policy is None:
            raise ScenarioError([before_first(self, day)])
        return policy

    def evaluate(self, facts: Mapping[str, Any], on: datetime.date | str | None = None) -> Decision:
        """Decide one scenario under the version in force on `on` (None: the current one);
        the decision names its version. Raises `ScenarioError` for invalid facts or a day
        before the first version."""
        return self.deciding(on).evaluate(facts)


def effective_date(policy: Policy) -> datetime.date:
    return datetime.date.fromisoformat(policy.effective_from)


def before_first(versions: PolicyVersions, day: datetime.date, where: Location | None = None) -> Diagnostic:
    first = versions.first
    return Diagnostic(
        "version.before-first",
        f"{day.isoformat()} is before the first version of the policy ({first.version}, in effect from "
        f"{first.effective_from})",
        where,
        hint="no version of the policy was in force then, so nothing can decide it",
    )


def _day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise ScenarioError(
            [
                Diagnostic(
                    "version.bad-date", f"`{text}` is not a date", hint="write the date as YYYY-MM-DD, e.g. 2026-12-15"
                )
            ]
        ) from None


def release_folders(folder: Path) -> list[Path]:
    """The released versions' folders under a policy (or corpus) folder, by name."""
    releases = folder / RELEASES
    if not folder.is_dir() or not releases.is_dir():
        return []
    return sorted(path for path in releases.iterdir() if path.is_dir())


def load_versions(path: str | Path | None = None) -> PolicyVersions:
    """Every version of the policy at `path`, compiled, oldest first; raises `Problems`
    with every problem of every version, and when two versions share a day or the
    current version is not the latest."""
    folder = Path(path) if path is not None else policy_dir()
    problems: list[Diagnostic] = []
    compiled: list[Policy] = []
    try:
        current = load_policy(folder)
    except Problems as error:
        problems.extend(error.diagnostics)
        current = None
    released: list[str] = []
    for release in release_folders(folder):
        try:
            policy = load_policy(release)
        except Problems as error:
            problems.extend(error.diagnostics)
            continue
        if policy.version != release.name:
            problems.append(
                Diagnostic(
                    "release.misnamed",
                    f"the folder of released version `{release.name}` holds version `{policy.version}`",
                    _version_location(policy),
                    hint="a released version is written by `billability release`; do not rename or edit its folder",
                )
            )
            continue
        released.append(policy.version)
        if current is None or policy.version != current.version:
            compiled.append(policy)
    if current is not None:
        compiled.append(current)
    if problems:
        raise Problems(problems)
    assert current is not None
    problems.extend(_order_problems(compiled, current))
    if problems:
        raise Problems(problems)
    ordered = tuple(sorted(compiled, key=lambda policy: (effective_date(policy), policy is current)))
    return PolicyVersions(ordered, folder, tuple(released))


def _order_problems(versions: list[Policy], current: Policy) -> Iterable[Diagnostic]:
    by_day: dict[str, Policy] = {}
    for policy in versions:
        other = by_day.get(policy.effective_from)
        if other is not None:
            yield Diagnostic(
                "release.same-day",
                f"versions {other.version} and {policy.version} both take effect on {policy.effective_from}",
                _effective_location(current if current in (policy, other) else policy),
                hint="each version takes effect on its own day: move `effective_from` of the new version later",
            )
        by_day.setdefault(policy.effective_from, policy)
    later = [p for p in versions if p is not current and effective_date(p) > effective_date(current)]
    for policy in later:
        yield Diagnostic(
            "release.not-latest",
            f"the current version {current.version} takes effect on {current.effective_from}, before released "
            f"version {policy.version} ({policy.effective_from})",
            _effective_location(current),
            hint="the policy in the folder is the newest version: its `effective_from` must be after every release's",
        )


def _version_location(policy: Policy) -> Location | None:
    section = policy_section(policy.files)
    return section.where(("policy", "version")) if section is not None else None


def _effective_location(policy: Policy) -> Location | None:
    section = policy_section(policy.files)
    return section.where(("policy", "effective_from")) if section is not None else None


# --- the checks a release must pass -------------------------------------------------------


def file_sums(folder: Path) -> dict[str, str]:
    """Each file of a folder (its `releases/` and `SHA256SUMS` left out) -> its SHA-256."""
    sums: dict[str, str] = {}
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = file.relative_to(folder)
        if relative.parts[0] == RELEASES or relative.as_posix() == SUMS:
            continue
        sums[relative.as_posix()] = hashlib.sha256(file.read_bytes()).hexdigest()
    return sums


def content_sums(folder: Path) -> dict[str, str]:
    """As `file_sums`, but a YAML file's digest is of what it says, not how: its comments,
    blank lines, quoting and order of keys do not count (a file YAML cannot read counts
    by its bytes)."""
    sums = file_sums(folder)
    for name in sums:
        if Path(name).suffix in {".yaml", ".yml"}:
            file = folder / name
            try:
                said = read_yaml(file.read_text(encoding="utf-8"), name).data
            except (Problems, OSError, UnicodeDecodeError):
                continue
            sums[name] = hashlib.sha256(json.dumps(said, sort_keys=True).encode()).hexdigest()
    return sums


def sums_text(sums: Mapping[str, str]) -> str:
    """`sums` as `sha256sum` writes them (so that `sha256sum -c SHA256SUMS` checks a release)."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))


def read_sums(file: Path) -> dict[str, str] | None:
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    sums: dict[str, str] = {}
    for line in lines:
        digest, _, name = line.partition("  ")
        if not name or len(digest) != 64:
            return None
        sums[name] = digest
    return sums


def edited_files(folder: Path) -> tuple[str, ...] | None:
    """The files of a released folder that differ from its `SHA256SUMS` (added, removed or
    changed); None when it has no readable `SHA256SUMS`."""
    written = read_sums(folder / SUMS)
    if written is None:
        return None
    now = file_sums(folder)
    return tuple(sorted(name for name in set(written) | set(now) if written.get(name) != now.get(name)))


def release_problems(policy_folder: Path, corpus_folder: Path | None = None) -> list[Diagnostic]:
    """What makes released versions untrustworthy: a release (policy or corpus) whose files
    differ from its `SHA256SUMS`, and a current version whose number is released but
    whose files differ from that release."""
    problems: list[Diagnostic] = []
    folders = release_folders(policy_folder)
    if corpus_folder is not None:
        folders += release_folders(corpus_folder)
    for release in folders:
        edited = edited_files(release)
        if edited is None:
            problems.append(
                Diagnostic(
                    "release.no-sums",
                    f"released version `{release.name}` has no readable {SUMS}",
                    Location(shown_folder(release)),
                    hint="a release is written by `billability release`, which also writes its SHA-256 sums",
                )
            )
        for name in edited or ():
            problems.append(
                Diagnostic(
                    "release.edited",
                    f"released version `{release.name}` was changed after its release",
                    Location(shown_path(release / name)),
                    hint="a released version is never edited: change the policy's own files, raise its version "
                    "and release that",
                )
            )
    current = _current_version(policy_folder)
    released = policy_folder / RELEASES / current if current else None
    if released is not None and released.is_dir() and content_sums(released) != content_sums(policy_folder):
        try:
            where = _version_location(load_policy(policy_folder))
        except Problems:
            where = Location(shown_path(policy_folder))
        problems.append(
            Diagnostic(
                "release.changed",
                f"the policy was changed after version {current} was released, and still says version {current}",
                where,
                hint="raise `version` (and move `effective_from` to the day the change takes effect); the release "
                f"of {current} stays as it was",
            )
        )
    return sorted(problems, key=Diagnostic.sort_key)


def _current_version(folder: Path) -> str | None:
    try:
        return load_policy(folder).version
    except Problems:
        return None
