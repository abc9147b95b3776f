"""The model: the values every stage passes along, and nothing that computes a decision.

Takes nothing from the other stages. Gives the policy's data (`policy.PolicyData`: facts,
rules and their condition forms, precedence, source), `Decision` and its citations and
trace, the located problems every stage reports (`diagnostics`: `Location`,
`Diagnostic`, `Problems`, `ScenarioError`), walks over conditions (`conditions`) and the
paths of the bundled policy, schemas and corpus, and of those a command acts on (`resources`).
"""
