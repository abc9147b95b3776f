"""The line every page of the staff site ends with: which policy, which source, which build.

In: a compiled `Policy`, and the checkout the site is built from (with the process's
environment, for `GITHUB_SHA`).
Out: the commit the build comes from (`build_commit`) and the footer line
(`footer_line`): the policy's title, version and effective date, the source document's
title and date, and the commit. The same commit always gives the same line.
"""

from __future__ import annotations

import html
import subprocess
from collections.abc import Mapping
from pathlib import Path

from billability.policy.compiled import Policy

NOT_A_CHECKOUT = "not built from a git checkout"


def build_commit(checkout: Path, environ: Mapping[str, str]) -> str:
    """`GITHUB_SHA` when set (shortened); else the checkout's `git rev-parse --short HEAD`;
    else `NOT_A_CHECKOUT`. Uncommitted changes to the checkout are said, since the site
    then shows something no commit holds."""
    from_ci = environ.get("GITHUB_SHA", "").strip()
    if from_ci:
        return f"commit {from_ci[:7]}"
    try:
        head = _git(checkout, "rev-parse", "--short", "HEAD")
        changed = _git(checkout, "status", "--porcelain", "--untracked-files=no", "--", ".")
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return NOT_A_CHECKOUT
    return f"commit {head}" + (" with uncommitted changes" if changed else "")


def footer_line(policy: Policy, commit: str) -> str:
    """The footer as HTML text: policy, version, effective date, source document, build."""
    source = policy.source_document
    built = f"Built from {commit}." if commit != NOT_A_CHECKOUT else f"{NOT_A_CHECKOUT.capitalize()}."
    return html.escape(
        f"{policy.title}, version {policy.version}, in effect from {policy.effective_from}. "
        f"Source: {source.title} ({source.publisher}, {source.date}). {built}",
        quote=False,
    )


def _git(folder: Path, *arguments: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), *arguments], capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout.strip()
