"""The policy stage: the policy's YAML files in, a compiled `Policy` out.

Takes a policy folder (or texts in memory). `source` reads YAML strictly, keeping every
value's file:line:column, and gathers the files; `syntax` words YAML's syntax errors,
from the lines around the error that `syntax_lines` reads; `schema` checks the files
against the JSON Schemas, and `checked_file` keeps which parts of a file it found wrong;
`quotes` and `sourcetext` hold the county's reference text that rules quote; `compile`
builds the model's values and reports every problem at once (`load_policy`), with the
rules' and facts' conditions compiled by `compile_conditions`; `compiled.Policy` is the
model's data with `evaluate`, answered by the decide stage. `wording` gives the staff
words for the policy's names and outcomes; `dump` writes a compiled policy back as YAML;
`scenario` reads a scenario given on the command line (a file of facts and
FACT=VALUE words) by the policy's facts. `versions` compiles every version of a policy
(its own files, the current version, and the released ones under `releases/`) and
picks the one in force on a day.
"""
