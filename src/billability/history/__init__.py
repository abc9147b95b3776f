"""The history stage: the policy as it stood at other revisions, and what changed.

Takes a git checkout (or two policy folders). Gives `revisions` (a policy and corpus read
from a git revision: the sides of a diff), `versions` (each released version of the
policy, from the git log), `renames` (facts and values a change renamed), `asked` and
`diff` (the scenarios whose answer a change moves, in groups), `diff_report` (those
groups as text and Markdown) and `changes` (what each version changed, in staff words,
for the site's What changed page).
"""
