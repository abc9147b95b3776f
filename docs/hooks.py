"""MkDocs hook: add the pages generated from the policy and the corpus to the site.

In: the MkDocs configuration and the hand-written pages under `pages/`.
Out: the same files plus every page `billability.site.pages.build_pages` writes, so a
policy or corpus change shows on the next build and can never leave the site stale;
each describes the version of the policy in force on the day of the build
(`billability.site.in_force`), as do the following:
the navigation's `Topics` section, filled with the page of each topic of the policy
(`billability.site.navigation`); and the footer of every page (`config.copyright`): the policy's version and effective
date, its source document and the commit the site is built from; and the audit page's
examples (the example mapping, the audit's summary and its HTML report of the example
export, the report written into the site beside the page), filled in from the files and
the policy of the checkout by `billability.site.audit_page`.
A policy the corpus disagrees with, or a contrast naming no case, stops the build.
"""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from billability.site.audit_page import MARKER, example_reports, fill_examples
from billability.site.colophon import build_commit, footer_line
from billability.model.diagnostics import Problems
from billability.policy.compiled import Policy
from billability.site.in_force import site_versions
from billability.site.navigation import with_topic_pages
from billability.model.resources import project, shown_path
from billability.site.pages import build_pages

_HERE = Path(__file__).resolve().parent
# The site shows the policy and corpus of the checkout it is built from, not an installed copy.
_CHECKOUT = project(_HERE)
# The folder the audit page's example files are named from (`docs/audit/...`).
_ROOT = _CHECKOUT.root or _HERE.parent


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # `mkdocs serve` rebuilds when the policy, the corpus, the contrasts or the audit's examples change.
    config.watch.extend(
        str(path) for path in (_CHECKOUT.policy, _CHECKOUT.corpus, _HERE / "contrasts.yaml", _HERE / "audit")
    )
    policy = _shown_policy()
    configuration = Path(config.config_file_path)
    try:
        config.nav = with_topic_pages(
            config.nav, policy, configuration.read_text(encoding="utf-8"), shown_path(configuration)
        )
    except Problems as error:
        raise PluginError("the site's navigation cannot list the policy's topics:\n" + str(error)) from None
    config.copyright = footer_line(policy, build_commit(_ROOT, os.environ))
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    try:
        pages = build_pages(
            _HERE / "contrasts.yaml", _CHECKOUT.policy, [_CHECKOUT.corpus], present=[file.src_uri for file in files]
        )
    except Problems as error:
        raise PluginError("the site's pages cannot be generated:\n" + str(error)) from None
    reports: dict[str, str] = {}
    for page in files.documentation_pages():
        if MARKER.search(page.content_string) is None:
            continue
        try:
            reports |= example_reports(page.content_string, _ROOT, _current_policy())
        except Problems as error:
            raise PluginError(f"the example reports of pages/{page.src_uri} cannot be written:\n{error}") from None
    for path, text in {**pages, **reports}.items():
        if files.get_file_from_path(path) is not None:
            raise PluginError(f"pages/{path} is written by hand but is also generated from the policy; remove one")
        files.append(File.generated(config, path, content=text))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if MARKER.search(markdown) is None:
        return markdown
    try:
        return fill_examples(markdown, _ROOT, _current_policy(), page.url)
    except Problems as error:
        raise PluginError(f"the examples of pages/{page.file.src_uri} cannot be filled in:\n{error}") from None


def _shown_policy() -> Policy:
    """The version of the checkout's policy in force today, which the site describes."""
    try:
        return site_versions(_CHECKOUT.policy).shown
    except Problems as error:
        raise PluginError("the site's pages cannot be generated:\n" + str(error)) from None


def _current_policy() -> Policy:
    """The current version of the checkout's policy, the one the example mapping is written
    for: the audit page's examples run it, whichever version the rest of the site shows."""
    try:
        return site_versions(_CHECKOUT.policy).versions.current
    except Problems as error:
        raise PluginError("the site's pages cannot be generated:\n" + str(error)) from None
