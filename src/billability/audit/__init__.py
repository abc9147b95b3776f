"""The audit stage: service records in, one decision per record out.

Takes an export (CSV, JSON Lines or Parquet, as EHRs write them: `export_text` finds its
encoding and delimiter, `records` reads it), a mapping from its columns and codes to the
policy's facts (`mapping`, with `dates`), and a compiled `Policy`. Gives each record's
outcome, deciding rules, reasons and problems (`run.audit_file`, through the Python
engine or DuckDB's, `duckdb_engine`, chosen in `engines`), the written results and
their safety checks (`results`), the summary and HTML report (`report`, `charts`,
`provenance`), the cells no engine can read (`unreadable`), and the policy as one SQL
query over a table of records (`sql`, `sql_cells`). What the `audit` and `sql`
commands check of their options is here too: `fail_on` (the outcomes `--fail-on` names)
and `query_file` (the query checked against its options and written whole).
"""

from billability.audit.run import audit_file

__all__ = ["audit_file"]
