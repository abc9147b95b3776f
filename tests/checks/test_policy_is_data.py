"""The guarantee this project sells: a maintainer changes the policy and the corpus, and
nothing else. Only the corpus pins what the bundled policy decides.

Each test copies the repository to a scratch folder, makes there one edit a maintainer
would make to `policy/` (and `corpus/`), raising the policy's version as every change
does (its released versions stay as they were), and runs the copy's whole test suite with
this interpreter:

- a comparison with a number moved by 15 (the hand-off window today, whether written
  `more_than: 30`, `at_least: 31` or already moved): the only failing items are corpus
  cases, and they are exactly the cases whose number lies where the comparison now
  answers otherwise;
- a new activity with its billable rule and a case, under a name the policy does not use
  yet: everything passes;
- a fact renamed in the policy, the corpus and the docs (`documented` to `note_documented`
  while the policy has `documented`, else another fact the corpus names): everything
  passes.

The edits read what the policy holds, so they apply to whatever it decides; when there is
nothing to edit (no comparison, no activity, no fact the corpus names) the test fails and
says which, rather than passing vacuously. The copy is a git repository with the unedited
files committed, so the edit is a change in the working tree, as it is for a maintainer
(tests/maintainer_changes.py copies it). The copy's `src/` comes first on the import path,
so the package the inner suite imports, and the policy it bundles, are the edited copy's
(as in an editable install of the checkout being edited). Each inner suite has a
temporary folder of its own, apart from its copy, as a checkout is apart from the
temporary folder.

The inner runs leave out this module (it would copy itself without end),
tests/checks/test_maintainer_changes.py (it copies the repository in its turn, to run CI's
steps), tests/browser/test_browser.py, tests/browser/test_accessibility.py, tests/browser/test_checker_browser.py and
tests/browser/test_summary_browser.py (they drive Chromium against the built site, whose content tests/site/test_site.py and
tests/site/test_checker.py check in the inner runs) and tests/browser/test_decide_browser.py (it
drives Chromium over the diagram's JSON form, which tests/decide/test_diagram.py walks in the
inner runs), tests/audit/test_sql_engines.py (it starts Spark and a PostgreSQL server for
the policy's SQL query, which tests/audit/test_sql.py runs in DuckDB in the inner runs), and
every test on the local Spark session (`-m "not spark"`). They use the fast Hypothesis profile
(`dev`), start as soon as pytest has selected these tests (see conftest.py), and run
at the same time as each other and as the rest of the suite, at a lower priority.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import background
from billability.checks.corpus import load_cases, run_cases
from billability.decide.scenario import truth
from billability.model.diagnostics import Problems
from billability.model.policy import Compare
from billability.policy.compile import load_policy
from billability.policy.source import iter_yaml_files
from inner_pytest import Item, Run, finish_pytest, start_pytest
from maintainer_changes import MissingAnchor, add_an_activity, copy_repository, first_comparison, raise_the_version

# Left out of the inner runs: this module, the runs of CI's steps, the browser tests and
# the tests of the query on Spark and PostgreSQL (see the docstring).
LEFT_OUT = (
    "tests/checks/test_policy_is_data.py",
    "tests/checks/test_maintainer_changes.py",
    "tests/browser/test_browser.py",
    "tests/browser/test_accessibility.py",
    "tests/browser/test_checker_browser.py",
    "tests/browser/test_decide_browser.py",
    "tests/browser/test_summary_browser.py",
    "tests/browser/test_versions_browser.py",
    "tests/audit/test_sql_engines.py",
    "tests/audit/test_sql_versions.py",
)
# The run of CI's steps (the worked example's replay and the maintainer's journey) in the
# workflows' module, whose other tests stay in.
DESELECTED = ("tests/cli/test_workflows.py::test_the_replay_and_the_journey_pass_whatever_policy_the_checkout_holds",)
# The longest an inner suite may take before it is stopped and reported.
TIMEOUT = 1200


@dataclass
class Edit:
    """One maintainer's edit of a scratch copy: what it did, the names of the cases of its
    corpus, and those of them it must fail."""

    summary: str
    case_names: set[str]
    failing_cases: set[str] = field(default_factory=set)


def _case_names(root: Path) -> set[str]:
    """The names of the cases of the copy's corpus; loading it checks the edit left it valid."""
    return {case.name for case in load_cases([root / "corpus"], load_policy(root / "policy"))}


# --- the three edits -------------------------------------------------------------------------

RULES = "policy/rules"
WINDOW_MOVE = 15


def _holds(fact: str, operator: str, bound: int, number: int) -> bool | None:
    return truth(Compare(fact, operator, bound), {fact: number})


def move_the_window(root: Path) -> Edit:
    """The first comparison of a fact with a number in the rules files (in file order: the
    transitional-care window today) moved by 15, the reason's words with it where it says
    `within N days` (the table's quote stays as the county wrote it)."""
    first = first_comparison(root)
    if first is None:
        raise MissingAnchor(f"no file of {RULES}/ compares a fact with a number: rewrite this edit")
    path, found = first
    text = found.string
    name = path.relative_to(root).as_posix()
    fact, operator, bound = found["fact"], found["operator"], int(found["bound"])
    moved = bound + WINDOW_MOVE
    text = text[: found.start("bound")] + str(moved) + text[found.end("bound") :]
    text = re.sub(
        rf"^(\s+reason: .*)\bwithin {bound} days\b",
        lambda match: f"{match.group(1)}within {moved} days",
        text,
        flags=re.M,
    )
    path.write_text(text, encoding="utf-8")
    # The corpus cases the edit must fail: those the edited policy decides otherwise.
    policy = load_policy(root / "policy")
    results = run_cases(policy, load_cases([root / "corpus"], policy))
    failing = {result.case.name: result.case for result in results if not result.passed}
    assert failing, (
        f"no corpus case pins `{fact}: {{{operator}: {bound}}}` in {name}: the corpus should fail after the edit"
    )
    # Only a number the comparison now answers otherwise can change a decision.
    outside = [
        case_name
        for case_name, case in failing.items()
        if not isinstance(number := case.facts.get(fact), int)
        or _holds(fact, operator, bound, number) == _holds(fact, operator, moved, number)
    ]
    assert outside == [], f"cases fail whose `{fact}` is not where `{operator}` {bound} and {moved} differ: {outside}"
    summary = f"{name}: `{fact}` `{operator}: {bound}` -> `{operator}: {moved}`; {raise_the_version(root)}"
    return Edit(summary, {result.case.name for result in results}, set(failing))


def add_an_activity_to_a_topic(root: Path) -> Edit:
    """A new activity under an existing topic, with its billable rule and a case (see
    maintainer_changes.add_an_activity: its names are ones the policy does not use yet)."""
    added = add_an_activity(root, new_topic=False)
    summary = (
        f"activity `{added.value}` added with rule `{added.rule}` in {added.rules_file} and a case "
        f"(following `{added.followed}`); {raise_the_version(root)}"
    )
    return Edit(summary, _case_names(root))


# The fact renamed while the policy declares it (and not yet the new name); otherwise the
# last fact of facts.yaml the corpus names, renamed `<fact>_renamed`.
RENAMED = ("documented", "note_documented")


def _fact_name(fact: str) -> re.Pattern[str]:
    """The fact's name where YAML holds it as a name: a key (`documented:`), an item of a flow
    list (`[..., documented, ...]`) or of a block list (`- documented`); never prose."""
    name = re.escape(fact)
    return re.compile(
        rf"(?<![\w-]){name}(?=:(?:\s|$))|(?<=[\[,])(\s*){name}(?=\s*[,\]])|^(\s*-\s+){name}(?=\s*$)",
        flags=re.M,
    )


def rename_a_fact(root: Path) -> Edit:
    """A fact renamed in every YAML file of policy/, corpus/ and docs/ (not in the released versions)."""
    policy = load_policy(root / "policy")
    declared = [fact.name for fact in policy.facts]
    named = {fact for case in load_cases([root / "corpus"], policy) for fact in case.facts}
    old, new = RENAMED
    if old not in declared or new in declared:
        candidates = [fact for fact in declared if fact in named and f"{fact}_renamed" not in declared]
        if not candidates:
            raise MissingAnchor("no fact of policy/facts.yaml is named by a corpus case: rewrite this edit")
        old, new = candidates[-1], f"{candidates[-1]}_renamed"
    pattern = _fact_name(old)
    changed = {}
    for folder in ("policy", "corpus", "docs"):
        # A released version (policy/releases/, corpus/releases/) keeps the names it was released with.
        for path in iter_yaml_files(root / folder):
            text = path.read_text(encoding="utf-8")
            renamed, count = pattern.subn(lambda match: (match.group(1) or match.group(2) or "") + new, text)
            if count:
                path.write_text(renamed, encoding="utf-8")
                changed[path.relative_to(root).as_posix()] = count
    assert any(name.startswith("corpus/") for name in changed), f"no corpus file names `{old}`"
    summary = f"`{old}` renamed `{new}` in " + ", ".join(f"{name} ({n})" for name, n in changed.items())
    return Edit(f"{summary}; {raise_the_version(root)}", _case_names(root))


EDITS: dict[str, Callable[[Path], Edit]] = {
    "window": move_the_window,
    "activity": add_an_activity_to_a_topic,
    "rename": rename_a_fact,
}


# --- running the copies' suites --------------------------------------------------------------


@dataclass
class Scratch:
    root: Path
    edit: Edit
    run: Run

    def node_id(self, item: Item) -> str:
        """The item as pytest names it (`tests/cli/test_cli.py::test_x`), from JUnit's dotted name
        (`tests.cli.test_cli`, or `corpus.boundaries.yaml` for a corpus file)."""
        parts = item.where.split(".")
        if len(parts) >= 2 and (self.root / "/".join(parts[:-2]) / ".".join(parts[-2:])).is_file():
            return f"{'/'.join(parts[:-2])}/{'.'.join(parts[-2:])}::{item.name}"
        for end in range(len(parts), 0, -1):
            module = "/".join(parts[:end]) + ".py"
            if (self.root / module).is_file():
                return "::".join([module, *parts[end:], item.name])
        return str(item)


@dataclass
class Started:
    root: Path
    edit: Edit
    process: subprocess.Popen[str]
    report: Path

    def finish(self) -> Scratch | Exception:
        try:
            run = finish_pytest(self.process, self.report, timeout=TIMEOUT)
        except subprocess.TimeoutExpired as error:
            self.process.kill()
            self.process.communicate()
            return error
        return Scratch(self.root, self.edit, run)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def start_scratch_runs(base: Path) -> dict[str, Started | Exception]:
    """Every edit applied to its own copy under `base`, and the copies' suites started at once,
    at a lower priority than the suite that started them."""
    started: dict[str, Started | Exception] = {}
    for name, apply in EDITS.items():
        root = copy_repository(base / name)
        try:
            edit = apply(root)
        except Exception as error:
            started[name] = error
            continue
        # A temporary folder of its own, apart from the copy: a checkout is not inside the
        # temporary folder (tests check that no temporary path is ever shown).
        temporary = base / f"{name}-tmp"
        temporary.mkdir()
        environment = {
            "HYPOTHESIS_PROFILE": "dev",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(root / "src"), os.environ.get("PYTHONPATH")])),
            "TMPDIR": str(temporary),
        }
        # The tests on the local Spark session too: the outer run has them, and an
        # environment without the spark extra (the wheel's in CI) cannot start one.
        arguments = [
            *(f"--ignore={path}" for path in LEFT_OUT),
            *(f"--deselect={node}" for node in DESELECTED),
            "-m",
            "not spark",
        ]
        report = base / f"{name}-report.xml"
        process = start_pytest(arguments, root, report, environment, nice=10)
        started[name] = Started(root, edit, process, report)
    return started


# Started by `start_early` (called from conftest.py once the items are collected), so that
# the copies' runs go beside the rest of the suite rather than after it.
_early: dict[str, Started | Exception] | None = None


def start_early(config: pytest.Config) -> None:
    global _early
    _early = background.start_early(config, "billability-scratch-", start_scratch_runs)


@pytest.fixture(scope="module")
def scratch_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Scratch | Exception]]:
    """The finished runs of the copies' suites (started early when conftest.py could)."""
    started = _early if _early is not None else start_scratch_runs(tmp_path_factory.mktemp("scratch"))
    try:
        yield {name: found.finish() if isinstance(found, Started) else found for name, found in started.items()}
    finally:
        for found in started.values():
            if isinstance(found, Started):
                found.stop()


def _scratch(runs: dict[str, Scratch | Exception], name: str) -> Scratch:
    found = runs[name]
    # What went wrong is said in words, without a traceback: the edit found nothing to edit
    # (MissingAnchor) or an assertion of its own failed, the edited copy does not load, or
    # the copy's suite ran out of time.
    if isinstance(found, AssertionError):
        pytest.fail(f"the edit could not be made: {found}", pytrace=False)
    if isinstance(found, Problems):
        pytest.fail(f"after the edit, the copy's policy or corpus does not load:\n{found}", pytrace=False)
    if isinstance(found, subprocess.TimeoutExpired):
        pytest.fail(f"the scratch copy's suite did not finish within {TIMEOUT} s", pytrace=False)
    if isinstance(found, Exception):
        raise found
    if not found.run.items:
        pytest.fail(f"the scratch copy's suite reported nothing:\n{found.run.output[-4000:]}", pytrace=False)
    return found


def is_corpus_case(item: Item) -> bool:
    """An item of the repository's corpus: collected from corpus/*.yaml (JUnit names its
    file `corpus.<file>.yaml`), or the check of the corpus as a whole (`corpus`)."""
    return item.where == "corpus" or (item.where.startswith("corpus.") and item.where.endswith((".yaml", ".yml")))


def _listed(scratch: Scratch, items: list[Item]) -> str:
    """The items by file (how many in each), then each item with the first line of its failure."""
    named = sorted(((scratch.node_id(item), item) for item in items), key=lambda pair: pair[0])
    files = Counter(node.partition("::")[0] for node, _ in named)
    lines = [f"  {file}: {count}" for file, count in sorted(files.items())]
    for node, item in named:
        first = next((line for line in item.text.splitlines() if line.strip()), "")
        lines.append(f"    {node}  ({item.outcome}: {first[:160]})")
    return "\n".join(lines)


def _assert_only_corpus_fails(scratch: Scratch, expected_cases: set[str]) -> None:
    failed = scratch.run.failed
    others = [item for item in failed if not is_corpus_case(item)]
    cases = {item.name for item in failed if is_corpus_case(item) and item.name in scratch.edit.case_names}
    # Items of corpus files that are not cases (a file's own problems, the checks of the
    # corpus as a whole) may fail only with the cases, when the edit fails some.
    checks = [item for item in failed if is_corpus_case(item) and item.name not in scratch.edit.case_names]
    problems = []
    if others:
        problems.append(f"items other than corpus cases that fail ({len(others)}):\n{_listed(scratch, others)}")
    if checks and not expected_cases:
        problems.append(f"corpus items other than cases that fail ({len(checks)}):\n{_listed(scratch, checks)}")
    if cases != expected_cases:
        problems.append(
            "the failing corpus cases are not the ones the edit changes:\n"
            f"  failing but not expected: {sorted(cases - expected_cases)}\n"
            f"  expected but not failing: {sorted(expected_cases - cases)}"
        )
    assert not problems, (
        f"after the edit ({scratch.edit.summary}), of the {len(scratch.run.items)} items of the copy's suite ({scratch.run.seconds:.0f} s):\n"
        + "\n".join(problems)
    )


@pytest.mark.parametrize("name", list(EDITS))
def test_a_maintainers_edit_fails_only_the_corpus_cases_it_changes(
    scratch_runs: dict[str, Scratch | Exception], name: str
) -> None:
    scratch = _scratch(scratch_runs, name)
    expected = scratch.edit.failing_cases
    _assert_only_corpus_fails(scratch, expected)
    assert (scratch.run.status == 0) == (not expected), scratch.run.output[-2000:]
