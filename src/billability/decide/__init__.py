"""The decide stage: answers a scenario under a policy's data.

Takes the model's `PolicyData` and a scenario (fact name -> value). Gives a `Decision`:
`evaluate` checks the scenario and holds the reference engine, which splits on unknown
facts until every branch is settled; `diagram` compiles a policy into its decision
diagram, the same answers in a walk of a few steps, and writes it as JSON and
JavaScript for the site; `engine` chooses between the two; `regions` partitions the
space of scenarios by answer (the decision table); `explain` words a decision. Nothing
here reads a file.
"""
