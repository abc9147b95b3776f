"""Policies for the maintainer tests: small synthetic ones built from YAML text, copies of
a fixture policy with text replaced, as a maintainer edits it, and every place in a
policy's data, for the tests that put a mistake at each."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from billability.policy.compile import compile_texts
from billability.policy.compiled import Policy

# A small checkout (policy/ and corpus/) shaped like the bundled one: engine tests assert
# what it decides. Only corpus/ pins what the bundled policy decides.
CLINIC = Path(__file__).resolve().parent / "fixtures" / "clinic"
# The checkout these tests belong to: its policy/ and corpus/ are the ones being edited,
# whichever copy of the package is installed.
CHECKOUT = Path(__file__).resolve().parent.parent

SOURCE = "Talk to the client. Drive the client."

HEADER = """\
policy:
  id: small
  title: A small policy
  source: source.txt
  precedence: [not_billable, needs_review, billable]
  default:
    outcome: needs_review
    reason: no rule speaks
  version: "1.0"
  effective_from: "2026-01-01"
  source_document: {title: A small table, publisher: A clinic, date: "2025-12-01"}
  review: {team: QA, how: ask before you bill}
topics:
  general:
    title: General
"""

FACTS = """\
facts:
  activity:
    type: enum
    label: Activity
    question: What was done?
    values:
      talk: {label: Talk}
      drive: {label: Drive}
      write: {label: Write}
    relevant_when: always
  reached:
    type: boolean
    label: Reached
    question: Reached?
    relevant_when: always
  minutes:
    type: integer
    minimum: 0
    label: Minutes
    question: How long?
    relevant_when: always
"""


def rule(rule_id: str, outcome: str, when: str) -> str:
    """One rule entry; `when` is the YAML body of its condition, one entry per line."""
    body = textwrap.indent(textwrap.dedent(when).strip(), "      ")
    return (
        f"  - id: {rule_id}\n    title: {rule_id}\n    topic: general\n    outcome: {outcome}\n"
        f"    when:\n{body}\n    reason: because\n    source: [Talk to the client.]\n"
    )


# Rules that hold `minutes` to ranges, with each comparison key once, one range written
# upper bound first; rules/policy.yaml lines 43-44, 52-53 and 61-64 hold their `when`.
RANGES = (
    rule("talk-short", "billable", "activity: talk\nminutes: {more_than: 4, at_most: 30}"),
    rule("talk-long", "needs_review", "activity: talk\nminutes: {at_most: 60, more_than: 30}"),
    rule("drive", "not_billable", "activity: drive\nminutes:\n  at_least: 10\n  less_than: 20"),
)


def small_policy(*rules: str, facts: str = FACTS) -> Policy:
    """A policy of the three small facts and the given rules (see `rule`)."""
    return compile_texts({"policy.yaml": HEADER + facts + "rules:\n" + "".join(rules)}, SOURCE)


def edited_policy(root: Path, *changes: tuple[str, str, str], source: Path = CLINIC / "policy") -> Path:
    """A copy of a policy folder (the clinic fixture's by default) under `root` with each
    (file, old, new) text replaced once."""
    target = root / "policy"
    shutil.copytree(source, target)
    for file, old, new in changes:
        path = target / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {file}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def write_small_policy(root: Path, *rules: str, facts: str = FACTS) -> Path:
    """The small policy written to `root` as files, so that its findings point into them."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "source.txt").write_text(SOURCE, encoding="utf-8")
    (root / "policy.yaml").write_text(HEADER + facts + "rules:\n" + "".join(rules), encoding="utf-8")
    return root


def git(repository: Path, *arguments: str) -> None:
    """Run git in a repository made by a test, as a fixed author."""
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *arguments],
        cwd=repository,
        check=True,
        capture_output=True,
    )


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in YAML data, as the keys and list positions that lead to it, the whole
    document (`()`) first."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from paths(value, (*prefix, index))
