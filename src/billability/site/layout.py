"""The staff site's page paths, the links between its pages, and the blocks pages share.

In: the path of the page a link is written on, and a page's path, a rule or a title; a
reason; the paths of the site's pages.
Out: the relative Markdown link target (`../topics/travel.md#rule-id`), a heading's
anchor, a reason worded after a colon and the checker's button (when the site has the
checker), so every page links and words these the same way wherever it sits.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection

from billability.model.policy import Rule
from billability.policy.wording import md
from billability.site.placement import topic_path

HOME = "index.md"
CONTRASTS = "contrasts.md"
HOW_DECISIONS = "how-decisions-are-made.md"
SUMMARY = "summary/index.md"
GLOSSARY = "glossary.md"  # written by hand
CHECKER = "check/index.md"  # the step-by-step checker, linked when the site has it
CHANGES = "changes.md"  # what changed between versions, linked when the site has it


def rule_link(here: str, rule: Rule) -> str:
    """The link from the page at `here` to the rule's section on its topic page."""
    return f"{relative(here, topic_path(rule.topic))}#{rule.id}"


def relative(here: str, target: str) -> str:
    """The link from the page at `here` to the page at `target`."""
    return posixpath.relpath(target, posixpath.dirname(here) or ".")


def anchor(title: str) -> str:
    """A heading's anchor: its words in lower case, joined by hyphens."""
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join(words)


def checker_link(here: str, present: Collection[str]) -> list[str]:
    """The button to the step-by-step checker, when the site has it."""
    if CHECKER not in present:
        return []
    return [
        f"[Check a situation step by step]({relative(here, CHECKER)}){{ .md-button .md-button--primary }}",
        "",
    ]


def clause(text: str) -> str:
    """A reason after a colon: as written, lower case first, with a final stop."""
    text = text.strip().rstrip(".")
    return md(text) + "."
