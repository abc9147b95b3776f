"""The decide stage: answers a scenario under a policy's data.

Takes the model's `PolicyData` and a scenario (fact name -> value). Gives a `Decision`:
`scenario` checks a scenario against the policy and judges a condition on it
(three-valued `truth`); `value_classes` finds the values of a fact the policy tells
apart; `reference` is the reference engine, which splits on unknown facts until every
branch is settled; `diagram` compiles a policy into its decision diagram, the same
answers in a walk of a few steps, and `diagram_json` writes it as JSON and JavaScript
for the site; `engine` chooses between the two; `regions` partitions the space of
scenarios by answer, and `table` lists that partition as the decision table;
`explain` words a decision. Nothing here reads a file.
"""
