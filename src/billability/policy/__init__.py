"""The policy stage: the policy's YAML files in, a compiled `Policy` out.

Takes a policy folder (or texts in memory). `syntax` reads YAML keeping every node's
file:line:column and words its syntax errors; `source` gathers the files; `schema`
checks them against the JSON Schemas; `quotes` and `sourcetext` hold the county's
reference text that rules quote; `compile` builds the model's values and reports every
problem at once (`load_policy`); `compiled.Policy` is the model's data with `evaluate`,
answered by the decide stage. `wording` gives the staff words for the policy's names
and outcomes; `dump` writes a compiled policy back as YAML; `scenario` reads a scenario
given on the command line (a file of facts and FACT=VALUE words) by the policy's facts.
"""
