"""The history stage: the policy as it stood at other revisions, and what changed.

Takes a git checkout (or two policy folders). Gives `archive` (folders as they stood at a
git revision, read into a temporary folder, and the policy a command's `--policy` names:
a folder or a revision), `revisions` (a policy and corpus read
from a git revision: the sides of a diff), `versions` (each released version of the
policy, from the git log), `renames` (facts and values a change renamed), `asked`
(where a fact is asked, to count scenarios), `joint_regions` (the one partition of two
policies' joint space, and its regions of changed scenarios joined into groups), `diff`
(those groups with the rules, facts and corpus cases a change touches), `diff_report`
(the diff as text and Markdown) and `changes` (what each version changed, in staff
words, for the site's What changed page). `release` freezes the current version and its
corpus under `releases/`, so that the package decides it without git.
"""
