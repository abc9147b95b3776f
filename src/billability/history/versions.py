"""The versions of a policy in its git history.

In: a policy folder inside a git checkout (or not) and the working tree's compiled policy.
Out: a `History`: one `Release` per version, oldest first, each the compiled policy of
the last commit carrying that version; the commits `Skipped` because their policy does
not compile; the working tree as an unreleased `Release` when the folder has
uncommitted edits; or, outside a git clone or in a shallow one, why there is none.

Which commits: those that touched the policy folder, following first parents from
HEAD, oldest to newest; each carries the `version` of its `policy.yaml` (read from all
commits in one git call). A version's content is its last commit, or the one before it
when that one does not compile. Commits from before the policy had a `version` make one
earlier, unversioned state (`version` None); they are compiled with placeholder values
for the `policy:` fields the schema now requires, which nothing shows. A commit is read
with `git archive` into a temporary folder, and its file names are shown as
`COMMIT:policy/...`, as `billability diff` shows a revision's files.

Compiled commits are cached in memory by repository and commit, so that `mkdocs serve`
rebuilds pay only for git's listing of the commits.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from billability.history.revisions import relocated
from billability.model.diagnostics import Problems
from billability.model.resources import schema_dir
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from billability.policy.source import read_yaml

# Values for the `policy:` fields the schema requires of a commit written before
# they existed; never shown, since an unversioned state is named "before version ...".
_PLACEHOLDERS = {
    "version": '"0"',
    "effective_from": '"2000-01-01"',
    "source_document": '{title: "-", publisher: "-", date: "2000-01-01"}',
    "review": '{team: "-", how: "-"}',
}


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


def forget_commits() -> None:
    """Empty the in-memory cache of compiled commits."""
    _compiled.clear()


def read_history(policy_folder: Path, policy: Policy) -> History:
    """The versions of the policy folder in its git repository, and `policy` (the working
    tree's) as unreleased when the folder has uncommitted edits."""
    folder = policy_folder.resolve()
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top is None:
        return History(unavailable=NOT_A_CHECKOUT)
    if _git(folder, "rev-parse", "--is-shallow-repository") == "true":
        return History(unavailable=SHALLOW)
    prefix = _git(folder, "rev-parse", "--show-prefix") or ""
    listing = _git(folder, "log", "--first-parent", "--reverse", "--format=%H %cs", "--", ".")
    commits = [(line[:40], line[41:]) for line in (listing or "").splitlines() if line]
    if not commits:
        return History(unavailable=NO_COMMITS)
    position = {commit: index for index, (commit, _) in enumerate(commits)}
    metadata = _metadata_at(folder, [commit for commit, _ in commits], prefix)
    # Each version's commits, newest first, in the order of each version's last commit.
    groups: dict[str | None, list[tuple[str, str]]] = {}
    for commit, date in commits:
        version = metadata[commit][0]
        groups.setdefault(version, []).insert(0, (commit, date))
    order = sorted(groups, key=lambda version: position[groups[version][0][0]])
    releases: list[Release] = []
    skipped: list[Skipped] = []
    for version in order:
        for commit, date in groups[version]:
            compiled = _compile_at(top, commit, prefix)
            if isinstance(compiled, str):
                skipped.append(Skipped(commit, date, compiled))
                continue
            releases.append(Release(version, metadata[commit][1], commit, date, compiled))
            break
    skipped.sort(key=lambda s: position[s.commit])
    unreleased = None
    if releases and _git(folder, "status", "--porcelain", "--", "."):
        unreleased = Release(
            policy.version or None, policy.effective_from or None, "", "", policy, _fingerprint(folder)
        )
    return History(tuple(releases), tuple(skipped), None, unreleased)


def _git(folder: Path, *arguments: str) -> str | None:
    """Git's output in `folder`, stripped, or None when git fails or is not installed."""
    try:
        done = subprocess.run(["git", *arguments], cwd=folder, capture_output=True, check=False)
    except OSError:
        return None
    return done.stdout.decode("utf-8", "replace").strip() if done.returncode == 0 else None


def read_text(path: Path) -> str:
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
        found[commit] = metadata_of(out[position : position + size].decode("utf-8", "replace"))
        position += size + 1
    return found


def metadata_of(text: str) -> tuple[str | None, str | None]:
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


def _compile_at(top: str, commit: str, prefix: str) -> Policy | str:
    """The policy folder at `commit`, compiled, or its first problem as one line."""
    key = (top, commit)
    if key not in _compiled:
        _compiled[key] = _compile_fresh(Path(top), commit, prefix)
    return _compiled[key]


def _compile_fresh(top: Path, commit: str, prefix: str) -> Policy | str:
    try:
        # `COMMIT:FOLDER/` is the policy folder's tree: the archive's names start inside it.
        archive = subprocess.run(
            ["git", "archive", "--format=tar", f"{commit}:{prefix}"], cwd=top, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return f"git cannot read `{prefix or '.'}` at this commit"
    label = f"{commit[:7]}:{prefix}"
    with tempfile.TemporaryDirectory(prefix="billability-") as temporary:
        inner = Path(temporary) / "policy"
        inner.mkdir()
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            # The `data` filter refuses links and paths that leave the folder (Python 3.11.4+).
            if hasattr(tarfile, "data_filter"):
                tar.extractall(inner, filter="data")
            else:  # pragma: no cover
                tar.extractall(inner)
        policy_file = inner / "policy.yaml"
        if policy_file.is_file():
            policy_file.write_text(_with_placeholders(read_text(policy_file)), encoding="utf-8")
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
