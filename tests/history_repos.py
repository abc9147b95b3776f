"""Git repositories made from the clinic fixture for the history tests: edits a
maintainer would make, versions set in `policy.yaml`, commits. The fixtures that make
them for each test are in tests/history/conftest.py."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from policy_texts import CLINIC, git

_METADATA = ("version", "effective_from", "source_document", "review")

Edit = tuple[str, str, str]  # (file in the checkout, old text, new text)

VIDEO_NOT_BILLABLE = (
    (
        "policy/rules/communication.yaml",
        "outcome: needs_review\n    when:\n      activity: provider_call\n      contact_mode: video",
        "outcome: not_billable\n    when:\n      activity: provider_call\n      contact_mode: video",
    ),
)
WINDOW_21 = (("policy/rules/connection.yaml", "more_than: 14", "more_than: 21"),)
NARROW_AGAIN = (("policy/rules/connection.yaml", "more_than: 21", "more_than: 14"),)
REWORDED = (("policy/rules/connection.yaml", "driving the client is not billable", "driving is not billable"),)
RENAME_VALUE = (
    ("policy/facts.yaml", "      driving:\n", "      transport:\n"),
    ("policy/rules/connection.yaml", "activity: driving", "activity: transport"),
)
ADD_NURSE = (
    ("policy/facts.yaml", "      peer:\n", "      nurse:\n        label: Nurse\n      peer:\n"),
    ("policy/rules/credential.yaml", "provider_credential: counselor", "provider_credential: [counselor, nurse]"),
)
BROKEN = (("policy/rules/connection.yaml", "activity: driving", "activity: flying"),)


# --- repositories made from the clinic fixture ---------------------------------------------


def apply(root: Path, *edits: Edit) -> None:
    for file, old, new in edits:
        path = root / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {file}"
        path.write_text(text.replace(old, new), encoding="utf-8")


def _without(lines: list[str], fields: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The lines without the `policy:` fields named (each with the lines indented under
    it), and the lines taken out."""
    kept: list[str] = []
    taken: list[str] = []
    dropping = False
    for line in lines:
        if not (dropping and (line.startswith("    ") or not line.strip())):
            dropping = re.match(rf"  ({'|'.join(fields)}):", line) is not None
        (taken if dropping else kept).append(line)
    return kept, taken


def set_version(root: Path, version: str | None, effective: str = "2026-12-01") -> None:
    """Give policy.yaml the version, with the clinic fixture's source document and review
    contact (None: no version and none of those fields, as before versions existed)."""
    path = root / "policy" / "policy.yaml"
    lines, _ = _without(path.read_text(encoding="utf-8").splitlines(keepends=True), _METADATA)
    if version is not None:
        fixture = (CLINIC / "policy" / "policy.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
        _, contacts = _without(fixture, ("source_document", "review"))
        at = lines.index("policy:\n") + 1
        lines[at:at] = [f'  version: "{version}"\n', f'  effective_from: "{effective}"\n', *contacts]
    path.write_text("".join(lines), encoding="utf-8")


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def release(root: Path, version: str, effective: str, *edits: Edit) -> None:
    """Edit the policy, set its version and commit."""
    apply(root, *edits)
    set_version(root, version, effective)
    commit(root, f"Version {version}")


def clinic_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str | None = "1.0") -> Path:
    """The clinic checkout as a new git repository with one commit (`version` None: from
    before versions existed). Git looks for no repository above `tmp_path`."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    git(root, "init", "-q", "-b", "main")
    set_version(root, version)
    commit(root, f"Version {version}" if version else "First policy")
    return root


def committed_checkout(root: Path) -> Path:
    """The clinic checkout as it is (its own version), committed on `main` in a new
    repository at `root`."""
    shutil.copytree(CLINIC, root)
    git(root, "init", "-q", "-b", "main")
    commit(root, "clinic")
    return root


def short_head(root: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short=7", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
