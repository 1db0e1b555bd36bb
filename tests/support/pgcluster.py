"""A throwaway PostgreSQL cluster for running the test suite on PostgreSQL (``TEST_DATABASE=postgresql``).

``initdb`` makes a cluster in a temporary folder (trust authentication, UTF-8, no fsync: nothing in it
outlives the run), the server listens on 127.0.0.1 at a free port with its unix socket in that folder,
and each test gets its own database copied from a migrated template. ``initdb`` refuses to run as root,
so as root the server's commands run as the ``postgres`` user, which owns the folder.

A run that is killed before its teardown leaves its server behind: the next run stops it and removes its
folder (each folder names the test process that made it).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

INSTALL_HINT = (
    "install PostgreSQL's server (Debian: `apt-get install postgresql`, which `bash scripts/setup.sh --dev` "
    "does), or run the suite on SQLite without TEST_DATABASE"
)


PREFIX, OWNER = "repmon-pg-", "owner.pid"


class ClusterUnavailable(RuntimeError):
    """PostgreSQL's server cannot be found or started here."""


def find_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: on the PATH, else Debian's newest version."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl", path=str(Path(found).parent)):
        return Path(found).parent
    candidates = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if (Path(p) / "initdb").is_file()]
    candidates.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A running PostgreSQL server in a temporary folder; ``stop()`` removes every trace of it."""

    def __init__(self) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise ClusterUnavailable(
                f"TEST_DATABASE=postgresql but PostgreSQL is not installed: {INSTALL_HINT}"
            )
        self.bindir = bindir
        self.as_user: list[str] = []
        owner = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterUnavailable(
                    f"running as root, but there is no `postgres` user to run the server as: {INSTALL_HINT}"
                ) from None
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._reap_stale()
        self.dir = Path(tempfile.mkdtemp(prefix=PREFIX))
        (self.dir / OWNER).write_text(str(os.getpid()))
        if owner is not None:
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self.port = _free_port()
        self.admin = None
        data = self.dir / "data"
        self._run("initdb", "-D", str(data), *"-U postgres --auth=trust -E UTF8 --locale=C.UTF-8 -N".split())
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(data), "-l", str(self.dir / "server.log"), "-w", "-o", options, "start")
        import psycopg

        self.admin = psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        )

    def _reap_stale(self) -> None:
        """Stop the servers of earlier runs whose test process is gone, and remove their folders."""
        for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
            try:
                os.kill(int((folder / OWNER).read_text()), 0)
                continue  # its run is still going
            except ProcessLookupError:
                pass
            except (OSError, ValueError):
                continue  # not ours to judge
            if (folder / "data" / "postmaster.pid").exists():
                pg_ctl = [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(folder / "data")]
                subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, cwd=folder)
            shutil.rmtree(folder, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        cmd = [*self.as_user, str(self.bindir / program), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=self.dir)
        if done.returncode != 0:
            log = self.dir / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
            self.stop()
            raise ClusterUnavailable(
                f"`{' '.join(cmd)}` failed ({done.returncode}): {done.stderr.strip()}\n{tail}".rstrip()
            )

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of a database in this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create a database (a copy of ``template`` if given); returns its URL."""
        from psycopg import sql

        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self.admin.execute(stmt)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any connection a test left open to it."""
        from psycopg import sql

        self.admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def stop(self) -> None:
        if self.admin is not None:
            self.admin.close()
            self.admin = None
        if (self.dir / "data" / "postmaster.pid").exists():
            pg_ctl = [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data")]
            subprocess.run(
                [*pg_ctl, "-m", "immediate", "stop"], capture_output=True, check=False, cwd=self.dir
            )
        shutil.rmtree(self.dir, ignore_errors=True)
