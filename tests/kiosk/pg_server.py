"""A private PostgreSQL server for the tests: its own cluster in a temporary folder, on a Unix
socket and a free port, run as the ``postgres`` user when the tests run as root (initdb refuses
root). Skipped, with the reason, only where PostgreSQL's server programs are not installed."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class PrivatePostgres:
    def __init__(self) -> None:
        self.bin = self._find_bin()
        self.root = Path(tempfile.mkdtemp(prefix="ck-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._as_postgres = os.geteuid() == 0

    @staticmethod
    def _find_bin() -> Path | None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if found:
            return Path(found[-1]).parent
        initdb = shutil.which("initdb")
        return Path(initdb).parent if initdb else None

    def why_not(self) -> str | None:
        if self.bin is None:
            return "PostgreSQL's server programs (initdb, pg_ctl) are not installed (apt package postgresql)"
        if self._as_postgres and shutil.which("runuser") is None:
            return "running as root without runuser(1): cannot start PostgreSQL as its own user"
        if self._as_postgres:
            try:
                import pwd

                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no 'postgres' user to run the server as"
        return None

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> str:
        self.sockets.mkdir(parents=True)
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
        os.chmod(self.root, 0o755)
        os.chmod(self.sockets, 0o777)
        self._run("initdb", "-D", str(self.data), "-U", "clinic", "--auth=trust", "-E", "UTF8", "--no-locale",
                  "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.root / "server.log"), "-o",
                  f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c max_connections=200", "start")
        return self.dsn("postgres")

    def dsn(self, dbname: str) -> str:
        return f"host={self.sockets} port={self.port} user=clinic dbname={dbname}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)
