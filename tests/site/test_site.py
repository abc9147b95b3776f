"""The staff reference site: pages generated from the policy and corpus, and the strict build.

What a page says is tested on the clinic fixture (tests/fixtures/clinic, with the
contrasts of tests/fixtures/clinic-site/contrasts.yaml). The repository's own site is built
strictly from the checkout, and checked only against what its policy and corpus hold.
"""

from __future__ import annotations

import html
import json
import os
import re
import shlex
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from billability.checks.corpus import Case, CaseResult, run_cases
from billability.cli import main
from billability.model.diagnostics import Problems
from billability.model.policy import Compare, Is, Not, OneOf, Outcome, Range
from billability.policy.compile import normalize
from billability.policy.compiled import Policy
from billability.policy.wording import OUTCOME_WORDS
from billability.site.examples import teaches
from billability.site.in_force import site_versions
from billability.site.pages import (
    CHECKER,
    HOME,
    SUMMARY,
    build_pages,
    condition_lines,
    load_contrasts,
    overriding_rules,
    rule_placements,
    site_pages,
    topic_path,
)
from policy_texts import CHECKOUT, CLINIC
from site_builds import CLINIC_CONTRASTS, CONFIG, build_site, clinic_checkout_with_docs, failing_cases, theme_pages
from site_words import GLOSSARY, capitalised, glossary_terms

try:
    import mkdocs  # noqa: F401
except ImportError:
    if os.environ.get("CI"):
        # In CI the site must be built and checked: a missing MkDocs is a failure, not a skip.
        pytest.fail("the site tests cannot run in CI: MkDocs is not installed", pytrace=False)
    pytest.skip("the site needs the `docs` extra: pip install -e '.[docs]'", allow_module_level=True)

# Pages written by hand. The audit page shows what `billability audit` prints, rule ids
# and all, as billing staff see it in the terminal and in the `rules` column.
HAND_WRITTEN = {"maintainers/index.html", "audit/index.html"}


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return build_pages(CLINIC_CONTRASTS, CLINIC / "policy", [CLINIC / "corpus"])


def page_texts(site: Path) -> dict[str, str]:
    """The visible text of every built page the theme lays out, tags stripped and white
    space folded (the audit's example report is what `billability audit` writes:
    tests/site/test_audit_docs.py checks it)."""
    texts = {}
    for page in theme_pages(site):
        raw = page.read_text(encoding="utf-8")
        body = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
        texts[str(page.relative_to(site))] = normalize(html.unescape(re.sub(r"<[^>]+>", " ", body)))
    return texts


def article(raw: str) -> str:
    """A built page's content: the theme's article, without header, navigation or footer."""
    found = re.search(r"<article\b.*?</article>", raw, flags=re.S)
    assert found is not None
    return found.group(0)


def shown_examples(site: Path) -> set[str]:
    """The case names a built site shows: example list items and contrast cards."""
    shown: list[str] = []
    for page in site.rglob("*.html"):
        raw = page.read_text(encoding="utf-8")
        shown += re.findall(r'<li data-case="([^"]*)"', raw)
        shown += re.findall(
            r'<li>\s*<p><span class="outcome[^"]*">[^<]*</span></p>\s*<p><strong>(.*?)</strong>', raw, flags=re.S
        )
    return {normalize(html.unescape(re.sub(r"<[^>]+>", "", item))) for item in shown}


def navigation_topics(raw: str) -> list[tuple[str, str]]:
    """The Topics section of a built page's navigation: (title, address) of each page's
    link (on a topic's own page, its table of contents is left out)."""
    for section in re.findall(r'<nav class="md-nav" data-md-level="1"[^>]*>(.*?)</ul>', raw, flags=re.S):
        title = re.search(r'<label class="md-nav__title"[^>]*>(.*?)</label>', section, flags=re.S)
        if title is None or normalize(re.sub(r"<[^>]+>", " ", title.group(1))) != "Topics":
            continue
        links = re.findall(r'<a href="([^"]+)" class="md-nav__link[^"]*">(.*?)</a>', section, flags=re.S)
        return [
            (normalize(html.unescape(re.sub(r"<[^>]+>", " ", text))), address)
            for address, text in links
            if "#" not in address
        ]
    raise AssertionError("the page's navigation has no Topics section")


def heading_levels(raw: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])\b", article(raw))]


def skipped_levels(levels: list[int]) -> list[tuple[int, int]]:
    """Each place a heading is more than one level deeper than the one before it."""
    return [(before, after) for before, after in zip([0, *levels], levels, strict=False) if after > before + 1]


def sections(page: str) -> list[str]:
    """A generated page cut at its rule sections (h3), each with what comes before the next."""
    return re.split(r"\n(?=### )", page)


def staff_text(page: str) -> str:
    """A generated page's words as staff read them: no front matter, link targets,
    attribute lists, tags or HTML attributes."""
    page = re.sub(r"\A---\n.*?\n---\n", "", page, flags=re.S)
    page = re.sub(r"\]\([^)]*\)", "]", page)
    page = re.sub(r"\{[^}]*\}", "", page)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


# --- the repository's site, built strictly from the checkout ---------------------------------


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    target = tmp_path_factory.mktemp("site")
    return target, build_site(target)


@pytest.fixture(scope="module")
def built(build: tuple[Path, subprocess.CompletedProcess[str]]) -> Path:
    target, result = build
    failing = failing_cases()
    if failing:
        pytest.skip(f"the checkout's corpus fails ({len(failing)} cases), so its site is not built")
    assert result.returncode == 0, result.stderr
    return target


@pytest.fixture(scope="module")
def checkout_pages() -> dict[str, str]:
    if failing_cases():
        pytest.skip("the checkout's corpus fails, so its pages are not generated")
    return build_pages(CONFIG.parent / "contrasts.yaml", CHECKOUT / "policy", [CHECKOUT / "corpus"])


def test_strict_build_passes_exactly_when_the_corpus_passes(
    build: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    target, result = build
    failing = failing_cases()
    if not failing:
        assert result.returncode == 0, result.stderr
        assert (target / "index.html").is_file()
        assert (target / "search" / "search_index.json").is_file()
        return
    assert result.returncode != 0
    refused = re.findall(r"error\[site\.case-fails\]: the site cannot show `(.*?)`", result.stderr)
    assert sorted(refused) == sorted(failing), result.stderr


@pytest.fixture(scope="module")
def shown() -> Policy:
    """The version of the checkout's policy the site describes: the one in force today
    (the current one, unless it takes effect later)."""
    return site_versions(CHECKOUT / "policy").shown


@pytest.mark.parametrize("kind", ["rule title", "rule reason", "source quote", "topic title"])
def test_everything_staff_need_from_the_policy_is_on_some_page(built: Path, shown: Policy, kind: str) -> None:
    policy = shown
    expected = {
        "rule title": [rule.title for rule in policy.rules],
        "rule reason": [normalize(rule.reason[1:]) for rule in policy.rules],
        "source quote": [normalize(quote) for rule in policy.rules for quote in rule.quotes],
        "topic title": [topic.title for topic in policy.topics],
    }[kind]
    everything = " ".join(page_texts(built).values())
    missing = [item for item in expected if item not in everything]
    assert missing == [], f"{kind}s missing from the site"


def test_the_site_shows_the_cases_that_teach_and_no_others(built: Path, policy: Policy, cases: list[Case]) -> None:
    contrasted = set(re.findall(r"^      - (.*)$", (CONFIG.parent / "contrasts.yaml").read_text(), flags=re.M))
    shown = shown_examples(built)
    assert shown <= {case.name for case in cases if teaches(case)} | contrasted
    results = run_cases(policy, cases)
    assert {r.case.name for r in results if teaches(r.case) and r.decision.rules} <= shown


def test_cases_that_only_pin_the_policy_stay_out_of_the_search_index(built: Path, cases: list[Case]) -> None:
    index = json.loads((built / "search" / "search_index.json").read_text(encoding="utf-8"))
    indexed = normalize(html.unescape(" ".join(doc["text"] for doc in index["docs"])))
    contrasted = set(re.findall(r"^      - (.*)$", (CONFIG.parent / "contrasts.yaml").read_text(), flags=re.M))
    pinning = [case.name for case in cases if not teaches(case) and case.name not in contrasted]
    assert pinning, "the corpus has no case that only pins the policy"
    assert [name for name in pinning if name in indexed] == []


def test_every_rule_section_is_in_the_search_index(built: Path, shown: Policy) -> None:
    policy = shown
    index = json.loads((built / "search" / "search_index.json").read_text(encoding="utf-8"))
    sections = {doc["location"]: normalize(html.unescape(doc["title"])) for doc in index["docs"]}
    for rule in policy.rules:
        location = topic_path(rule.topic).removesuffix(".md") + f"/#{rule.id}"
        assert sections.get(location) == rule.title, location


def test_staff_never_read_a_rule_id(built: Path, policy: Policy) -> None:
    # Ids without a hyphen (`advocacy`) are ordinary words; those with one never are.
    ids = [rule.id for rule in policy.rules if "-" in rule.id]
    shown = {
        (page, rule_id)
        for page, text in page_texts(built).items()
        if page not in HAND_WRITTEN
        for rule_id in ids
        if re.search(rf"(?<![\w-]){re.escape(rule_id)}(?![\w-])", text)
    }
    assert shown == set()


def test_every_page_has_one_h1_and_skips_no_heading_level(built: Path) -> None:
    for page in theme_pages(built):
        if page.name == "404.html":
            continue
        levels = heading_levels(page.read_text(encoding="utf-8"))
        where = page.relative_to(built)
        assert levels[:1] == [1] and levels.count(1) == 1, where
        assert skipped_levels(levels) == [], where


def test_every_page_footer_names_the_policy_version_source_and_build(built: Path, shown: Policy) -> None:
    policy = shown
    expected = [
        policy.title,
        f"version {policy.version}",
        policy.effective_from,
        policy.source_document.title,
        policy.source_document.date,
    ]
    for page in (built / "index.html", built / topic_path(policy.topics[0].name).removesuffix(".md") / "index.html"):
        footer = re.search(r'<div class="md-copyright__highlight">(.*?)</div>', page.read_text(), flags=re.S)
        assert footer is not None, page
        text = normalize(html.unescape(footer.group(1)))
        assert [item for item in expected if normalize(item) not in text] == []
        assert re.search(r"Built from commit [0-9a-f]{7,}", text), text


def test_every_word_in_capitals_on_the_pages_is_in_the_glossary(checkout_pages: dict[str, str]) -> None:
    used = {word for page in checkout_pages.values() for word in capitalised(staff_text(page))}
    assert used, "the pages use no abbreviation at all"
    assert sorted(used - glossary_terms()) == []


def test_the_glossary_defines_the_words_staff_asked_about() -> None:
    text = GLOSSARY.read_text(encoding="utf-8")
    terms = {term.lower() for term in re.findall(r"^(\S.*)\n:   ", text, flags=re.M)}
    for wanted in ("peer support specialist", "medically necessary", "progress note", "awol"):
        assert any(wanted in term for term in terms), wanted


# --- the clinic fixture's site, built strictly ------------------------------------------------


@pytest.fixture(scope="module")
def clinic_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clinic-site")
    result = build_site(folder / "site", clinic_checkout_with_docs(folder))
    assert result.returncode == 0, result.stderr
    return folder / "site"


@pytest.mark.parametrize(
    ("word", "page"),
    [
        ("voicemail", "topics/communication/"),
        ("driving", "topics/connection/"),
        ("counselors", "topics/credential/"),
        ("hand-off", "topics/connection/"),
    ],
)
def test_search_index_holds_the_words_staff_use(clinic_built: Path, word: str, page: str) -> None:
    index = json.loads((clinic_built / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"].split("#")[0] for doc in index["docs"] if word in doc["text"].lower()}
    assert page in locations


def test_the_clinic_site_shows_the_cases_that_teach_and_its_contrasts(
    clinic_built: Path, results: list[CaseResult]
) -> None:
    contrasts = load_contrasts(CLINIC_CONTRASTS, [result.case.name for result in results])
    contrasted = {name for contrast in contrasts for name in contrast.cases}
    taught = {r.case.name for r in results if teaches(r.case) and r.decision.rules}
    assert taught, "the clinic corpus has no case that teaches"
    assert shown_examples(clinic_built) == taught | contrasted


def test_the_clinic_site_footer_says_it_is_not_from_a_git_checkout(clinic_built: Path, clinic: Policy) -> None:
    footer = re.search(
        r'<div class="md-copyright__highlight">(.*?)</div>', (clinic_built / "index.html").read_text(), flags=re.S
    )
    assert footer is not None
    text = normalize(html.unescape(footer.group(1)))
    assert f"version {clinic.version}" in text
    assert text.endswith("Not built from a git checkout.")


def test_the_clinic_site_skips_no_heading_level(clinic_built: Path) -> None:
    for page in sorted(clinic_built.rglob("index.html")):
        levels = heading_levels(page.read_text(encoding="utf-8"))
        assert levels[:1] == [1], page
        assert skipped_levels(levels) == [], page


def test_the_navigation_lists_the_policys_topics_in_its_order(clinic_built: Path, clinic: Policy) -> None:
    shown = navigation_topics((clinic_built / "glossary" / "index.html").read_text(encoding="utf-8"))
    assert shown == [(topic.title, "../" + topic_path(topic.name).removesuffix(".md") + "/") for topic in clinic.topics]


def test_a_topic_added_to_the_policy_shows_in_the_navigation_and_a_removed_one_goes(tmp_path: Path) -> None:
    # A maintainer's edit of the policy alone: a new topic with an activity moved into it,
    # and a topic whose activity and rules move to another; docs/mkdocs.yml is not touched.
    config = clinic_checkout_with_docs(tmp_path)
    policy = config.parent.parent / "policy"
    edits = {
        "policy.yaml": [("  communication:\n    title: Communication\n", "  transport:\n    title: Getting there\n")],
        "facts.yaml": [
            (
                "label: Driving the client\n        topic: connection",
                "label: Driving the client\n        topic: transport",
            ),
            (
                "label: Calling a provider\n        topic: communication",
                "label: Calling a provider\n        topic: connection",
            ),
        ],
        "rules/connection.yaml": [("title: Driving\n    topic: connection", "title: Driving\n    topic: transport")],
        "rules/communication.yaml": [("topic: communication", "topic: connection")],
    }
    for name, replacements in edits.items():
        text = (policy / name).read_text(encoding="utf-8")
        for old, new in replacements:
            assert old in text, (name, old)
            text = text.replace(old, new)
        (policy / name).write_text(text, encoding="utf-8")
    result = build_site(tmp_path / "out", config)
    assert result.returncode == 0, result.stderr
    for page in ("index.html", "glossary/index.html", "topics/transport/index.html"):
        raw = (tmp_path / "out" / page).read_text(encoding="utf-8")
        titles = [title for title, _ in navigation_topics(raw)]
        assert titles == ["Who may bill", "Connection", "Getting there"], page
    assert "Driving" in (tmp_path / "out" / "topics" / "transport" / "index.html").read_text(encoding="utf-8")
    assert not (tmp_path / "out" / "topics" / "communication").exists()


@pytest.mark.parametrize(
    ("nav", "line"),
    [
        pytest.param("  - Topics:\n      - topics/credential.md\n", "  - Topics:", id="listed by hand"),
        pytest.param("", "nav:", id="no Topics section"),
    ],
)
def test_a_navigation_with_no_empty_topics_section_stops_the_build_at_its_line(
    tmp_path: Path, nav: str, line: str
) -> None:
    config = clinic_checkout_with_docs(tmp_path)
    text = config.read_text(encoding="utf-8")
    assert "  - Topics: []\n" in text
    text = text.replace("  - Topics: []\n", nav)
    config.write_text(text, encoding="utf-8")
    result = build_site(tmp_path / "out", config)
    assert result.returncode != 0
    number = text.splitlines().index(line) + 1
    assert re.search(rf"mkdocs\.yml:{number}:\d+: error\[site\.nav-topics\]", result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_the_build_prints_only_its_own_lines_and_no_notice_of_the_theme(
    build: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, result = build
    # build_site leaves NO_MKDOCS_2_WARNING out of the environment: docs/mkdocs.yml sets it.
    printed = (result.stdout + result.stderr).splitlines()
    assert not [line for line in printed if "Material for MkDocs" in line or "NO_MKDOCS_2_WARNING" in line], printed
    if result.returncode == 0:
        assert [line for line in printed if line.strip() and not line.startswith("INFO ")] == [], printed


def test_the_build_stops_when_a_hand_written_page_shadows_a_generated_one(tmp_path: Path, clinic: Policy) -> None:
    config = clinic_checkout_with_docs(tmp_path)
    shadowed = topic_path(clinic.topics[0].name)
    page = config.parent / "pages" / shadowed
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("# Anything\n\nAnything is billable.\n", encoding="utf-8")
    result = build_site(tmp_path / "out", config)
    assert result.returncode != 0
    assert f"pages/{shadowed}" in result.stderr


def test_a_policy_that_cannot_be_read_stops_the_build_with_its_location(tmp_path: Path) -> None:
    config = clinic_checkout_with_docs(tmp_path)
    broken = config.parent.parent / "policy" / "policy.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("precedence:", "precedence: [\n"), encoding="utf-8")
    result = build_site(tmp_path / "out", config)
    assert result.returncode != 0
    assert "policy.yaml:" in result.stderr
    assert "Traceback" not in result.stderr


# --- generation as pure functions, on the clinic fixture -------------------------------------


def test_pages_are_deterministic_and_cover_every_topic(clinic: Policy, results: list[CaseResult]) -> None:
    contrasts = load_contrasts(CLINIC_CONTRASTS, [result.case.name for result in results])
    first = site_pages(clinic, results, contrasts)
    assert first == site_pages(clinic, results, contrasts)
    assert list(first) == sorted(first)
    assert {topic_path(topic.name) for topic in clinic.topics} | {HOME, SUMMARY} <= set(first)


def test_the_home_page_puts_who_may_bill_first_then_each_topic_with_billable_activities(pages: dict[str, str]) -> None:
    home = pages["index.md"]
    assert home.index('!!! warning "Who may bill"') < home.index("**Only counselors may bill.**")
    cards = re.findall(r"^-   ## \[(.*?)\]\((.*?)\)$", home, flags=re.M)
    assert cards == [("Connection", "topics/connection.md"), ("Communication", "topics/communication.md")]
    communication = home[home.index("## [Communication]") :]
    assert (
        communication.index("[Calling a provider](topics/communication.md#provider-call)")
        < communication.index("Not billable")
        < communication.index("[Voicemail or email](topics/communication.md#provider-call-voicemail-or-email)")
    )
    assert "[A video call](topics/communication.md#provider-call-video)" in communication


def test_the_checker_is_the_first_link_of_the_home_and_topic_pages_when_the_site_has_it(
    clinic: Policy, results: list[CaseResult]
) -> None:
    without = site_pages(clinic, results, ())
    assert all("check/index.md" not in page for page in without.values())
    with_checker = site_pages(clinic, results, (), present={CHECKER})
    for path in [HOME, *(topic_path(topic.name) for topic in clinic.topics)]:
        first_link = re.search(r"\]\(([^)]*)\)", re.sub(r"\A---\n.*?\n---\n", "", with_checker[path], flags=re.S))
        assert first_link is not None, path
        target = os.path.normpath(os.path.join(os.path.dirname(path), first_link.group(1)))
        assert target == CHECKER, path


def test_the_home_page_links_what_changed_only_when_the_site_has_it(clinic: Policy, results: list[CaseResult]) -> None:
    assert "changes.md" not in site_pages(clinic, results, ())[HOME]
    assert "](changes.md)" in site_pages(clinic, results, (), present={"changes.md"})[HOME]


def test_a_rule_section_gives_its_answer_then_its_exceptions(pages: dict[str, str]) -> None:
    page = pages["topics/connection.md"]
    handoff = next(section for section in sections(page) if section.startswith("### Hand-offs { #handoff }"))
    answer, rest = handoff.split("<h4>When this applies</h4>")
    assert '<span class="outcome outcome-billable">Billable</span> **unless an exception below applies.**' in answer
    assert "A documented hand-off is listed." in answer
    conditions, rest = rest.split("<h4>Exceptions</h4>")
    assert "- **Activity:** *Hand-off to a new level of care*" in conditions
    exceptions, rest = rest.split("<h4>The county's table says</h4>")
    # Each exception: its answer, its title, what else must hold (not what the rule already says), its reason.
    assert (
        '- <span class="outcome outcome-not-billable">Not billable</span> '
        "[An undocumented hand-off](connection.md#handoff-undocumented) \u2014 **Documented:** *no*. "
        "A hand-off must be documented." in exceptions
    )
    assert "[A hand-off more than 14 days after discharge](connection.md#handoff-window) \u2014 " in exceptions
    assert "**Days since discharge:** more than 14. A hand-off is billable only within 14 days" in exceptions
    assert "**Activity:**" not in exceptions
    assert "[Only counselors may bill](credential.md#not-a-counselor)" in exceptions
    assert "> \u201cHand clients off to a new level of care **within 14 days of discharge.**\u201d" not in rest
    assert "<h4>Examples</h4>" in rest


def test_a_rule_no_other_rule_overrides_has_no_exceptions(pages: dict[str, str]) -> None:
    page = pages["topics/connection.md"]
    window = next(section for section in sections(page) if "{ #handoff-window }" in section)
    assert window.split("\n\n")[1].startswith(
        '<span class="outcome outcome-not-billable">Not billable</span> A hand-off'
    )
    assert "<h4>Exceptions</h4>" not in window
    assert "- **Days since discharge:** more than 14" in window
    assert "> \u201cHand clients off to a new level of care **within 14 days of discharge.**\u201d" in window


def test_examples_are_one_line_each_and_only_the_cases_that_teach(clinic: Policy, results: list[CaseResult]) -> None:
    page = site_pages(clinic, results, ())["topics/connection.md"]
    items = re.findall(r'<li data-case="([^"]*)">(.*?)</li>', page)
    shown = {html.unescape(name) for name, _ in items}
    assert "Benefits help is billable" in shown
    assert "A hand-off 15 days after discharge is not billable" not in shown  # no source, not marked
    assert (
        '<li data-case="Benefits help is billable">Benefits help \u2014 <span class="outcome outcome-billable">' in page
    )
    assert "<table>" not in page and "| --- |" not in page
    marked = [
        replace(result, case=replace(result.case, staff_example=True))
        if result.case.name == "A hand-off 15 days after discharge is not billable"
        else result
        for result in results
    ]
    page = site_pages(clinic, marked, ())["topics/connection.md"]
    window = next(section for section in sections(page) if "{ #handoff-window }" in section)
    assert (
        '<li data-case="A hand-off 15 days after discharge is not billable">A hand-off 15 days after discharge '
        '\u2014 <span class="outcome outcome-not-billable">Not billable</span></li>' in window
    )


def test_every_needs_review_answer_comes_with_the_review_contact(
    clinic: Policy, results: list[CaseResult], pages: dict[str, str]
) -> None:
    marked = [replace(result, case=replace(result.case, staff_example=True)) for result in results]
    contrasts = load_contrasts(CLINIC_CONTRASTS, [result.case.name for result in results])
    generated = {**pages, **site_pages(clinic, marked, contrasts)}
    found = 0
    for path, page in generated.items():
        for section in sections(page) if path.startswith("topics/") else [page]:
            if "outcome-needs-review" in section:
                found += 1
                assert clinic.review.team in section, (path, section[:80])
                assert normalize(clinic.review.how)[1:] in normalize(section), (path, section[:80])
    assert found >= 3


def test_the_summary_lists_every_rule_once_with_its_reason_and_whom_to_ask(
    pages: dict[str, str], clinic: Policy
) -> None:
    summary = pages[SUMMARY]
    for rule in clinic.rules:
        assert summary.count(f"**{rule.title}.**") == 1, rule.title
        assert rule.reason[1:] in summary, rule.id
    for item in (clinic.version, clinic.effective_from, clinic.source_document.title, clinic.source_document.date):
        assert item in summary
    assert clinic.review.team in summary
    levels = [len(marks) for marks in re.findall(r"^(#+) ", summary, flags=re.M)]
    assert levels[0] == 1 and skipped_levels(levels) == []


def test_the_contrasts_page_sets_the_cases_side_by_side(pages: dict[str, str]) -> None:
    page = pages["contrasts.md"]
    assert "## A phone call vs a voicemail { #a-phone-call-vs-a-voicemail }" in page
    assert "What differs: How the contact was made: Phone vs Voicemail." in page
    assert "What differs: Documented: yes vs yes vs no; Days since discharge: 14 vs 15 vs 3." in page
    assert page.index("**Calling a provider by phone is billable**") < page.index("**A voicemail is not billable**")


def test_the_command_line_example_is_a_case_that_runs_against_the_policy(
    pages: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (command,) = re.findall(r"^billability check .*$", pages["how-decisions-are-made.md"], flags=re.M)
    monkeypatch.chdir(CLINIC)
    result = CliRunner().invoke(main, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("NOT BILLABLE\n")


def test_what_the_answers_mean_says_whom_to_ask_about_a_review(pages: dict[str, str], clinic: Policy) -> None:
    page = pages["how-decisions-are-made.md"]
    meaning = page[page.index("## What the answers mean") :]
    line = next(line for line in meaning.splitlines() if OUTCOME_WORDS[Outcome.NEEDS_REVIEW] in line)
    assert f"Ask {clinic.review.team}" in line


def test_a_policy_change_shows_on_the_generated_page(clinic: Policy, results: list[CaseResult]) -> None:
    old = clinic.rule("provider-call-voicemail-or-email")
    rules = tuple(
        replace(rule, title="Voicemail left for a provider") if rule is old else rule for rule in clinic.rules
    )
    page = site_pages(replace(clinic, rules=rules), results, ())[topic_path(old.topic)]
    assert "### Voicemail left for a provider " in page
    assert f"### {old.title} " not in page


@pytest.mark.parametrize(
    ("rule_id", "overridden_by"),
    [
        ("provider-call", ["not-a-counselor"]),
        ("handoff", ["not-a-counselor", "handoff-undocumented", "handoff-window"]),
        # a video call excludes a voicemail or an email, so only the credential rule can hold with it
        ("provider-call-video", ["not-a-counselor"]),
        ("driving", []),
    ],
)
def test_overriding_rules(clinic: Policy, rule_id: str, overridden_by: list[str]) -> None:
    found = [rule.id for rule in overriding_rules(clinic, clinic.rule(rule_id))]
    assert sorted(found) == sorted(overridden_by)


@pytest.mark.parametrize(
    ("rule_id", "topic", "kind"),
    [
        ("not-a-counselor", "", "note"),
        ("benefits", "Connection", "activity"),
        ("handoff-undocumented", "Connection", "billable"),
        ("driving", "Connection", "not_billable"),
        ("provider-call", "Communication", "activity"),
        ("provider-call-voicemail-or-email", "Communication", "not_billable"),
    ],
)
def test_rule_placements_follow_the_table(clinic: Policy, rule_id: str, topic: str, kind: str) -> None:
    placement = rule_placements(clinic)[rule_id]
    assert (placement.topic, placement.kind) == (topic, kind)


def test_a_rule_quoting_only_the_introduction_has_no_placement(clinic: Policy) -> None:
    introduction = "A small table shaped like the county's reference table"
    assert introduction in clinic.source_text
    driving = clinic.rule("driving")
    extra = replace(driving, id="introduction-only", quotes=(introduction,))
    assert "introduction-only" not in rule_placements(replace(clinic, rules=(*clinic.rules, extra)))


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Is("activity", "driving"), ["**Activity:** *Driving the client*"]),
        (OneOf("contact_mode", ("phone", "voicemail")), ["**How the contact was made:** *Phone* or *Voicemail*"]),
        (Is("documented", False), ["**Documented:** *no*"]),
        (Not(Is("provider_credential", "counselor")), ["**Provider credential:** anything but *Counselor*"]),
        (
            Not(OneOf("contact_mode", ("email", "video"))),
            ["**How the contact was made:** anything but *Email* or *Video call*"],
        ),
        (Compare("days_since_discharge", "more_than", 14), ["**Days since discharge:** more than 14"]),
        (
            Range((Compare("days_since_discharge", "more_than", 30), Compare("days_since_discharge", "at_most", 45))),
            ["**Days since discharge:** 31 to 45"],
        ),
        (
            Range((Compare("days_since_discharge", "at_least", 7), Compare("days_since_discharge", "less_than", 8))),
            ["**Days since discharge:** 7"],
        ),
    ],
)
def test_conditions_read_as_plain_words(
    clinic: Policy, condition: Is | OneOf | Not | Compare | Range, expected: list[str]
) -> None:
    assert condition_lines(clinic, condition) == expected


# --- problems stop the build, each with a code and a location --------------------------------


def test_a_failing_case_stops_the_build(tmp_path: Path) -> None:
    corpus = tmp_path / "wrong.yaml"
    corpus.write_text(
        "cases:\n"
        "  - name: Leaving a voicemail is billable\n"
        "    facts: {provider_credential: counselor, activity: provider_call, contact_mode: voicemail}\n"
        "    expect: {outcome: billable, rules: [provider-call]}\n"
    )
    with pytest.raises(Problems) as caught:
        build_pages(CLINIC_CONTRASTS, CLINIC / "policy", [corpus])
    assert [(d.code, d.location.line if d.location else None) for d in caught.value.diagnostics] == [
        ("site.case-fails", 2)
    ]
