"""The site's page "Audit service records" (docs/pages/audit.md) does what it says.

Its `billability` commands run as written, from a copy of the checkout's policy and
example files in a temporary folder, with the `billability` program of this
interpreter; the summary the page shows is what the first of them prints, and the
report it shows is what the first of them writes, made again at every build so that a
policy change shows there; its Python (the Spark script and the Databricks cell) is
valid Python that names what exists; and the words in capitals of its prose are in the
glossary. The Spark commands themselves are not run (they need a Spark installation).
"""

from __future__ import annotations

import ast
import csv
import os
import re
import shlex
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from billability.model.diagnostics import Problems
from billability.policy.compile import load_policy
from billability.site.audit_page import LIGHT_LINES, MARKER, example_reports, fill_examples, report_path
from policy_texts import CHECKOUT
from site_builds import build_site, failing_cases
from site_words import capitalised, glossary_terms

PAGE = CHECKOUT / "docs" / "pages" / "audit.md"
EXAMPLES = CHECKOUT / "docs" / "audit"
PROGRAM = Path(sys.executable).with_name("billability")
# The commands' own subcommands this test runs; the others (spark-submit) need Spark.
RUN = {"audit", "sql"}
OUTCOMES = {"billable", "not_billable", "needs_review", "undetermined", "invalid", "not_audited"}


def fenced_blocks(markdown: str) -> list[tuple[str, str]]:
    """(language, text) of each fenced block of a page."""
    return [(found[1], found[2]) for found in re.finditer(r"^```(\w*)\n(.*?)^```$", markdown, flags=re.M | re.S)]


def page_commands() -> list[str]:
    """The command lines of the page's shell blocks."""
    return [
        line.strip() for language, text in fenced_blocks(PAGE.read_text(encoding="utf-8")) if language == "sh"
        for line in text.splitlines() if line.strip()
    ]  # fmt: skip


def billability_commands() -> list[list[str]]:
    return [shlex.split(line) for line in page_commands() if line.startswith("billability ")]


@pytest.fixture(scope="module")
def filled_page() -> str:
    """The page as the site shows it, its examples filled in from the checkout."""
    return fill_examples(PAGE.read_text(encoding="utf-8"), CHECKOUT, load_policy(CHECKOUT / "policy"))


@pytest.fixture
def checkout_copy(tmp_path: Path) -> Path:
    """A folder holding the checkout's policy and example files, as the page's commands expect."""
    shutil.copytree(CHECKOUT / "policy", tmp_path / "policy")
    shutil.copytree(EXAMPLES, tmp_path / "docs" / "audit", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def run(arguments: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    assert PROGRAM.is_file(), f"no `billability` beside {sys.executable}: pip install -e ."
    return subprocess.run(
        [str(PROGRAM), *arguments[1:]],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "COLUMNS": "80"},
    )


def option(arguments: list[str], *names: str) -> str | None:
    for name in names:
        if name in arguments:
            return arguments[arguments.index(name) + 1]
    return None


def test_the_page_shows_commands_for_audit_and_sql() -> None:
    subcommands = [arguments[1] for arguments in billability_commands()]
    assert set(subcommands) == RUN, subcommands
    assert any(line.startswith("spark-submit ") for line in page_commands())


@pytest.mark.parametrize("arguments", billability_commands(), ids=shlex.join)
def test_each_command_of_the_page_runs_as_written(arguments: list[str], checkout_copy: Path) -> None:
    result = run(arguments, checkout_copy)
    output = option(arguments, "-o", "--output")
    if arguments[1] == "sql":
        assert result.returncode == 0, result.stderr
        assert output is not None
        query = (checkout_copy / output).read_text(encoding="utf-8")
        assert option(arguments, "--table") in query
        return

    failing = set((option(arguments, "--fail-on") or "").split(",")) - {""}
    assert failing <= OUTCOMES
    assert result.returncode in ({0, 1} if failing else {0}), result.stderr
    assert output is not None, "each audit command of the page writes its rows"
    with open(checkout_copy / arguments[2], newline="", encoding="utf-8") as file:
        exported = list(csv.reader(file))
    # With `--bom` the output starts with a byte order mark, and only then.
    assert (checkout_copy / output).read_bytes().startswith(b"\xef\xbb\xbf") == ("--bom" in arguments)
    with open(checkout_copy / output, newline="", encoding="utf-8-sig") as file:
        audited = list(csv.DictReader(file))
    # Every row in is a row out, in order, with its own cells unchanged.
    assert len(audited) == len(exported) - 1
    assert [row["row"] for row in audited] == [str(n) for n in range(1, len(audited) + 1)]
    assert [[row[column] for column in exported[0]] for row in audited] == exported[1:]
    assert {row["outcome"] for row in audited} <= OUTCOMES
    occurred = failing & {row["outcome"] for row in audited}
    assert result.returncode == (1 if occurred else 0), result.stderr
    assert ("failing because of --fail-on" in result.stderr) == bool(occurred)
    report = option(arguments, "--report")
    if report is not None:
        assert (checkout_copy / report).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_summary_on_the_page_is_what_the_audit_prints(filled_page: str, checkout_copy: Path) -> None:
    arguments = billability_commands()[0]
    assert arguments[1] == "audit"
    printed = run(arguments, checkout_copy)
    assert printed.returncode == 0, printed.stderr
    summary = printed.stdout.split("\nwrote the ")[0].translate(LIGHT_LINES)
    shown = [text for language, text in fenced_blocks(filled_page) if language == "text"]
    assert [text.rstrip() for text in shown] == [summary.rstrip()]


def test_the_page_shows_the_example_files_as_they_are(filled_page: str) -> None:
    assert MARKER.search(filled_page) is None
    shown = [text for _, text in fenced_blocks(filled_page)]
    for name in ("mapping.yaml", "audit_spark.py"):
        assert (EXAMPLES / name).read_text(encoding="utf-8") in shown


def test_a_marker_naming_no_file_stops_the_build(tmp_path: Path) -> None:
    page = "# Audit\n\n<!-- file: docs/audit/gone.yaml -->\n"
    with pytest.raises(Problems) as raised:
        fill_examples(page, tmp_path, load_policy(CHECKOUT / "policy"))
    assert [d.code for d in raised.value.diagnostics] == ["site.example"]


def test_the_pages_python_is_valid_and_names_what_exists(filled_page: str) -> None:
    script = ast.parse((EXAMPLES / "audit_spark.py").read_text(encoding="utf-8"))
    defined = {node.name for node in script.body if isinstance(node, ast.FunctionDef)} | {
        target.id
        for node in script.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    cells = [text for language, text in fenced_blocks(filled_page) if language == "python"]
    assert len(cells) == 3, "the Spark script, the Databricks cell and the audit from Python"
    for cell in cells:
        tree = ast.parse(cell)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "audit_spark":
                assert {alias.name for alias in node.names} <= defined
    submitted = next(shlex.split(line) for line in page_commands() if line.startswith("spark-submit "))
    assert (CHECKOUT / submitted[1]).is_file()
    # The query file, the records and the result: what `main` takes.
    (main,) = [node for node in script.body if isinstance(node, ast.FunctionDef) and node.name == "main"]
    assert len(submitted) - 2 == len(main.args.args) == 3


def test_the_audit_from_python_on_the_page_runs_as_written(filled_page: str, checkout_copy: Path) -> None:
    (cell,) = [text for language, text in fenced_blocks(filled_page) if language == "python" and "audit_file" in text]
    result = subprocess.run(
        [sys.executable, "-c", cell], cwd=checkout_copy, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    with (checkout_copy / "docs/audit/ehr-export.csv").open(newline="", encoding="utf-8-sig") as export:
        rows = sum(1 for _ in csv.DictReader(export))
    assert re.fullmatch(rf"{rows} rows audited, [1-9][0-9]* invalid\n", result.stdout), result.stdout
    assert (checkout_copy / "audit.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    # The same rows as the page's first command writes to the same file.
    by_python = (checkout_copy / "audited.csv").read_bytes()
    arguments = billability_commands()[0]
    assert option(arguments, "-o", "--output") == "audited.csv"
    assert run(arguments, checkout_copy).returncode == 0
    assert (checkout_copy / "audited.csv").read_bytes() == by_python


def test_the_report_on_the_page_is_what_the_audit_writes(filled_page: str, checkout_copy: Path) -> None:
    arguments = billability_commands()[0]
    report = option(arguments, "--report")
    assert arguments[1] == "audit" and report is not None, "the page's first command writes a report"
    started = datetime.now(UTC).replace(microsecond=0)
    written = run(arguments, checkout_copy)
    assert written.returncode == 0, written.stderr
    reports = example_reports(PAGE.read_text(encoding="utf-8"), CHECKOUT, load_policy(CHECKOUT / "policy"))
    # The same page, but for the time the audit ran, which the site's example leaves out
    # (it is made again at every build) and the page says so.
    text = (checkout_copy / report).read_text(encoding="utf-8")
    run_at = re.search(r'<dd><time datetime="([^"]+)">\1</time> \(UTC\)</dd>', text)
    assert run_at is not None
    assert started <= datetime.fromisoformat(run_at.group(1)) <= datetime.now(UTC)
    unrecorded = text.replace(run_at.group(0), "<dd>not recorded</dd>")
    assert reports == {report_path(arguments[2]): unrecorded}
    assert "the time it ran is not recorded" in " ".join(PAGE.read_text(encoding="utf-8").split())
    # The page frames the report, with a title, and links it, from the page's own address.
    address = re.escape(report_path(arguments[2]))
    assert re.search(rf'<iframe src="{address}" title="The audit report of [^"]+"[^>]*></iframe>', filled_page)
    assert re.search(rf'<a href="{address}">', filled_page)


def test_the_reports_address_is_reached_from_the_pages_own(tmp_path: Path) -> None:
    page = "# Audit\n\n<!-- audit report: docs/audit/ehr-export.csv docs/audit/mapping.yaml -->\n"
    policy = load_policy(CHECKOUT / "policy")
    for url, address in (("audit/", "ehr-export-report.html"), ("audit.html", "audit/ehr-export-report.html")):
        filled = fill_examples(page, CHECKOUT, policy, url)
        assert f'<iframe src="{address}"' in filled and f'<a href="{address}">' in filled


def test_a_report_marker_naming_no_file_stops_the_build(tmp_path: Path) -> None:
    page = "# Audit\n\n<!-- audit report: docs/audit/gone.csv docs/audit/mapping.yaml -->\n"
    with pytest.raises(Problems) as raised:
        example_reports(page, CHECKOUT, load_policy(CHECKOUT / "policy"))
    assert [d.code for d in raised.value.diagnostics] == ["site.example"]


def test_the_site_shows_the_report_under_the_policy_it_is_built_from(tmp_path: Path) -> None:
    # A maintainer raises the version, in effect from today: the next build shows the report
    # under it, with no picture to remake. (The copy's version is the checkout's with `-next`
    # added, whatever it is.)
    if failing_cases():
        pytest.skip("the checkout's corpus fails, so its site is not built")
    checkout, site = tmp_path / "checkout", tmp_path / "site"
    for folder in ("policy", "corpus", "docs"):
        shutil.copytree(CHECKOUT / folder, checkout / folder, ignore=shutil.ignore_patterns("__pycache__"))
    before = load_policy(checkout / "policy").version
    settings = checkout / "policy" / "policy.yaml"
    text, raised = re.subn(
        r'^(\s+version:\s*)"?[^"\n]+"?\s*$', rf'\g<1>"{before}-next"', settings.read_text(encoding="utf-8"), flags=re.M
    )
    assert raised == 1
    text, moved = re.subn(
        r'^(\s+effective_from:\s*)"?[^"\n]+"?\s*$', rf'\g<1>"{date.today().isoformat()}"', text, flags=re.M
    )
    assert moved == 1
    settings.write_text(text, encoding="utf-8")
    result = build_site(site, checkout / "docs" / "mkdocs.yml")
    assert result.returncode == 0, result.stderr
    report = site / report_path(billability_commands()[0][2])
    shown = report.read_text(encoding="utf-8")
    assert f"version {before}-next," in shown and f"version {before}," not in shown
    frame = re.search(r'<iframe src="([^"]+)"', (site / "audit" / "index.html").read_text(encoding="utf-8"))
    assert frame is not None
    assert (site / "audit" / frame.group(1)).resolve() == report.resolve()


def test_the_words_in_capitals_of_the_page_are_in_the_glossary() -> None:
    prose = re.sub(r"^```.*?^```$", "", PAGE.read_text(encoding="utf-8"), flags=re.M | re.S)
    prose = re.sub(r"`[^`]*`|\]\([^)]*\)|<!--.*?-->", " ", prose)
    assert sorted(capitalised(prose) - glossary_terms()) == []
