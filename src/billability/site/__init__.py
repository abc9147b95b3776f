"""The site stage: the staff reference site's pages, written from the policy at each build.

Takes the policy's versions, the corpus of the version in force on the build day (run,
so every example is a passing case), the contrasts file and the checkout the site is
built from. Gives Markdown pages by path: `pages` (`build_pages`, which `docs/hooks.py`
calls: every generated page), `in_force` (which version the site describes, which are
coming), one module per kind of page (`home_page`, `topic_page`, `summary_page`,
`contrasts_page`, `how_decisions_page`, `what_changed`, `checker` for the step-by-step
checker and its scripts, serving every version), and what they share: `coming` (the
versions taking effect after the build day and the answers they change),
`change_words` (a changed answer in staff's words), `layout` (page paths, links, shared blocks),
`placement` (where each rule sits in the county's table, its exceptions), `examples`
(the cases that teach, one line each) and `contrasts` (reading the contrasts file).
For the MkDocs hook: `navigation` (the topic pages in the menu), `colophon` (every
page's footer) and `audit_page` (the audit page's examples, made from `docs/audit/`).
"""
