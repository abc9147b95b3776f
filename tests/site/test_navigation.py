"""The site's navigation takes its list of topic pages from the policy (the clinic fixture's
topics here; tests/site/test_site.py builds a site with a topic added and one removed)."""

from __future__ import annotations

import pytest

from billability.model.diagnostics import Location, Problems
from billability.policy.compiled import Policy
from billability.site.navigation import with_topic_pages

CONFIG = """\
site_name: A site
nav:
  - Home: index.md
  - Topics: []
  - glossary.md
"""
NAV = [{"Home": "index.md"}, {"Topics": []}, "glossary.md"]


def test_the_topics_section_lists_each_topic_page_in_the_policys_order(clinic: Policy) -> None:
    filled = with_topic_pages(NAV, clinic, CONFIG, "docs/mkdocs.yml")
    assert filled == [
        {"Home": "index.md"},
        {"Topics": ["topics/credential.md", "topics/connection.md", "topics/communication.md"]},
        "glossary.md",
    ]
    assert NAV[1] == {"Topics": []}, "the navigation MkDocs read is left as it was"


def test_a_configuration_without_a_navigation_keeps_none(clinic: Policy) -> None:
    assert with_topic_pages(None, clinic, "site_name: A site\n", "docs/mkdocs.yml") is None


@pytest.mark.parametrize(
    ("nav", "config", "location"),
    [
        pytest.param(
            [{"Home": "index.md"}, {"Topics": ["topics/credential.md"]}],
            CONFIG.replace("Topics: []", "Topics:\n      - topics/credential.md"),
            Location("docs/mkdocs.yml", 4, 5),
            id="pages listed by hand",
        ),
        pytest.param(
            [{"Home": "index.md"}, "glossary.md"],
            CONFIG.replace("  - Topics: []\n", ""),
            Location("docs/mkdocs.yml", 2, 1),
            id="no Topics section",
        ),
        pytest.param(
            [{"Topics": []}, {"Topics": []}],
            "nav:\n  - Topics: []\n  - Topics: []\n",
            Location("docs/mkdocs.yml", 2, 5),
            id="two Topics sections",
        ),
    ],
)
def test_a_navigation_without_one_empty_topics_section_is_located(
    clinic: Policy, nav: list[object], config: str, location: Location
) -> None:
    with pytest.raises(Problems) as raised:
        with_topic_pages(nav, clinic, config, "docs/mkdocs.yml")
    [problem] = raised.value.diagnostics
    assert (problem.code, problem.location) == ("site.nav-topics", location)
    assert problem.hint is not None and "- Topics: []" in problem.hint
