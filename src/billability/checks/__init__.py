"""The checks stage: what a maintainer runs to trust a policy before it merges.

Takes a compiled `Policy` (or all its versions) and its corpus folder. Gives `corpus`
(reading the cases and running them, each by the version in force on its service date),
`every_version` (each released version run against the corpus as it stood for it:
`billability test`), `lint` (rules that never decide, conditions that
never hold), `validation` (a policy and its corpus checked without running a case:
`billability validate`), `coverage` (rules and conditions no case reaches), `mutate` with
`distinguish` (small changes the corpus must catch, or proof none can be told apart),
and `strategies` (Hypothesis strategies: scenarios and whole generated policies). The
pytest plugin (`billability.pytest_plugin`) runs the corpus as test items.
"""
