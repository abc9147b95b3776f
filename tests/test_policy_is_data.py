"""The guarantee this project sells: a maintainer changes the policy and the corpus, and
nothing else. Only the corpus pins what the bundled policy decides.

Each test copies the repository to a scratch folder, makes there one edit a maintainer
would make to `policy/` (and `corpus/`), and runs the copy's whole test suite with this
interpreter:

- the hand-off window moved by 15 days: the only failing items are corpus cases, and
  they are exactly the cases between the old and the new bound;
- a new activity with its billable rule and a case: everything passes;
- the fact `documented` renamed `note_documented` in the policy and the corpus:
  everything passes.

The edits are found in the policy's own text; when an edit's anchor is gone the test
fails and says which, rather than passing vacuously. The copy is a git repository with
the unedited files committed, so the edit is a change in the working tree, as it is
for a maintainer. The copy's `src/` comes first on the import path, so the package the
inner suite imports, and the policy it bundles, are the edited copy's (as in an editable
install of the checkout being edited). Each inner suite has a temporary folder of its
own, apart from its copy, as a checkout is apart from the temporary folder.

The inner runs leave out this module (it would copy itself without end),
tests/test_browser.py, tests/test_accessibility.py, tests/test_checker_browser.py and
tests/test_summary_browser.py (they drive Chromium against the built site, whose content tests/test_site.py and
tests/test_checker.py check in the inner runs) and tests/test_decide_browser.py (it
drives Chromium over the diagram's JSON form, which tests/test_diagram.py walks in the
inner runs), and tests/test_sql_spark.py (it starts Spark for the policy's SQL query,
which tests/test_sql.py runs in DuckDB in the inner runs). They use the fast Hypothesis profile
(`dev`), start as soon as pytest has selected these tests (see conftest.py), and run
at the same time as each other and as the rest of the suite, at a lower priority.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from billability.compile import load_policy
from billability.corpus import load_cases, run_cases
from billability.model import Is, Outcome
from inner_pytest import Item, Run, finish_pytest, start_pytest
from policy_texts import CHECKOUT

# Left out of the inner runs: this module, the browser tests and the Spark tests (see the docstring).
LEFT_OUT = (
    "tests/test_policy_is_data.py",
    "tests/test_browser.py",
    "tests/test_accessibility.py",
    "tests/test_checker_browser.py",
    "tests/test_decide_browser.py",
    "tests/test_summary_browser.py",
    "tests/test_sql_spark.py",
)
# The longest an inner suite may take before it is stopped and reported.
TIMEOUT = 1200
# Ignored when the repository is copied without git.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", ".ci-venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis",
    "site", "build", "dist", "*.egg-info",
)  # fmt: skip


class MissingAnchor(AssertionError):
    """The text an edit looks for is not in the policy any more: the edit must be rewritten."""


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


# --- copying the repository ------------------------------------------------------------------


def _git(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = ["git", "-c", "user.name=scratch", "-c", "user.email=scratch@example.org", *arguments]
    try:
        return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    except OSError as error:  # no git here: copy the files without it
        return subprocess.CompletedProcess(command, 127, "", str(error))


def copy_repository(target: Path) -> Path:
    """The repository's files (tracked and untracked but not ignored, as they are on disk) in
    `target`, committed to a fresh git repository there."""
    listed = _git(CHECKOUT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listed.returncode == 0:
        for name in filter(None, listed.stdout.split("\0")):
            source = CHECKOUT / name
            if source.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
    else:
        shutil.copytree(CHECKOUT, target, ignore=NOT_COPIED, dirs_exist_ok=True)
    if _git(target, "init", "-q").returncode == 0:
        _git(target, "add", "-A")
        _git(target, "commit", "-q", "-m", "the repository before the edit")
    return target


def _read(root: Path, name: str) -> str:
    path = root / name
    if not path.is_file():
        raise MissingAnchor(f"{name} is not in the repository any more: rewrite this edit")
    return path.read_text(encoding="utf-8")


# --- the three edits -------------------------------------------------------------------------

WINDOW_FILE = "policy/rules/connection.yaml"
WINDOW_MOVE = 15


def move_the_window(root: Path) -> Edit:
    """The transitional-care window of rules/connection.yaml moved from N to N + 15 days,
    the reason's words with it (the table's quote stays as the county wrote it)."""
    text = _read(root, WINDOW_FILE)
    found = re.search(r"^(\s+)(\w+):\n\1  more_than: (\d+)$", text, flags=re.M)
    if found is None:
        raise MissingAnchor(f"no `more_than:` bound in {WINDOW_FILE}: rewrite this edit")
    fact, bound = found.group(2), int(found.group(3))
    moved = bound + WINDOW_MOVE
    text = text[: found.start(3)] + str(moved) + text[found.end(3) :]
    text = re.sub(
        rf"^(\s+reason: .*)\bwithin {bound} days\b",
        lambda match: f"{match.group(1)}within {moved} days",
        text,
        flags=re.M,
    )
    (root / WINDOW_FILE).write_text(text, encoding="utf-8")
    # The corpus cases the edit must fail: those the edited policy decides otherwise.
    policy = load_policy(root / "policy")
    results = run_cases(policy, load_cases([root / "corpus"], policy))
    failing = {result.case.name: result.case for result in results if not result.passed}
    assert failing, f"no corpus case pins the bound {bound} of `{fact}`: the corpus should fail after the edit"
    outside = [name for name, case in failing.items() if not bound < case.facts.get(fact, -1) <= moved]
    assert outside == [], f"cases fail that are not between {bound} and {moved} days: {outside}"
    summary = f"{WINDOW_FILE}: `{fact}` `more_than: {bound}` -> `more_than: {moved}`"
    return Edit(summary, {result.case.name for result in results}, set(failing))


NEW_VALUE = "housing_navigation"
NEW_RULE = "housing-navigation"


def add_an_activity(root: Path) -> Edit:
    """A new Connection activity in facts.yaml, its billable rule in rules/connection.yaml
    (quoting a statement that rule file already quotes), and a corpus case quoting nothing."""
    policy = load_policy(root / "policy")
    cases = load_cases([root / "corpus"], policy)
    # The case to follow: the one with fewest facts decided billable by a rule of
    # rules/connection.yaml on the activity alone; the new rule quotes what that rule quotes.
    followed = sorted(
        (
            (len(result.case.facts), index, result.case, rule)
            for index, result in enumerate(run_cases(policy, cases))
            if result.decision.outcome is Outcome.BILLABLE
            and len(result.decision.rules) == 1
            and (rule := policy.rule(result.decision.rules[0])).location is not None
            and rule.location.file.endswith("rules/connection.yaml")
            and isinstance(rule.when, Is)
            and rule.when.fact == "activity"
        ),
        key=lambda found: found[:2],
    )
    if not followed:
        raise MissingAnchor("no corpus case is decided billable by an activity rule of rules/connection.yaml")
    _, _, model, model_rule = followed[0]

    facts = _read(root, "policy/facts.yaml")
    block = re.search(r"^  activity:\n(?:(?:    .*)?\n)+", facts, flags=re.M)
    if block is None or "        topic: connection\n" not in block.group(0):
        raise MissingAnchor("policy/facts.yaml has no `activity` fact with a value of topic `connection`")
    insert_at = (
        block.start() + block.group(0).rindex("        topic: connection\n") + len("        topic: connection\n")
    )
    value = f"      {NEW_VALUE}:\n        label: Helping the client find housing\n        topic: connection\n"
    (root / "policy" / "facts.yaml").write_text(facts[:insert_at] + value + facts[insert_at:], encoding="utf-8")

    rules = _read(root, "policy/rules/connection.yaml")
    rule_text = (
        f"\n  - id: {NEW_RULE}\n    title: Helping clients find housing\n    topic: connection\n"
        f"    outcome: billable\n    when:\n      activity: {NEW_VALUE}\n"
        f"    reason: helping a client find housing is a Connection activity\n"
        f"    source:\n      - {json.dumps(model_rule.quotes[0], ensure_ascii=False)}\n"
    )
    (root / "policy" / "rules" / "connection.yaml").write_text(rules.rstrip("\n") + "\n" + rule_text, encoding="utf-8")

    case_facts = {**model.facts, "activity": NEW_VALUE}
    (root / "corpus" / "housing-navigation.yaml").write_text(
        "cases:\n"
        "  - name: Helping a client find housing is billable\n"
        f"    facts: {json.dumps(case_facts)}\n"
        f"    expect: {{outcome: billable, rules: [{NEW_RULE}]}}\n",
        encoding="utf-8",
    )
    summary = f"activity `{NEW_VALUE}` added with rule `{NEW_RULE}` and a case (following `{model.name}`)"
    return Edit(summary, _case_names(root))


OLD_FACT, NEW_FACT = "documented", "note_documented"
# The fact's name where YAML holds it as a name: a key (`documented:`), an item of a flow
# list (`[..., documented, ...]`) or of a block list (`- documented`); never prose.
FACT_NAME = re.compile(
    rf"(?<![\w-]){OLD_FACT}(?=:(?:\s|$))"
    rf"|(?<=[\[,])(\s*){OLD_FACT}(?=\s*[,\]])"
    rf"|^(\s*-\s+){OLD_FACT}(?=\s*$)",
    flags=re.M,
)


def rename_a_fact(root: Path) -> Edit:
    """`documented` renamed `note_documented` in every YAML file of policy/, corpus/ and docs/."""
    if not re.search(rf"^  {OLD_FACT}:$", _read(root, "policy/facts.yaml"), flags=re.M):
        raise MissingAnchor(f"policy/facts.yaml declares no fact `{OLD_FACT}`")
    changed = {}
    for folder in ("policy", "corpus", "docs"):
        for path in sorted((root / folder).rglob("*.y*ml")):
            text = path.read_text(encoding="utf-8")
            renamed, count = FACT_NAME.subn(lambda match: (match.group(1) or match.group(2) or "") + NEW_FACT, text)
            if count:
                path.write_text(renamed, encoding="utf-8")
                changed[path.relative_to(root).as_posix()] = count
    assert any(name.startswith("corpus/") for name in changed), f"no corpus file names `{OLD_FACT}`"
    summary = f"`{OLD_FACT}` renamed `{NEW_FACT}` in " + ", ".join(f"{name} ({n})" for name, n in changed.items())
    return Edit(summary, _case_names(root))


EDITS: dict[str, Callable[[Path], Edit]] = {
    "window": move_the_window,
    "activity": add_an_activity,
    "rename": rename_a_fact,
}


# --- running the copies' suites --------------------------------------------------------------


@dataclass
class Scratch:
    root: Path
    edit: Edit
    run: Run

    def node_id(self, item: Item) -> str:
        """The item as pytest names it (`tests/test_cli.py::test_x`), from JUnit's dotted name
        (`tests.test_cli`, or `corpus.boundaries.yaml` for a corpus file)."""
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
        arguments = [f"--ignore={path}" for path in LEFT_OUT]
        report = base / f"{name}-report.xml"
        process = start_pytest(arguments, root, report, environment, nice=10)
        started[name] = Started(root, edit, process, report)
    return started


# Started by `start_early` (called from conftest.py once the items are collected), so that
# the copies' suites run beside the rest of the suite rather than after it.
_early: dict[str, Started | Exception] | None = None


def start_early(config: pytest.Config) -> None:
    global _early
    base = Path(tempfile.mkdtemp(prefix="billability-scratch-"))
    config.add_cleanup(lambda: shutil.rmtree(base, ignore_errors=True))
    try:
        started = start_scratch_runs(base)
    except Exception:
        return  # the fixture tries again, where the failure is reported as the test's
    _early = started

    def stop() -> None:
        for found in started.values():
            if isinstance(found, Started):
                found.stop()

    config.add_cleanup(stop)


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
    if isinstance(found, MissingAnchor):
        pytest.fail(str(found), pytrace=False)
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
