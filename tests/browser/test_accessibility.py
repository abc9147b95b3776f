"""The built staff site read as everyone reads it: axe-core, contrast, headings, a phone's
width, the keyboard and the printer.

In: the checkout's site, built strictly once for the run into a temporary folder and
served from 127.0.0.1 (tests/browser/conftest.py), every HTML page of it (the folder is
walked, so a page added to the site is checked without naming it here), in Debian's
headless Chromium at 1366x900 and 390x844. axe-core checks what a page shows in a frame too (the audit's example report);
a document the site carries outside the theme (that report, opened on its own) is
checked by axe-core alone, since the theme's menu, tabs and print layout are not there.
Out: failures that name the page and the element, so a maintainer can fix them: axe-core's
rule id, impact, target selectors and help; measured contrast ratios and colours; the
heading that skips a level; what sticks out past a phone's screen; where Tab landed.

404.html is checked with the others: a server shows it for any address it does not have.
Measurements made inside the page live in tests/page_probes.js. In CI (`CI` set) a
missing Chromium, Playwright or axe-core fails the module; elsewhere it skips with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from browsers import DESKTOP, PHONE, open_page, require_browser
from site_builds import carried_documents, theme_pages

PROBES = Path(__file__).resolve().parent.parent / "page_probes.js"

VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]

# WCAG 2 AA for body text.
MINIMUM_CONTRAST = 4.5
# What axe-core reports that must never ship.
BLOCKING_IMPACTS = {"serious", "critical"}
# A table column narrower than this many times its text size is squeezed, not laid out.
NARROWEST_COLUMN_EMS = 7
# A page has fewer Tab stops than this; more means Tab never came back to the start.
MOST_TAB_STOPS = 3000

# Every transition, animation and smooth scroll finished at once: what a Tab reaches is
# then judged where it ends up (the skip link slides in, a focused permalink fades in, the
# page scrolls to the focused link).
NO_MOTION = (
    "*, *::before, *::after { transition: none !important; animation: none !important; "
    "scroll-behavior: auto !important; }"
)


require_browser("axe_playwright_python")

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Browser, Page, expect  # noqa: E402


@pytest.fixture(scope="module")
def site_pages(built_site: Path) -> list[str]:
    """Every page of the built site the theme lays out, as the address a reader opens
    (`topics/credential/`)."""
    pages = sorted(
        path.relative_to(built_site).as_posix().removesuffix("index.html") for path in theme_pages(built_site)
    )
    assert "" in pages and len(pages) > 1, pages
    return pages


@pytest.fixture(scope="module")
def site_documents(built_site: Path) -> list[str]:
    """Every document the built site carries outside the theme, as its address."""
    return [path.relative_to(built_site).as_posix() for path in carried_documents(built_site)]


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def _visit(page: Page, site_url: str, address: str) -> None:
    page.goto(site_url + address)
    page.wait_for_load_state("load")
    # The theme sizes its sidebars from the window and the scroll position once the page
    # has drawn: measure after two frames, not the layout of a page still settling (a
    # sidebar briefly taller than the window reads as a region the keyboard cannot scroll).
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.add_script_tag(path=str(PROBES))


def _where(address: str, viewport: dict[str, int]) -> str:
    return f"/{address} at {viewport['width']}x{viewport['height']}"


def _blocking(axe: Axe, page: Page, where: str, context: str | None = None) -> list[str]:
    """axe-core's serious and critical violations on the page and in its frames, one line
    per element (an element in a frame is targeted through its frame: `iframe >> h2`)."""
    # axe-core checks a frame only where it runs too; it cannot reach in from outside.
    for frame in page.frames[1:]:
        frame.evaluate(axe.axe_script)
    violations = axe.run(page, context=context).response["violations"]
    lines = []
    for violation in violations:
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        for node in violation["nodes"]:
            targets = " ".join(" >> ".join(target) if isinstance(target, list) else target for target in node["target"])
            lines.append(
                f"{where}: {violation['id']} ({violation['impact']}) at `{targets}`: {violation['help']} "
                f"({violation['helpUrl']})"
            )
    return lines


@dataclass(frozen=True, slots=True)
class PageSurvey:
    """What one page of the built site shows at one screen size: measured once, judged by
    the tests below."""

    where: str
    blocking: tuple[str, ...]  # axe-core's serious and critical violations, one line per element
    contrasts: tuple[tuple[str, dict[str, Any]], ...]  # (kind of text, measured) per visible text
    headings: tuple[dict[str, Any], ...]  # level and text, in document order
    width: dict[str, Any]  # the page's width, the screen's, and what sticks out past it
    tables: int
    squeezed: tuple[str, ...]  # table cells narrower than NARROWEST_COLUMN_EMS
    unreachable_tables: int  # tables that scroll sideways in a box Tab cannot reach
    printed: tuple[str, ...]  # what shows on paper besides the page's content
    tab_stops: tuple[dict[str, Any], ...]  # where Tab from the top lands, until it comes back


TEXTS = {"link": "a[href]", "menu tab": ".md-tabs__link", "outcome badge": ".outcome"}


def _survey(page: Page, axe: Axe, site_url: str, address: str, viewport: dict[str, int]) -> PageSurvey:
    _visit(page, site_url, address)
    where = _where(address, viewport)
    blocking = _blocking(axe, page, where)
    contrasts = tuple(
        (kind, measured)
        for kind, selector in TEXTS.items()
        for measured in page.evaluate("selector => window.pageProbes.contrasts(selector)", selector)
    )
    headings = tuple(page.evaluate("window.pageProbes.headings()"))
    width = page.evaluate("window.pageProbes.stickingOut()")
    tables = page.locator(".md-typeset table").count()
    squeezed = tuple(page.evaluate("ems => window.pageProbes.squeezedCells(ems)", NARROWEST_COLUMN_EMS))
    unreachable_tables = page.evaluate(
        "() => [...document.querySelectorAll('.md-typeset__scrollwrap')]"
        ".filter(box => box.scrollWidth > box.clientWidth + 1 && box.getAttribute('tabindex') !== '0').length"
    )
    page.emulate_media(media="print")
    printed = tuple(page.evaluate("window.pageProbes.outside('article.md-content__inner')"))
    page.emulate_media(media="screen")
    # Last: Tab moves the focus and scrolls the page.
    page.add_style_tag(content=NO_MOTION)
    assert not page.locator("#__drawer").is_checked()
    stops: list[dict[str, Any]] = []
    for _ in range(MOST_TAB_STOPS):
        page.keyboard.press("Tab")
        focused = page.evaluate("window.pageProbes.focused()")
        if focused is None or (stops and focused["path"] == stops[0]["path"]):
            break
        stops.append(focused)
    return PageSurvey(
        where, tuple(blocking), contrasts, headings, width, tables, squeezed, unreachable_tables, printed, tuple(stops)
    )


def _surveys(
    browser: Browser, axe: Axe, site_url: str, site_pages: list[str], viewport: dict[str, int]
) -> list[PageSurvey]:
    page = open_page(browser, viewport)
    try:
        return [_survey(page, axe, site_url, address, viewport) for address in site_pages]
    finally:
        page.close()


@pytest.fixture(scope="module")
def desktop(browser: Browser, axe: Axe, site_url: str, site_pages: list[str]) -> list[PageSurvey]:
    return _surveys(browser, axe, site_url, site_pages, DESKTOP)


@pytest.fixture(scope="module")
def phone(browser: Browser, axe: Axe, site_url: str, site_pages: list[str]) -> list[PageSurvey]:
    return _surveys(browser, axe, site_url, site_pages, PHONE)


SCREENS = ["desktop", "phone"]


@pytest.mark.parametrize("screen", SCREENS)
def test_no_page_has_a_serious_or_critical_axe_violation(request: pytest.FixtureRequest, screen: str) -> None:
    surveys: list[PageSurvey] = request.getfixturevalue(screen)
    found = [line for survey in surveys for line in survey.blocking]
    assert not found, "axe-core finds what some readers cannot get past:\n" + "\n".join(found)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_documents_outside_the_theme_have_no_serious_or_critical_axe_violation(
    browser: Browser, axe: Axe, site_url: str, site_documents: list[str], viewport: dict[str, int]
) -> None:
    page = open_page(browser, viewport)
    found = []
    for address in site_documents:
        page.goto(site_url + address)
        page.wait_for_load_state("load")
        found += _blocking(axe, page, _where(address, viewport))
    page.close()
    assert not found, "axe-core finds what some readers cannot get past:\n" + "\n".join(found)


def test_a_frame_of_a_page_is_checked_by_axe_with_the_page(browser: Browser, axe: Axe, site_url: str) -> None:
    # A frame whose picture has no text alternative: a violation axe-core reports only
    # when it runs inside the frame as well.
    page = open_page(browser, DESKTOP)
    _visit(page, site_url, "")
    page.evaluate(
        """() => new Promise(done => {
            const frame = document.createElement('iframe');
            frame.title = 'A frame to check';
            frame.onload = done;
            frame.srcdoc = '<!DOCTYPE html><html lang="en"><title>t</title><main><img src="x.png"></main></html>';
            document.querySelector('article').append(frame);
        })"""
    )
    found = _blocking(axe, page, "/ with a frame")
    page.close()
    assert [line for line in found if "image-alt" in line and "iframe" in line], found


@pytest.mark.parametrize("screen", SCREENS)
def test_links_menu_tabs_and_outcome_badges_meet_aa_contrast(request: pytest.FixtureRequest, screen: str) -> None:
    surveys: list[PageSurvey] = request.getfixturevalue(screen)
    kinds = {kind for survey in surveys for kind, _ in survey.contrasts}
    assert {"link", "outcome badge"} <= kinds, f"the site shows no link or no outcome badge to measure: {kinds}"
    if screen == "desktop":
        assert "menu tab" in kinds, "the desktop site shows no menu tabs to measure"
    low = [
        f"{survey.where}: {kind} {text['element']}: {text['ratio']}:1 ({text['foreground']} on {text['background']})"
        for survey in surveys
        for kind, text in survey.contrasts
        if text["ratio"] < MINIMUM_CONTRAST
    ]
    assert not low, f"texts under {MINIMUM_CONTRAST}:1 against their background:\n" + "\n".join(low)


def test_every_page_has_one_h1_first_and_skips_no_heading_level(desktop: list[PageSurvey]) -> None:
    skipped = []
    for survey in desktop:
        levels = [heading["level"] for heading in survey.headings]
        if not levels or levels[0] != 1 or levels.count(1) != 1:
            skipped.append(f"{survey.where}: the page must open with its one h1; its levels are {levels}")
        previous = 1
        for heading in survey.headings:
            if heading["level"] > previous + 1:
                skipped.append(f"{survey.where}: h{previous} is followed by h{heading['level']}: {heading['text']}")
            previous = heading["level"]
    assert not skipped, "headings out of order:\n" + "\n".join(skipped)


def test_no_page_scrolls_sideways_on_a_phone(phone: list[PageSurvey]) -> None:
    wide = [
        f"{survey.where}: the page is {survey.width['scrollWidth']} px wide on a {survey.width['width']} px "
        "screen; past its right edge: " + "; ".join(survey.width["elements"])
        for survey in phone
        if survey.width["scrollWidth"] > survey.width["width"] or survey.width["elements"]
    ]
    assert not wide, "pages wider than a phone:\n" + "\n".join(wide)


def test_tables_on_a_phone_keep_readable_columns_and_scroll_within_a_box_the_keyboard_reaches(
    phone: list[PageSurvey],
) -> None:
    if not any(survey.tables for survey in phone):
        pytest.skip("the site has no table")
    problems = [f"{survey.where}: a column squeezed to {cell}" for survey in phone for cell in survey.squeezed]
    problems += [
        f"{survey.where}: {survey.unreachable_tables} tables scroll sideways but Tab cannot reach them"
        for survey in phone
        if survey.unreachable_tables
    ]
    assert not problems, "tables a phone cannot read:\n" + "\n".join(problems)


@pytest.mark.parametrize("screen", SCREENS)
def test_tab_from_the_top_lands_only_on_what_a_person_can_see_outlined_and_readable(
    request: pytest.FixtureRequest, screen: str
) -> None:
    surveys: list[PageSurvey] = request.getfixturevalue(screen)
    problems = []
    for survey in surveys:
        if len(survey.tab_stops) == MOST_TAB_STOPS:
            problems.append(f"{survey.where}: Tab never came back to the top in {MOST_TAB_STOPS} presses")
        for stop in survey.tab_stops:
            where = f"{survey.where}: Tab lands on {stop['element']}"
            contrast = stop["contrast"]
            if not stop["seen"]:
                problems.append(f"{where}, which is not visible")
            elif not stop["outlined"]:
                problems.append(f"{where}, which shows no focus outline")
            elif contrast and contrast["ratio"] < MINIMUM_CONTRAST:
                problems.append(
                    f"{where}, whose text is {contrast['ratio']}:1 ({contrast['foreground']} on {contrast['background']})"
                )
    assert not problems, "what the keyboard reaches:\n" + "\n".join(problems)


def test_a_printed_page_is_its_content_without_the_site_chrome(desktop: list[PageSurvey]) -> None:
    shown = [f"{survey.where}: {element}" for survey in desktop for element in survey.printed]
    assert not shown, "printed besides the page's content:\n" + "\n".join(shown)


def test_the_open_menu_and_search_results_have_no_serious_axe_violation(
    browser: Browser, axe: Axe, site_url: str, site_pages: list[str]
) -> None:
    page = open_page(browser, PHONE)
    _visit(page, site_url, "")
    page.get_by_role("button", name="Menu").click()
    expect(page.locator(".md-sidebar--primary")).to_be_in_viewport()
    found = _blocking(axe, page, "/ with the menu open at 390x844")
    page.close()

    page = open_page(browser, DESKTOP)
    _visit(page, site_url, "")
    box = page.get_by_role("textbox", name="Search")
    box.click()
    box.press_sequentially("bill", delay=10)
    expect(page.locator(".md-search-result__item").first).to_be_visible()
    found += _blocking(axe, page, "/ with search results at 1366x900", context=".md-search")
    page.close()
    assert not found, "axe-core finds what some readers cannot get past:\n" + "\n".join(found)


def test_tab_through_the_open_menu_on_a_phone_lands_only_on_what_a_person_can_see(
    browser: Browser, site_url: str, site_pages: list[str]
) -> None:
    page = open_page(browser, PHONE)
    drawer = page.locator(".md-sidebar--primary")
    problems = []
    for address in site_pages:
        _visit(page, site_url, address)
        page.add_style_tag(content=NO_MOTION)
        page.get_by_role("button", name="Menu").focus()
        page.keyboard.press("Enter")
        stops = 0
        while drawer.evaluate("drawer => drawer.contains(document.activeElement)"):
            focused = page.evaluate("window.pageProbes.focused()")
            if not focused["seen"]:
                problems.append(
                    f"{_where(address, PHONE)}: in the open menu, Tab lands on {focused['element']}, which is not visible"
                )
            stops += 1
            if stops == MOST_TAB_STOPS:
                problems.append(f"{_where(address, PHONE)}: Tab never leaves the open menu")
                break
            page.keyboard.press("Tab")
        if not stops:
            problems.append(f"{_where(address, PHONE)}: opening the menu does not take the keyboard into it")
    page.close()
    assert not problems, "what the keyboard reaches in the menu:\n" + "\n".join(problems)


def test_the_header_buttons_and_the_search_dialog_have_names(browser: Browser, site_url: str) -> None:
    page = open_page(browser, PHONE)
    _visit(page, site_url, "")
    expect(page.get_by_role("button", name="Menu")).to_be_visible()
    expect(page.get_by_role("button", name="Search")).to_be_visible()
    expect(page.get_by_role("dialog", name="Search", include_hidden=True)).to_have_count(1)
    page.close()


def test_a_wide_screen_shows_tabs_and_a_search_box_instead_of_the_header_buttons(
    browser: Browser, site_url: str
) -> None:
    page = open_page(browser, DESKTOP)
    _visit(page, site_url, "")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("button", name="Search")).to_be_hidden()
    expect(page.get_by_role("textbox", name="Search")).to_be_visible()
    expect(page.locator(".md-tabs__link").first).to_be_visible()
    page.close()


def test_the_menu_opens_and_closes_from_the_keyboard_on_a_phone(browser: Browser, site_url: str) -> None:
    page = open_page(browser, PHONE)
    _visit(page, site_url, "glossary/")
    menu = page.get_by_role("button", name="Menu")
    drawer = page.locator(".md-sidebar--primary")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(drawer).to_be_in_viewport()
    assert page.evaluate("document.querySelector('.md-sidebar--primary').contains(document.activeElement)")
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(drawer).not_to_be_in_viewport()
    expect(drawer.get_by_role("link").first).to_be_hidden()
    page.keyboard.press(" ")
    expect(menu).to_have_attribute("aria-expanded", "true")
    # A section opens from the keyboard too, and its links become reachable.
    section = drawer.locator("label.md-nav__link[tabindex='0']").first
    section.focus()
    page.keyboard.press("Enter")
    inside = drawer.locator(f"#{section.get_attribute('for')} ~ nav a[href]").first
    expect(inside).to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(inside).to_be_focused()
    page.close()


def test_the_search_button_opens_search_from_the_keyboard_on_a_phone(browser: Browser, site_url: str) -> None:
    page = open_page(browser, PHONE)
    _visit(page, site_url, "")
    button = page.get_by_role("button", name="Search")
    box = page.get_by_role("textbox", name="Search")
    expect(box).to_be_hidden()
    button.focus()
    page.keyboard.press("Enter")
    expect(box).to_be_visible()
    expect(box).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(box).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")
    page.close()
