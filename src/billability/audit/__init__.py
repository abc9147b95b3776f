"""The audit stage: service records in, one decision per record out.

Takes an export (CSV, JSON Lines or Parquet, as EHRs write them), a mapping from its
columns and codes to the policy's facts, and a compiled `Policy`. Gives each record's
outcome, deciding rules, reasons and problems, written beside its own columns, a
summary and an HTML report, and the policy as one SQL query over a table of records.
Bottom to top:

- reading an export: `export_text` finds a text file's encoding and delimiter,
  `formats` tells a file's format from its name, `reading_errors` words what DuckDB
  cannot read, `records` reads the export in batches;
- reading its cells as facts: `mapping` reads and checks the mapping file (with
  `dates`' formats), `binding` turns a record's cells into a scenario's facts and the
  problems of the cells it cannot read, `outcomes` holds the audit's words for both;
- deciding: `engines` decide batches of scenarios, `python_audit` decides every row
  through one (with a service date, through the engine of the version in force on
  it), `summary` sums up the results, `results` writes the rows and checks the output
  paths; DuckDB's engine reads the cells as classes in SQL (`duckdb_reading`), walks
  the decision diagram of the version a row's date picks (`dated_leaves`, `sql_walk`),
  leaves the cells it cannot read to the interpreter (`unreadable`) and writes the
  rows (`duckdb_engine`, telling its progress through `duckdb_progress`);
  `run.audit_file` does all of it for a file, as `billability audit` does;
- reporting: `report` (with `charts` and `provenance`) renders the summary as text
  and HTML;
- the policy as SQL: `sql` writes one query over a table of records, reading its
  cells with `sql_cells` (`sql_pieces`, `sql_dates`) and walking the diagram with
  `sql_walk`;
- a policy change's impact on an export: `impact_pairs` decides every row under two
  policies with the engines above and counts the pairs of results, `impact` sums
  them up by outcome and by change of outcome, `impact_report` renders that as text,
  Markdown and HTML, and `impact_run.impact_of_change` does all of it, as `billability
  diff --records` does;
- what the `audit` and `sql` commands check of their options: `fail_on` (the outcomes
  `--fail-on` names) and `query_file` (the query checked against its options and
  written whole).
"""

from billability.audit.run import audit_file

__all__ = ["audit_file"]
