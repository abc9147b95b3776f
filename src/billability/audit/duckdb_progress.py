"""Run a DuckDB statement while telling how far it has come.

In: a DuckDB connection, a statement and its parameters, and maybe a function told the
share of the work done (from 0 to 1).
Out: `run_statement` runs the statement on a thread of its own and tells DuckDB's
progress while it runs (a signal stops the statement before it is raised); `scaled`
makes a share of one pass a share of the whole run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import duckdb


def scaled(progress: Callable[[float], None] | None, start: float, span: float) -> Callable[[float], None] | None:
    if progress is None:
        return None
    return lambda done: progress(start + span * done)


def run_statement(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: list[Any], progress: Callable[[float], None] | None
) -> duckdb.DuckDBPyConnection:
    """Run a statement; with `progress`, tell it DuckDB's progress while it runs."""
    if progress is None:
        return connection.execute(sql, parameters)
    failure: list[BaseException] = []
    # Not `Thread.join`: a signal's exception interrupting it makes the thread look
    # finished while it runs (Python 3.11), and it would outlive the connection.
    finished = threading.Event()

    def run() -> None:
        try:
            connection.execute(sql, parameters)
        except BaseException as error:
            failure.append(error)
        finally:
            finished.set()

    threading.Thread(target=run, daemon=True).start()
    try:
        while not finished.wait(0.2):
            done = connection.query_progress()
            if done >= 0:
                progress(min(done, 100.0) / 100)
    except BaseException:
        # Stopped (a signal, say): the statement stops too before its files are removed.
        connection.interrupt()
        finished.wait()
        raise
    if failure:
        raise failure[0]
    progress(1.0)
    return connection
