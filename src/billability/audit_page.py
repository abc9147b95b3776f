"""The examples of the site's audit page, as they are at each build.

In: a page's Markdown, the checkout it is built from and that checkout's policy.
Out: the same Markdown with each marker line replaced by a fenced block:

- `<!-- file: docs/audit/mapping.yaml -->`: the file's text, as it is;
- `<!-- audit summary: docs/audit/ehr-export.csv docs/audit/mapping.yaml -->`: what
  `billability audit` prints for that export and mapping under the policy.

So the page never shows a mapping or a summary that differs from the files and the
policy beside it. A marker naming a file that is missing, or a mapping the policy
refuses, raises `Problems` (the build stops).
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from billability.audit import audit
from billability.diagnostics import Diagnostic, Problems
from billability.engines import ENGINES
from billability.mapping import bind, load_mapping
from billability.model import Policy
from billability.records import open_export
from billability.report import summary_tables

MARKER = re.compile(r"^<!-- (file|audit summary): (.+?) -->$", flags=re.M)
# Wide enough for the summary's tables, narrow enough for the page's code blocks.
WIDTH = 80
# The tables' heavy lines as light ones, which every monospace font of a browser draws
# aligned (the terminal draws either).
LIGHT_LINES = str.maketrans("┏┓┗┛━┃┳┻╋┡┩╇┢┪╈", "┌┐└┘─│┬┴┼├┤┼├┤┼")
LANGUAGES = {".yaml": "yaml", ".yml": "yaml", ".csv": "text", ".py": "python"}


def fill_examples(markdown: str, root: Path, policy: Policy) -> str:
    """The page with every marker replaced (see the module docstring)."""
    problems: list[Diagnostic] = []

    def filled(found: re.Match[str]) -> str:
        marker, kind, names = found.group(0), found.group(1), found.group(2).split()
        expected = 1 if kind == "file" else 2
        if len(names) != expected:
            what = "a path" if kind == "file" else "the export's path, then the mapping's"
            problems.append(
                Diagnostic("site.example", f"`{marker}` names {len(names)} files, not {expected}", hint=f"give {what}")
            )
            return marker
        missing = [name for name in names if not (root / name).is_file()]
        if missing:
            problems.append(
                Diagnostic(
                    "site.example",
                    f"`{marker}` names `{missing[0]}`, which the checkout does not have",
                    hint="paths are relative to the checkout, as `docs/audit/mapping.yaml`",
                )
            )
            return marker
        if kind == "file":
            path = root / names[0]
            return _fenced(path.read_text(encoding="utf-8"), LANGUAGES.get(path.suffix, "text"))
        try:
            return _fenced(audit_summary(root, names[0], names[1], policy), "text")
        except Problems as error:
            problems.extend(error.diagnostics)
            return marker

    page = MARKER.sub(filled, markdown)
    if problems:
        raise Problems(problems)
    return page


def audit_summary(root: Path, records: str, mapping: str, policy: Policy) -> str:
    """What `billability audit RECORDS --map MAPPING` prints, run from `root`, as plain text."""
    export = open_export(root / records)
    binding = bind(load_mapping(root / mapping, policy, export.columns), policy, export.columns)
    summary = replace(audit(export, binding, policy, ENGINES["python"](policy)), source=records)
    console = Console(width=WIDTH, record=True, color_system=None, highlight=False, file=io.StringIO())
    console.print(summary_tables(summary), soft_wrap=True)
    return console.export_text().translate(LIGHT_LINES)


def _fenced(text: str, language: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"
