"""Load the scenario corpus and run it against a policy.

In: corpus files or folders (YAML lists of cases) and a compiled `Policy`, or the
`PolicyVersions` the corpus belongs to (the last of them is the corpus's own version).
Out: `Case`s (each with its file:line and the version that decides it), and
`CaseResult`s that say what differs between what a case expects and what the policy
decides. A case with a service date (`on`) is decided by the version in force that
day; a case without one by the corpus's own version; a date before the first version
is a located problem of the corpus. Problems in the files
(reading, schema, facts the policy does not know, rule ids it does not have)
raise `Problems` with every diagnostic at once; `check_corpus` returns them instead,
with how many cases and files it read (what `billability validate` reports).
`run_corpus` loads and runs a corpus as `billability test` does, with what the corpus
as a whole lacks when whole folders are run.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from billability.decide.engine import decide
from billability.decide.scenario import validate
from billability.model.diagnostics import Diagnostic, Location, Problems, ScenarioError, hint_for
from billability.model.policy import Decision, Outcome
from billability.model.resources import corpus_dir
from billability.policy.compile import normalize
from billability.policy.compiled import Policy
from billability.policy.schema import CORPUS_FILE, check
from billability.policy.source import Located, display_name, iter_yaml_files, read_yaml_file
from billability.policy.sourcetext import Statement, statements
from billability.policy.versions import PolicyVersions, before_first

# What a corpus is run against: one policy, or the versions up to the corpus's own (the last).
Deciders = Policy | PolicyVersions


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    facts: Mapping[str, Any]
    outcome: Outcome
    rules: tuple[str, ...] | None
    missing: tuple[str, ...] | None
    source: str | None
    location: Location
    # The case teaches staff: the site shows it as an example (a case quoting the table
    # with `source` is shown as well).
    staff_example: bool = False
    # The service date as written (None: the case has none), and the version that decides
    # the case (None: whichever policy it is run against).
    on: str | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: Case
    decision: Decision
    differences: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.differences


def corpus_files(paths: Iterable[str | Path] | None = None) -> list[Path]:
    """The YAML files of the corpus paths given (the project's corpus by default)."""
    roots = [Path(p) for p in paths] if paths else [corpus_dir()]
    files: list[Path] = []
    for root in roots:
        files.extend(iter_yaml_files(root))
    return files


def load_cases(paths: Iterable[str | Path] | None, policy: Deciders) -> list[Case]:
    """Read, schema-check and check every case of the corpus against the policy (or
    against the version that decides it)."""
    roots = [Path(p) for p in paths] if paths else [corpus_dir()]
    problems: list[Diagnostic] = []
    cases: list[Case] = []
    for root in roots:
        if not root.exists():
            problems.append(Diagnostic("file.not-found", "no corpus file or folder here", Location(str(root))))
            continue
        files = list(iter_yaml_files(root))
        if not files:
            problems.append(
                Diagnostic("corpus.no-files", "the folder holds no `.yaml` corpus files", Location(str(root)))
            )
        for file in files:
            try:
                cases.extend(load_file(file, policy))
            except Problems as error:
                problems.extend(error.diagnostics)
    first: dict[str, Case] = {}
    for case in cases:
        if case.name in first:
            problems.append(
                Diagnostic(
                    "corpus.duplicate-name",
                    f"another case already has this name (at {first[case.name].location})",
                    case.location,
                    hint="each case needs its own sentence: reports and the site find cases by name",
                )
            )
        first.setdefault(case.name, case)
    if problems:
        raise Problems(problems)
    return cases


@dataclass(frozen=True, slots=True)
class CorpusCheck:
    """What loading a corpus found: the cases that load, how many files were read, and
    every problem of the files (located) that do not."""

    cases: tuple[Case, ...]
    files: int
    problems: tuple[Diagnostic, ...]


def check_corpus(paths: Iterable[str | Path], policy: Deciders | None) -> CorpusCheck:
    """Load the corpus as `load_cases` does, without running a case. With no policy (one
    that does not compile), only what needs none is checked: the YAML and the schema."""
    roots = [Path(p) for p in paths]
    listed = corpus_files([root for root in roots if root.exists()])
    files = len(listed)
    if policy is not None:
        try:
            return CorpusCheck(tuple(load_cases(roots, policy)), files, ())
        except Problems as error:
            return CorpusCheck((), files, tuple(error.diagnostics))
    problems: list[Diagnostic] = []
    for file in listed:
        try:
            problems.extend(check(read_yaml_file(file, display_name(file)), CORPUS_FILE))
        except Problems as error:
            problems.extend(error.diagnostics)
    return CorpusCheck((), files, tuple(sorted(problems, key=Diagnostic.sort_key)))


def load_file(file: Path, policy: Deciders) -> list[Case]:
    located = read_yaml_file(file, display_name(file))
    problems = check(located, CORPUS_FILE)
    if problems:
        raise Problems(problems)
    cases: list[Case] = []
    versions = as_versions(policy)
    for index, body in enumerate(located.data["cases"]):
        path = ("cases", index)
        deciding = versions.current
        if "on" in body:
            found = _dated(versions, body["on"], located.where((*path, "on")))
            if isinstance(found, Diagnostic):
                problems.append(found)
                continue
            deciding = found
        problems.extend(_check_case(located, path, body, deciding))
        expect = body["expect"]
        cases.append(
            Case(
                name=body["name"],
                facts=body["facts"],
                outcome=Outcome(expect["outcome"]),
                rules=tuple(expect["rules"]) if "rules" in expect else None,
                missing=tuple(expect["missing"]) if "missing" in expect else None,
                source=body.get("source"),
                location=located.where(path),
                staff_example=body.get("staff_example", False),
                on=body.get("on"),
                version=deciding.version,
            )
        )
    if problems:
        raise Problems(problems)
    return cases


def as_versions(policy: Deciders) -> PolicyVersions:
    """The versions a corpus is run against: a policy alone is its only version."""
    if isinstance(policy, PolicyVersions):
        return policy
    return PolicyVersions((policy,), Path(policy.files[0]).parent if policy.files else Path())


def _dated(versions: PolicyVersions, written: str, where: Location) -> Policy | Diagnostic:
    """The version in force on a case's service date, or the problem with the date."""
    try:
        day = datetime.date.fromisoformat(written)
    except ValueError:
        return Diagnostic(
            "corpus.bad-date",
            f"`{written}` is not a date of the calendar",
            where,
            hint="write the service date as YYYY-MM-DD, e.g. 2026-12-15",
        )
    found = versions.in_force(day)
    return found if found is not None else before_first(versions, day, where)


def _check_case(
    located: Located,
    path: tuple[str | int, ...],
    body: dict[str, Any],
    policy: Policy,
) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    rule_ids = [rule.id for rule in policy.rules]
    source = normalize(policy.source_text)
    facts_path = (*path, "facts")
    try:
        validate(policy, body["facts"], lambda name: located.where_key((*facts_path, name)))
    except ScenarioError as error:
        problems.extend(error.diagnostics)
    expect = body["expect"]
    for q, rule_id in enumerate(expect.get("rules", [])):
        if rule_id not in rule_ids:
            problems.append(
                Diagnostic(
                    "corpus.unknown-rule",
                    f"the policy has no rule `{rule_id}`",
                    located.where((*path, "expect", "rules", q)),
                    hint=hint_for(rule_id, rule_ids),
                )
            )
    fact_names = [fact.name for fact in policy.facts]
    for q, name in enumerate(expect.get("missing", [])):
        if name not in fact_names:
            problems.append(
                Diagnostic(
                    "corpus.unknown-fact",
                    f"`{name}` is not a fact of this policy",
                    located.where((*path, "expect", "missing", q)),
                    hint=hint_for(name, fact_names),
                )
            )
    if expect["outcome"] == Outcome.UNDETERMINED:
        if "missing" not in expect:
            problems.append(
                Diagnostic(
                    "corpus.expect-missing",
                    "an undetermined case must say which facts are `missing`",
                    located.where_key((*path, "expect")),
                )
            )
    elif "rules" not in expect:
        problems.append(
            Diagnostic(
                "corpus.expect-rules",
                "the case must say which `rules` decide it (`rules: []` when the default decides)",
                located.where_key((*path, "expect")),
            )
        )
    if "source" in body and normalize(body["source"]) not in source:
        problems.append(
            Diagnostic(
                "corpus.quote-not-in-source",
                "this quote is not verbatim in the policy's source text",
                located.where((*path, "source")),
            )
        )
    return problems


def deciding_policy(policy: Deciders, case: Case) -> Policy:
    """The version that decides a case: the one its service date names, else the last."""
    if isinstance(policy, Policy):
        return policy
    return (policy.named(case.version) if case.version else None) or policy.current


def decided_by(policy: Policy, cases: Iterable[Case]) -> list[Case]:
    """The cases that `policy`'s version decides (the others are dated in another version's days)."""
    return [case for case in cases if case.version in (None, policy.version)]


def run_case(policy: Deciders, case: Case) -> CaseResult:
    decision = decide(deciding_policy(policy, case), case.facts)
    return CaseResult(case, decision, differences(case, decision))


def differences(case: Case, decision: Decision) -> tuple[str, ...]:
    """What differs between what the case expects and the decision (nothing: the case passes)."""
    found: list[str] = []
    if decision.outcome != case.outcome:
        found.append(f"outcome: expected {case.outcome}, got {decision.outcome}")
    if case.rules is not None and sorted(case.rules) != sorted(decision.rules):
        found.append(f"rules: expected {_listed(sorted(case.rules))}, got {_listed(sorted(decision.rules))}")
    if case.missing is not None and list(case.missing) != list(decision.missing):
        found.append(f"missing: expected {_listed(case.missing)}, got {_listed(decision.missing)}")
    return tuple(found)


def run_cases(policy: Deciders, cases: Iterable[Case]) -> list[CaseResult]:
    return [run_case(policy, case) for case in cases]


def corpus_findings(policy: Policy, results: Iterable[CaseResult]) -> list[Diagnostic]:
    """What the corpus as a whole must guarantee beyond each case passing, for a whole
    corpus (not a part of it): every statement of the source table is cited by some
    case (`corpus.statement-without-case`, located in the source text), every case's
    `source` is a whole statement (`corpus.partial-statement`), and every rule decides
    some case (`corpus.rule-decides-no-case`). Only the cases that the policy's version
    decides count: a case dated in an earlier version's days speaks for that version."""
    results = [result for result in results if result.case.version in (None, policy.version)]
    findings: list[Diagnostic] = []
    table = statements(policy.source_text)
    cited = {normalize(result.case.source) for result in results if result.case.source}
    for statement in table:
        if normalize(statement.text) not in cited:
            findings.append(
                Diagnostic(
                    "corpus.statement-without-case",
                    f"no case cites this statement of the source table: \u201c{statement.text}\u201d",
                    Location(policy.source_file or policy.source_name, statement.line, statement.column),
                    hint="add a case whose `source` is the statement, word for word, and whose `expect` "
                    "says what the policy must decide",
                )
            )
    whole = {normalize(statement.text) for statement in table}
    for result in results:
        source = result.case.source
        if table and source and normalize(source) not in whole:
            findings.append(
                Diagnostic(
                    "corpus.partial-statement",
                    "a case's `source` is one whole statement (a row or a bullet) of the source table",
                    result.case.location,
                    hint=f"quote the whole statement: \u201c{_statement_holding(source, table)}\u201d",
                )
            )
    deciding = {rule for result in results for rule in result.decision.rules}
    for rule in policy.rules:
        if rule.id not in deciding:
            findings.append(
                Diagnostic(
                    "corpus.rule-decides-no-case",
                    f"rule `{rule.id}` decides no case of the corpus",
                    rule.location,
                    hint="add a case that this rule decides, so a change to it is noticed",
                )
            )
    return findings


@dataclass(frozen=True, slots=True)
class CorpusRun:
    """A corpus run against a policy: each case's result in the corpus's order, and what
    the corpus as a whole lacks (`corpus_findings`; none when a part of it was run)."""

    results: tuple[CaseResult, ...]
    findings: tuple[Diagnostic, ...]

    @property
    def failed(self) -> tuple[CaseResult, ...]:
        return tuple(result for result in self.results if not result.passed)


def run_corpus(policy: Deciders, paths: Sequence[Path]) -> CorpusRun:
    """Load the corpus at `paths` (raising `Problems` when it does not load) and run every
    case, each by the version that decides it. The corpus as a whole (every statement of
    the source cited, every rule deciding a case) is judged, for the corpus's own version,
    only when whole folders are run, not a file picked out of one."""
    results = run_cases(policy, load_cases(paths, policy))
    whole = all(path.is_dir() for path in paths)
    own = as_versions(policy).current
    return CorpusRun(tuple(results), tuple(corpus_findings(own, results)) if whole else ())


def _statement_holding(quote: str, table: list[Statement]) -> str:
    wanted = normalize(quote)
    for statement in table:
        if wanted in normalize(statement.text):
            return statement.text
    return "..."


def _listed(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"
