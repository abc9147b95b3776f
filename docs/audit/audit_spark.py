"""Audit a table of service records on Spark with the policy's query.

    billability sql --dialect spark --map mapping.yaml --table ehr_export -o policy.sql
    spark-submit audit_spark.py policy.sql RECORDS RESULT

The query holds the whole audit: the mapping (the export's own columns and codes) and
the rules. The script only reads the records, shows them to Spark under the name the
query was written for (`--table`, here `ehr_export`), runs the query, writes its result
and compares the rows in and out.

RECORDS is a table (`claims.ehr_export`) or a path, a name with a `/`: a `.csv` file
or folder of CSV files with a header line (every cell read as text), a `.jsonl` file,
or else Parquet (a file or a folder). RESULT is the table to write, or a Parquet folder
given as a path (`./audited`). The result has every column of the records, then `row`,
`outcome`, `rules`, `reasons`, `missing`, `problems`, `policy_id` and `policy_version`,
as `billability audit` writes them.
"""

import sys

from pyspark.sql import DataFrame, SparkSession

# The name given to `billability sql --table`: the records are shown to the query under it.
TABLE = "ehr_export"


def read(spark: SparkSession, name: str) -> DataFrame:
    """The records: a table by its name, or the file or folder at a path."""
    if "/" not in name:
        return spark.table(name)
    if name.rstrip("/").endswith(".csv"):
        return spark.read.csv(name, header=True, inferSchema=False)
    if name.endswith(".jsonl"):
        return spark.read.json(name)
    return spark.read.parquet(name)


def audit(spark: SparkSession, query: str, records: DataFrame, table: str = TABLE) -> DataFrame:
    """The query's result over the records, shown to it as `table`."""
    records.createOrReplaceTempView(table)
    return spark.sql(query)


def write(result: DataFrame, name: str) -> None:
    """The result written to a table, or to a Parquet folder at a path."""
    if "/" in name:
        result.write.mode("overwrite").parquet(name)
    else:
        result.write.mode("overwrite").saveAsTable(name)


def main(query_file: str, records_name: str, result_name: str) -> None:
    spark = SparkSession.builder.appName("billability audit").getOrCreate()
    with open(query_file, encoding="utf-8") as file:
        query = file.read()

    records = read(spark, records_name)
    write(audit(spark, query, records), result_name)

    # Every row in is a row out: compare the counts, then look at the outcomes.
    written = spark.read.parquet(result_name) if "/" in result_name else spark.table(result_name)
    rows_in, rows_out = records.count(), written.count()
    print(f"{rows_in} rows in, {rows_out} rows out")
    written.groupBy("outcome").count().orderBy("outcome").show()
    if rows_in != rows_out:
        sys.exit("the result does not have a row for every record")


if __name__ == "__main__":
    main(*sys.argv[1:])
