"""The staff site's navigation, with its list of topic pages taken from the policy.

In: the navigation of the site's MkDocs configuration (its `nav:`, as MkDocs read it),
the text and path of that configuration, and the compiled `Policy`.
Out: the same navigation with its `Topics` section (written `- Topics: []`) listing the
page of each topic of the policy (`topics/<topic>.md`, `placement.topic_path`), in the
policy's order, so a topic added to `policy/policy.yaml` shows in the navigation at the
next build and a topic removed from it goes. A navigation with no `Topics` section, or
one that lists pages there by hand, raises `Problems` located in the configuration.
A configuration without `nav:` (MkDocs then lists every page itself) stays without one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.policy.compiled import Policy
from billability.site.placement import topic_path

TOPICS = "Topics"
EMPTY_SECTION = f"- {TOPICS}: []"


def with_topic_pages(nav: Sequence[Any] | None, policy: Policy, config_text: str, config_name: str) -> list[Any] | None:
    """The navigation with its `Topics` section holding the policy's topic pages (see the module docstring)."""
    if nav is None:
        return None
    sections = [n for n, item in enumerate(nav) if isinstance(item, dict) and TOPICS in item]
    if len(sections) != 1:
        found = "no" if not sections else f"{len(sections)}"
        raise Problems(
            [
                Diagnostic(
                    "site.nav-topics",
                    f"the navigation has {found} `{TOPICS}` section{'s' if sections else ''}; "
                    "it needs one, where each build lists the pages of the policy's topics",
                    _where(config_text, config_name, r"^nav\s*:" if not sections else rf"^\s*-\s*{TOPICS}\s*:"),
                    hint=f"write `{EMPTY_SECTION}` once under `nav:`",
                )
            ]
        )
    listed = nav[sections[0]][TOPICS]
    if listed:
        raise Problems(
            [
                Diagnostic(
                    "site.nav-topics",
                    f"the `{TOPICS}` section of the navigation lists pages by hand, "
                    "but each build lists there the pages of the topics in policy/policy.yaml",
                    _where(config_text, config_name, rf"^\s*-\s*{TOPICS}\s*:"),
                    hint=f"write it as `{EMPTY_SECTION}`; a new topic in the policy then shows on its own",
                )
            ]
        )
    filled = list(nav)
    filled[sections[0]] = {TOPICS: [topic_path(topic.name) for topic in policy.topics]}
    return filled


def _where(config_text: str, config_name: str, pattern: str) -> Location:
    """The first line of the configuration matching `pattern`, at its first word."""
    for number, line in enumerate(config_text.splitlines(), start=1):
        if re.match(pattern, line):
            return Location(config_name, number, len(line) - len(line.lstrip(" -")) + 1)
    return Location(config_name)
