"""The checker's page and data, written from the clinic fixture policy.

What the browser shows is tested in tests/browser/test_checker_browser.py; here the files the
site gets: the questions in the policy's order and words, each rule's reason, quotes
and link, the review contact, the scripts in the order they need each other, and that
an edit to the policy changes them with no edit to the page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from billability.decide.diagram import diagram_of
from billability.decide.diagram_json import diagram_json
from billability.model.diagnostics import Problems
from billability.model.policy import FactType, Outcome
from billability.policy.compile import load_policy, normalize
from billability.policy.compiled import Policy
from billability.policy.versions import load_versions
from billability.site.checker import (
    DATA,
    DATE_PARAM,
    DIAGRAM,
    PAGE,
    UNKNOWN,
    UNKNOWN_LABEL,
    checker_data,
    checker_pages,
    checker_script,
    checker_versions,
    diagrams_script,
)
from billability.site.pages import OUTCOME_WORDS, build_pages, topic_path
from policy_texts import CLINIC, edited_policy
from site_builds import CLINIC_CONTRASTS, SWITCH, VERSIONED, build_site, clinic_checkout_with_docs

SCRIPT_PREFIX = "window.billability.checker = "
DIAGRAMS_PREFIX = "window.billability.diagrams = "


def data_of(script: str) -> dict:
    """The JSON a generated `checker-data.js` sets."""
    start = script.index(SCRIPT_PREFIX) + len(SCRIPT_PREFIX)
    return json.loads(script[start:].rstrip().removesuffix(";"))


def diagrams_of(script: str) -> list:
    """The diagrams a generated `diagram.js` sets, oldest version first."""
    line = next(line for line in script.splitlines() if line.startswith(DIAGRAMS_PREFIX))
    return json.loads(line.removeprefix(DIAGRAMS_PREFIX).removesuffix(";"))


def test_the_checker_is_three_files_in_its_own_folder(clinic: Policy) -> None:
    pages = checker_pages(clinic)
    assert list(pages) == sorted([PAGE, DIAGRAM, DATA])
    assert pages[DIAGRAM] == diagrams_script((clinic,), clinic)
    assert diagrams_of(pages[DIAGRAM]) == [diagram_json(diagram_of(clinic))]
    assert data_of(pages[DATA]) == checker_versions(clinic)
    assert data_of(pages[DATA])["versions"] == [checker_data(clinic) | {"until": None}]


def test_the_checker_carries_each_version_with_its_days_and_diagram() -> None:
    versions = load_versions(VERSIONED / "policy")
    old, new = versions.versions
    pages = checker_pages(new, versions=versions.versions)
    data = data_of(pages[DATA])
    assert data["shown"] == new.version
    assert data["date"]["param"] == DATE_PARAM
    assert [(v["policy"]["version"], v["policy"]["effective_from"], v["until"]) for v in data["versions"]] == [
        ("1.0", "2026-01-01", "2026-06-30"),
        ("2.0", "2026-07-01", None),
    ]
    assert data["versions"][0]["rules"]["provider-call-video"]["outcome"] == "needs_review"
    assert data["versions"][1]["rules"]["provider-call-video"]["outcome"] == "billable"
    diagrams = diagrams_of(pages[DIAGRAM])
    assert diagrams == [diagram_json(diagram_of(old)), diagram_json(diagram_of(new))]
    assert [d["policy"]["version"] for d in diagrams] == ["1.0", "2.0"]
    # The two diagrams answer the switching service differently, as the versions do.
    assert old.evaluate(SWITCH).outcome != new.evaluate(SWITCH).outcome
    assert diagrams[0] != diagrams[1]
    assert pages[DIAGRAM].rstrip().endswith("window.billability.diagram = window.billability.diagrams[1];")
    assert checker_pages(old, versions=versions.versions)[DIAGRAM].rstrip().endswith("diagrams[0];")


def test_a_rule_the_site_does_not_describe_links_no_section(tmp_path: Path, clinic: Policy) -> None:
    renamed = load_policy(edited_policy(tmp_path, ("rules/connection.yaml", "id: driving", "id: driving-a-client")))
    rules = checker_data(renamed, shown=clinic)["rules"]
    assert rules["driving-a-client"]["link"] is None
    assert rules["provider-call"]["link"] == "../topics/communication/#provider-call"
    assert checker_data(clinic, shown=renamed)["rules"]["driving"]["link"] is None


def test_the_output_is_the_same_bytes_for_the_same_policy(clinic: Policy) -> None:
    again = load_policy(CLINIC / "policy")
    assert checker_pages(clinic) == checker_pages(again)


def test_the_questions_are_the_facts_in_order_with_their_words(clinic: Policy) -> None:
    questions = checker_data(clinic)["questions"]
    assert [question["fact"] for question in questions] == [fact.name for fact in clinic.facts]
    for question, fact in zip(questions, clinic.facts, strict=True):
        assert question["question"] == fact.question
        assert question["label"] == fact.label
        assert question["type"] == fact.type.value
        if fact.type is FactType.ENUM:
            assert [choice["label"] for choice in question["choices"]] == [value.label for value in fact.values]
            assert [choice["value"] for choice in question["choices"]] == list(fact.value_names)
        elif fact.type is FactType.BOOLEAN:
            assert question["choices"] == [
                {"value": True, "param": "true", "label": "Yes"},
                {"value": False, "param": "false", "label": "No"},
            ]
        else:
            assert (question["minimum"], question["maximum"]) == (fact.minimum, fact.maximum)
            assert "choices" not in question
    assert checker_data(clinic)["unknown"] == {"param": UNKNOWN, "label": UNKNOWN_LABEL}


@pytest.mark.parametrize(
    ("fact", "kind", "expected"),
    [
        ("provider_credential", "enum", ["Counselor", "Peer"]),
        ("documented", "boolean", ["Yes", "No"]),
        ("days_since_discharge", "integer", None),
    ],
)
def test_each_kind_of_fact_becomes_its_kind_of_question(
    clinic: Policy, fact: str, kind: str, expected: list[str] | None
) -> None:
    question = next(q for q in checker_data(clinic)["questions"] if q["fact"] == fact)
    assert question["type"] == kind
    assert [choice["label"] for choice in question.get("choices", [])] == (expected or [])
    if kind == "integer":
        assert question["minimum"] == 0


def test_every_rule_has_its_reason_quotes_and_link(clinic: Policy) -> None:
    rules = checker_data(clinic)["rules"]
    assert sorted(rules) == sorted(rule.id for rule in clinic.rules)
    for rule in clinic.rules:
        shown = rules[rule.id]
        assert shown["title"] == rule.title
        assert shown["outcome"] == rule.outcome.value
        assert normalize(shown["reason"]).lower().startswith(normalize(rule.reason).lower())
        assert shown["quotes"] == [normalize(quote) for quote in rule.quotes]
        page = topic_path(rule.topic).removesuffix(".md")
        assert shown["link"] == f"../{page}/#{rule.id}"


@pytest.mark.parametrize(
    ("rule_id", "directory_urls", "link"),
    [
        ("provider-call", True, "../topics/communication/#provider-call"),
        ("provider-call", False, "../topics/communication.html#provider-call"),
        ("not-a-counselor", True, "../topics/credential/#not-a-counselor"),
        ("not-a-counselor", False, "../topics/credential.html#not-a-counselor"),
    ],
)
def test_links_follow_the_sites_addresses(clinic: Policy, rule_id: str, directory_urls: bool, link: str) -> None:
    assert checker_data(clinic, directory_urls)["rules"][rule_id]["link"] == link


def test_outcomes_read_as_staff_read_them_and_review_says_who_decides(clinic: Policy) -> None:
    data = checker_data(clinic)
    assert {name: words["words"] for name, words in data["outcomes"].items()} == {
        outcome.value: OUTCOME_WORDS[outcome] for outcome in Outcome
    }
    assert all(words["advice"] for words in data["outcomes"].values())
    assert data["review"] == {"team": clinic.review.team, "how": clinic.review.how}
    assert clinic.review.team in data["outcomes"]["needs_review"]["advice"]
    assert data["default_reason"].lower().startswith(clinic.default_reason.lower())
    assert data["policy"] == {
        "id": clinic.id,
        "title": clinic.title,
        "version": clinic.version,
        "effective_from": clinic.effective_from,
    }


@pytest.mark.parametrize(
    ("file", "old", "new", "where", "expected"),
    [
        (
            "facts.yaml",
            "label: Voicemail",
            "label: Voicemail message",
            ("questions", 2, "choices", 1, "label"),
            "Voicemail message",
        ),
        (
            "facts.yaml",
            "question: Is the hand-off documented?",
            "question: Is the hand-off written up in a progress note?",
            ("questions", 3, "question"),
            "Is the hand-off written up in a progress note?",
        ),
        (
            "rules/communication.yaml",
            "reason: the table names only the phone",
            "reason: the table names only the telephone",
            ("rules", "provider-call-video", "reason"),
            "The table names only the telephone.",
        ),
        (
            "rules/connection.yaml",
            "title: Driving\n",
            "title: Driving a client\n",
            ("rules", "driving", "title"),
            "Driving a client",
        ),
    ],
)
def test_a_policy_edit_changes_the_checker(
    tmp_path: Path, clinic: Policy, file: str, old: str, new: str, where: tuple[str | int, ...], expected: str
) -> None:
    edited = load_policy(edited_policy(tmp_path, (file, old, new), source=CLINIC / "policy"))
    before, after = checker_data(clinic), checker_data(edited)
    for key in where:
        before, after = before[key], after[key]
    assert (before, after) != (expected, expected)
    assert after == expected
    assert checker_pages(edited)[DATA] != checker_pages(clinic)[DATA]


def test_a_new_value_becomes_a_new_choice(tmp_path: Path) -> None:
    edited = load_policy(
        edited_policy(
            tmp_path,
            ("facts.yaml", "      peer:\n", "      nurse:\n        label: Nurse\n      peer:\n"),
            source=CLINIC / "policy",
        )
    )
    question = checker_data(edited)["questions"][0]
    assert [choice["label"] for choice in question["choices"]] == ["Counselor", "Nurse", "Peer"]


def test_a_fact_named_as_the_date_of_the_service_is_refused_where_it_is_declared(tmp_path: Path) -> None:
    edited = load_policy(
        edited_policy(
            tmp_path,
            ("facts.yaml", "  documented:\n", f"  {DATE_PARAM}:\n"),
            ("rules/connection.yaml", "documented:", f"{DATE_PARAM}:"),
            source=CLINIC / "policy",
        )
    )
    with pytest.raises(Problems) as raised:
        checker_pages(edited)
    (problem,) = raised.value.diagnostics
    assert problem.code == "checker.reserved-fact"
    assert problem.location is not None
    assert problem.location.file.endswith("facts.yaml")


def test_a_value_named_unknown_is_refused_where_it_is_declared(tmp_path: Path) -> None:
    edited = load_policy(
        edited_policy(
            tmp_path,
            ("facts.yaml", "      peer:\n", f"      {UNKNOWN}:\n        label: Not known\n      peer:\n"),
            source=CLINIC / "policy",
        )
    )
    with pytest.raises(Problems) as raised:
        checker_pages(edited)
    (problem,) = raised.value.diagnostics
    assert problem.code == "checker.reserved-value"
    assert problem.location is not None
    assert problem.location.file.endswith("facts.yaml")
    assert problem.location.line == 2


def test_the_page_works_without_javascript_and_loads_its_scripts_in_order(clinic: Policy) -> None:
    page = checker_pages(clinic)[PAGE]
    assert re.search(r"<noscript markdown>.*scripts.*</noscript>", page, flags=re.S)
    noscript = page[page.index("<noscript") : page.index("</noscript>")]
    for topic in clinic.topics:
        assert f"[{topic.title}](../{topic_path(topic.name)})" in noscript
    assert 'aria-live="polite"' in page
    assert '<link rel="stylesheet" href="../stylesheets/checker.css">' in page
    scripts = re.findall(r'<script src="([^"]+)"></script>', page)
    assert scripts == ["../javascripts/decide.js", "diagram.js", "checker-data.js", "../javascripts/checker.js"]


def test_no_rule_logic_reaches_the_page(clinic: Policy) -> None:
    """The page and its data hold words and links; the decision comes from the diagram."""
    pages = checker_pages(clinic)
    for rule in clinic.rules:
        assert rule.id not in pages[PAGE]
    for shown in checker_data(clinic)["rules"].values():
        assert set(shown) == {"title", "outcome", "reason", "quotes", "link"}


def test_the_script_sets_the_data_and_nothing_else(clinic: Policy) -> None:
    script = checker_script(clinic)
    statements = [line for line in script.splitlines() if line.startswith("window.")]
    assert statements == ["window.billability = window.billability || {};", SCRIPT_PREFIX + "{"]
    assert script.endswith("};\n")


def test_the_site_gets_the_checker(clinic: Policy) -> None:
    pages = build_pages(CLINIC_CONTRASTS, CLINIC / "policy", [CLINIC / "corpus"])
    assert {PAGE, DIAGRAM, DATA} <= set(pages)
    assert {path: pages[path] for path in (PAGE, DIAGRAM, DATA)} == checker_pages(clinic)
    assert list(pages) == sorted(pages)


def test_the_strict_site_build_serves_the_checker(tmp_path: Path, clinic: Policy) -> None:
    """MkDocs passes the page's HTML through and resolves its links to the topic pages."""
    result = build_site(tmp_path / "site", clinic_checkout_with_docs(tmp_path))
    assert result.returncode == 0, result.stderr
    built = tmp_path / "site" / "check"
    assert (built / "checker-data.js").read_text(encoding="utf-8") == checker_script(clinic)
    assert (built / "diagram.js").read_text(encoding="utf-8") == diagrams_script((clinic,), clinic)
    page = (built / "index.html").read_text(encoding="utf-8")
    noscript = page[page.index("<noscript>") : page.index("</noscript>")]
    for topic in clinic.topics:
        address = topic_path(topic.name).removesuffix(".md")
        assert f'<a href="../{address}/">{topic.title}</a>' in noscript
        assert (tmp_path / "site" / address / "index.html").exists()
    assert '<div id="checker-result" class="checker-result" aria-live="polite"></div>' in page
    scripts = [src for src in re.findall(r'<script src="([^"]+)"></script>', page) if "assets/" not in src]
    assert scripts == [
        "../javascripts/decide.js",
        "diagram.js",
        "checker-data.js",
        "../javascripts/checker.js",
    ]
