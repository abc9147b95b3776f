"""A throwaway PostgreSQL server for the tests of the policy's query: a new cluster in a
temporary folder, reached only on a Unix socket there, stopped and removed at the end.

`postgres_cluster()` starts one (Debian's server programs: `pg_config --bindir`, else the
newest /usr/lib/postgresql/*/bin) and yields its connection settings; `connect` opens a
psycopg connection to it. initdb refuses to run as root, so as root the server programs
run as the `postgres` user Debian's package makes, in a folder it owns.

`require_postgres()` says why the tests cannot run (no server programs, no psycopg), to
skip them, or in CI (`CI` set) to fail them: CI never passes a PostgreSQL test it did
not run.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import psycopg

SERVER_USER = "postgres"  # the user Debian's package makes, who runs the server as root
DATABASE = "postgres"


def server_programs() -> Path | None:
    """The folder of initdb, pg_ctl and postgres: `pg_config --bindir`, else Debian's newest."""
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        folder = Path(found.stdout.strip())
        if found.returncode == 0 and (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0
    )
    for folder in reversed(versions):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _as_root() -> bool:
    return os.geteuid() == 0


def missing() -> str | None:
    """Why a PostgreSQL server cannot be started here, or None when it can."""
    if importlib.util.find_spec("psycopg") is None:
        return "`psycopg` is not installed: pip install -e '.[dev]'"
    if server_programs() is None:
        return (
            "no PostgreSQL server programs (pg_config --bindir, /usr/lib/postgresql/*/bin): apt-get install postgresql"
        )
    if _as_root():
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root, and there is no `{SERVER_USER}` user to run the server as"
    return None


def require_postgres() -> None:
    """Skip the calling test (fail it in CI) unless a PostgreSQL server can be started."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        # In CI the PostgreSQL tests must run: a missing server is a failure, not a skip.
        pytest.fail(f"the PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True, slots=True)
class Cluster:
    """Where a started server listens: its socket's folder, and the user to connect as."""

    socket_folder: Path
    user: str


def _run(command: list[str], as_user: str | None) -> None:
    if as_user is not None:
        command = ["runuser", "-u", as_user, "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


@contextmanager
def postgres_cluster() -> Iterator[Cluster]:
    """A new cluster (UTF8, C.UTF-8) in a temporary folder, listening only on a Unix socket
    there; stopped (`pg_ctl stop -m fast`) and removed when the block ends."""
    programs = server_programs()
    assert programs is not None, missing()
    as_user = SERVER_USER if _as_root() else None
    folder = Path(tempfile.mkdtemp(prefix="billability-postgres-"))
    data, log = folder / "data", folder / "server.log"
    try:
        if as_user is not None:
            account = pwd.getpwnam(as_user)
            os.chown(folder, account.pw_uid, account.pw_gid)
        user = as_user or pwd.getpwuid(os.geteuid()).pw_name
        _run(
            [
                str(programs / "initdb"),
                "-D",
                str(data),
                "-U",
                user,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            as_user,
        )
        options = f"-c listen_addresses='' -c unix_socket_directories='{folder}' -c fsync=off"
        _run([str(programs / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"], as_user)
        try:
            yield Cluster(folder, user)
        finally:
            _run([str(programs / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], as_user)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def connect(cluster: Cluster) -> psycopg.Connection:
    """A connection to the cluster's `postgres` database that commits each statement."""
    import psycopg

    return psycopg.connect(host=str(cluster.socket_folder), user=cluster.user, dbname=DATABASE, autocommit=True)
