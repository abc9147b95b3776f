"""Where the bundled policy and the JSON Schemas live.

In a source checkout they are the repository's `policy/`, `schema/` and `corpus/` folders;
in an installed wheel they are copies inside the package (`billability/_bundled`).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


def _find(name: str) -> Path:
    bundled = _PACKAGE / "_bundled" / name
    if bundled.is_dir():
        return bundled
    return _CHECKOUT / name


def policy_dir() -> Path:
    """The folder of the bundled case-management policy."""
    return _find("policy")


def schema_dir() -> Path:
    """The folder of the JSON Schemas for policy and corpus files."""
    return _find("schema")


def corpus_dir() -> Path:
    """The scenario corpus that pins the bundled policy."""
    return _find("corpus")
