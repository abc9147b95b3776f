"""Audit a table of service records on Spark with the policy's query.

    billability sql --dialect spark --table audit_records -o policy.sql
    spark-submit audit_spark.py policy.sql mapping.yaml RECORDS RESULT

RECORDS is a table (`claims.ehr_export`) or a path to a folder of Parquet files (a
name with a `/`, as `./export`); RESULT the table or Parquet folder to write, named
the same way. The export's columns become the policy's facts as the
mapping says (the same mapping file `billability audit --map` reads): a column per
fact, named like the fact, the export's codes turned into the fact's values. A code the
mapping does not list is passed on as it is, and the query makes its row `invalid`.
A fact without `codes` takes its column as it is: a number fact's column must hold
numbers (as an INT column of a table does).

The result has every column of the records, then the facts, then `outcome`, `rules`,
`missing` and `problems`. Spark needs PyYAML on the machine that submits the job.
"""

import sys

import yaml
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

# The name given to `billability sql --table`: the records are shown to the query under it.
TABLE = "audit_records"


def value_of(meaning: object) -> Column:
    """A code's meaning in the mapping as the query reads it: a value's name, `true` or
    `false`, or NULL (unknown) for `~`."""
    if meaning is None:
        return F.lit(None).cast("string")
    if isinstance(meaning, bool):
        return F.lit("true" if meaning else "false")
    return F.lit(str(meaning))


def with_facts(records: DataFrame, mapping: dict) -> DataFrame:
    """The records with a column per fact of the mapping, named like the fact."""
    facts = {}
    for fact, how in mapping["facts"].items():
        column = F.col(f"`{how['column']}`")
        codes = how.get("codes")
        if not codes:
            facts[fact] = column
            continue
        cell = column.cast("string")
        value = F.when(cell.isNull() | (F.trim(cell) == ""), F.lit(None).cast("string"))
        for code, meaning in codes.items():
            value = value.when(cell == str(code), value_of(meaning))
        facts[fact] = value.otherwise(cell)
    return records.withColumns(facts)


def read(spark: SparkSession, name: str) -> DataFrame:
    return spark.read.parquet(name) if "/" in name else spark.table(name)


def main(query_file: str, mapping_file: str, records_name: str, result_name: str) -> None:
    spark = SparkSession.builder.appName("billability audit").getOrCreate()
    with open(query_file, encoding="utf-8") as file:
        query = file.read()
    with open(mapping_file, encoding="utf-8") as file:
        mapping = yaml.safe_load(file)

    records = read(spark, records_name)
    with_facts(records, mapping).createOrReplaceTempView(TABLE)
    result = spark.sql(query)
    if "/" in result_name:
        result.write.mode("overwrite").parquet(result_name)
    else:
        result.write.mode("overwrite").saveAsTable(result_name)

    # Every row in is a row out: compare the counts, then look at the outcomes.
    written = read(spark, result_name)
    rows_in, rows_out = records.count(), written.count()
    print(f"{rows_in} rows in, {rows_out} rows out")
    written.groupBy("outcome").count().orderBy("outcome").show()
    if rows_in != rows_out:
        sys.exit("the result does not have a row for every record")


if __name__ == "__main__":
    main(*sys.argv[1:])
