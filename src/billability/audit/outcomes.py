"""The audit's words for what it says of a record and of a cell.

In: the policy's outcomes (`model.policy.Outcome`).
Out: `OUTCOMES`, every outcome the audit gives a record, in the order its summary and
report list them: the policy's, then `invalid` (the answer depends on a cell that
cannot be read) and `not_audited` (a record outside the mapping's scope); and the
severities of a cell's problem: `error` when the record's answer depends on it, else
`warning`. The Python engine, DuckDB's and the policy's SQL all write these words.
"""

from __future__ import annotations

from billability.model.policy import Outcome

INVALID = "invalid"
NOT_AUDITED = "not_audited"  # a row outside the mapping's scope: never decided
OUTCOMES: tuple[str, ...] = (*(str(o) for o in Outcome), INVALID, NOT_AUDITED)
ERROR = "error"
WARNING = "warning"
