"""Validate a policy and the corpus that pins it, as `billability validate` does.

In: a policy file or folder, and the corpus folder beside it (None when it has none).
Out: a `Validation`: the compiled policy (None when it does not compile), the corpus
checked as `billability test` loads it (YAML, schema, facts and values the policy knows,
rule ids it has, quotes in its source) without running a case, and every problem of
both, located. Without a policy, the corpus is still read for its YAML and schema
problems. A policy folder with released versions is also checked as `release_problems`
checks it (a release edited, the policy changed without raising its version), and its
versions must compile and follow one another; a case with a service date is checked
against the version in force that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from billability.checks.corpus import CorpusCheck, Deciders, check_corpus
from billability.model.diagnostics import Diagnostic, Problems
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from billability.policy.versions import load_versions, release_folders, release_problems


@dataclass(frozen=True, slots=True)
class Validation:
    """One policy validated: the policy (None when it does not compile), the corpus
    checked (None when there is no corpus folder), and every problem found."""

    target: Path
    policy: Policy | None
    corpus: Path | None
    checked: CorpusCheck | None
    problems: tuple[Diagnostic, ...]


def validate(target: Path, corpus: Path | None) -> Validation:
    """Compile the policy at `target` and check the corpus at `corpus`, if it is a folder."""
    problems: list[Diagnostic] = []
    policy: Policy | None = None
    try:
        policy = load_policy(target)
    except Problems as error:
        problems.extend(error.diagnostics)
    deciders: Deciders | None = policy
    if policy is not None and release_folders(target):
        try:
            deciders = load_versions(target)
        except Problems as error:
            problems.extend(error.diagnostics)
    if target.is_dir():
        problems.extend(release_problems(target, corpus if corpus is not None and corpus.is_dir() else None))
    if corpus is None or not corpus.is_dir():
        return Validation(target, policy, None, None, tuple(problems))
    checked = check_corpus([corpus], deciders)
    return Validation(target, policy, corpus, checked, (*problems, *checked.problems))
