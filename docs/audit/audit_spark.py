"""Audit a table of service records on Spark with the policy's query.

    billability sql --dialect spark --table audit_records -o policy.sql
    spark-submit audit_spark.py policy.sql mapping.yaml RECORDS RESULT

RECORDS is a table (`claims.ehr_export`) or a path to a folder of Parquet files (a
name with a `/`, as `./export`); RESULT the table or Parquet folder to write, named
the same way. The export's columns become the policy's facts as the
mapping says (the same mapping file `billability audit --map` reads): a column per
fact, named like the fact, the export's codes turned into the fact's values (matched
ignoring case and the spaces around them). A code the mapping does not list is passed
on as it is, and the query makes its row `invalid`. A fact without `codes` takes its
column as it is: a number fact's column must hold numbers (as an INT column of a table
does). A fact with `from_dates` is derived from the service and discharge dates; a
date that cannot be read is passed on as it is, and the query makes its row `invalid`.
Rows outside the mapping's `scope` come out with the outcome `not_audited`.

The result has every column of the records, then the facts, then `outcome`, `rules`,
`missing` and `problems`. Spark needs PyYAML on the machine that submits the job.
"""

import sys

import yaml
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

# The name given to `billability sql --table`: the records are shown to the query under it.
TABLE = "audit_records"
# The facts the policy counts in whole numbers: derived from dates, they are a count of days.
WHOLE_NUMBER_FACTS = {"days_since_discharge"}
# The mapping's date formats in Spark's words.
DATE_FORMATS = {"yyyy-mm-dd": "yyyy-MM-dd", "m/d/yyyy": "M/d/yyyy", "d/m/yyyy": "d/M/yyyy"}


def value_of(meaning: object) -> Column:
    """A code's meaning in the mapping as the query reads it: a value's name, `true` or
    `false`, or NULL (unknown) for `~`."""
    if meaning is None:
        return F.lit(None).cast("string")
    if isinstance(meaning, bool):
        return F.lit("true" if meaning else "false")
    return F.lit(str(meaning))


def text_of(column: str) -> Column:
    """A cell as text without the spaces around it."""
    return F.trim(F.col(f"`{column}`").cast("string"))


def from_dates(how: dict, whole_number: bool) -> Column:
    """A fact derived from a service date and a discharge date: whether the service is
    on or after the discharge (false without a discharge date), or the days from the
    discharge to the service (unknown before it, or without a discharge date)."""
    service, discharge = text_of(how["from_dates"]["service"]), text_of(how["from_dates"]["discharge"])
    pattern = DATE_FORMATS[how["format"]]
    served, discharged = F.to_date(service, pattern), F.to_date(discharge, pattern)
    days = F.datediff(served, discharged)
    blank = F.lit(None).cast("string")
    value = F.when((service != "") & served.isNull(), service).when((discharge != "") & discharged.isNull(), discharge)
    value = value.when(discharge.isNull() | (discharge == ""), blank if whole_number else F.lit("false"))
    value = value.when(service.isNull() | (service == ""), blank)
    if whole_number:
        return value.when(days >= 0, days.cast("string")).otherwise(blank)
    return value.when(days >= 0, F.lit("true")).otherwise(F.lit("false"))


def with_facts(records: DataFrame, mapping: dict) -> DataFrame:
    """The records with a column per fact of the mapping, named like the fact."""
    facts = {}
    for fact, how in mapping["facts"].items():
        if "from_dates" in how:
            facts[fact] = from_dates(how, fact in WHOLE_NUMBER_FACTS)
            continue
        column = F.col(f"`{how['column']}`")
        codes = how.get("codes")
        if not codes:
            facts[fact] = column
            continue
        cell = F.lower(text_of(how["column"]))
        value = F.when(cell.isNull() | (cell == ""), F.lit(None).cast("string"))
        for code, meaning in codes.items():
            value = value.when(cell == str(code).strip().lower(), value_of(meaning))
        facts[fact] = value.otherwise(column.cast("string"))
    return records.withColumns(facts)


def out_of_scope(result: DataFrame, mapping: dict) -> DataFrame:
    """The result with the rows outside the mapping's scope marked `not_audited`."""
    scope = mapping.get("scope")
    if not scope:
        return result
    codes = [str(code).strip().lower() for code in scope["codes"]]
    audited = F.coalesce(F.lower(text_of(scope["column"])).isin(codes), F.lit(False))
    answers = {name: F.when(audited, F.col(name)) for name in ("rules", "missing", "problems")}
    return result.withColumns({"outcome": F.when(audited, F.col("outcome")).otherwise(F.lit("not_audited")), **answers})


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
    result = out_of_scope(spark.sql(query), mapping)
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
