"""The site stage: the staff reference site's pages, written from the policy at each build.

Takes a compiled `Policy`, its corpus (run, so every example is a passing case), the
contrasts file and the checkout the site is built from. Gives Markdown pages by path:
`pages` (`build_pages`, which `docs/hooks.py` calls: every generated page), one module
per kind of page (`home_page`, `topic_page`, `summary_page`, `contrasts_page`,
`how_decisions_page`, `what_changed`, `checker` for the step-by-step checker and its
scripts), and what they share: `layout` (page paths, links, shared blocks),
`placement` (where each rule sits in the county's table, its exceptions), `examples`
(the cases that teach, one line each) and `contrasts` (reading the contrasts file).
For the MkDocs hook: `navigation` (the topic pages in the menu), `colophon` (every
page's footer) and `audit_page` (the audit page's examples, made from `docs/audit/`).
"""
