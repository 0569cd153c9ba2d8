"""A real `deconflict` server for the service tests: databases, the server, clients.

`running_server` runs `create_app(settings)` under uvicorn in a thread, on a socket bound
to a free port of 127.0.0.1, and waits until /readyz answers. `fresh_database` gives a new
database: an SQLite file, or a copy of a migrated template on a PostgreSQL cluster
(DECONFLICT_TEST_DATABASE_URL, or a throwaway cluster started with scripts/pg-throwaway).
"""

from __future__ import annotations

import collections
import contextlib
import glob
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.engine import make_url

from deconflict.api.app import create_app
from deconflict.api.auth import mint_token
from deconflict.config import Settings
from deconflict.store.backend import Database, connect
from deconflict.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
PG_THROWAWAY = ROOT / "scripts" / "pg-throwaway"
BACKENDS = ("sqlite", "postgresql")
READ, WRITE, ADMIN = "deconflict.read", "deconflict.write", "deconflict.admin"
READY_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, timeout: float, alive: Any = None, log: Any = None) -> None:
    """Poll /readyz until it answers 200; fail with the server's log if it dies."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            pytest.fail(f"the server died before it was ready:\n{log() if log else ''}")
        try:
            answer = httpx.get(f"{url}/readyz", timeout=2.0)
            if answer.status_code == 200:
                return
            last = answer.text
        except httpx.HTTPError as error:
            last = error
        time.sleep(0.05)
    pytest.fail(
        f"the server at {url} was not ready in {timeout} s ({last}):\n{log() if log else ''}"
    )


# --- PostgreSQL ------------------------------------------------------------------------


@dataclass
class PostgresCluster:
    """Where test databases are created: an admin URL, and a migrated template."""

    admin_url: str
    stop: Any = None
    template: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admin(self) -> sa.Engine:
        """An engine on the cluster's admin database, outside transactions."""
        return sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)

    def url_for(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def _ensure_template(self) -> str:
        with self._lock:
            if self.template is None:
                name = f"dc_template_{uuid.uuid4().hex[:10]}"
                engine = self.admin()
                with engine.connect() as connection:
                    connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
                engine.dispose()
                database = connect(self.url_for(name))
                upgrade(database)
                database.engine.dispose()
                self.template = name
            return self.template

    def create_database(self) -> str:
        """A fresh, migrated database (a copy of the template); its name."""
        template = self._ensure_template()
        name = f"dc_test_{uuid.uuid4().hex[:12]}"
        engine = self.admin()
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        engine.dispose()
        return name

    def drop_database(self, name: str) -> None:
        engine = self.admin()
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()

    def close(self) -> None:
        if self.template is not None:
            with contextlib.suppress(Exception):
                self.drop_database(self.template)
        if self.stop is not None:
            self.stop()


def start_throwaway() -> PostgresCluster | None:
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries or not PG_THROWAWAY.exists():
        return None
    pg_ctl = str(Path(binaries[-1]).with_name("pg_ctl"))
    base = Path(tempfile.mkdtemp(prefix="deconflict-pg-"))
    base.chmod(0o755)  # the cluster runs as `postgres`, which must enter the directory
    directory = base / "pg"
    port = free_port()
    result = subprocess.run(
        ["bash", str(PG_THROWAWAY), str(directory), str(port)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if result.returncode != 0:
        subprocess.run(
            [*as_owner, pg_ctl, "-D", str(directory / "data"), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        logs = "".join(
            p.read_text(errors="replace")
            for p in (directory / "initdb.log", directory / "server.log")
            if p.exists()
        )
        pytest.fail(f"pg-throwaway failed:\n{result.stdout}\n{result.stderr}\n{logs}")
    url = result.stdout.strip().splitlines()[-1]

    def stop() -> None:
        subprocess.run(
            [*as_owner, pg_ctl, "-D", str(directory / "data"), "-m", "fast", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)

    return PostgresCluster(make_url(url).set(database="postgres").render_as_string(False), stop)


# --- databases and settings ------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(backend: str, cluster: PostgresCluster | None, directory: Path) -> Iterator[str]:
    """An SQLAlchemy URL of a new, empty database on `backend`; dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'deconflict-{uuid.uuid4().hex[:8]}.db'}"
        return
    if cluster is None:
        pytest.skip("PostgreSQL is not available (no DECONFLICT_TEST_DATABASE_URL, no initdb)")
    name = cluster.create_database()
    try:
        yield cluster.url_for(name)
    finally:
        cluster.drop_database(name)


@contextlib.contextmanager
def migrated_database(
    backend: str, cluster: PostgresCluster | None, directory: Path
) -> Iterator[Database]:
    """A new database on `backend`, migrated and connected (for tests in process);
    its connections closed and the database dropped afterwards."""
    with fresh_database(backend, cluster, directory) as url:
        database = connect(url)
        try:
            upgrade(database)
            yield database
        finally:
            database.engine.dispose()


# --- the server ------------------------------------------------------------------------


@dataclass
class Service:
    """A running server and how to talk to it."""

    url: str
    settings: Settings
    backend: str
    clients: list[httpx.Client] = field(default_factory=list)

    def token(
        self,
        party: str | None,
        scopes: tuple[str, ...] | list[str] = (READ, WRITE),
        *,
        settings: Settings | None = None,
        lifetime_s: float = 3600.0,
    ) -> str:
        """A bearer token (signed with the development key unless `settings` say else)."""
        return mint_token(
            settings or self.settings,
            subject=f"{party or 'admin'}-test",
            party=party,
            scopes=list(scopes),
            lifetime_s=lifetime_s,
        )

    def client(
        self,
        party: str | None = None,
        scopes: tuple[str, ...] | list[str] = (READ, WRITE),
        *,
        token: str | None = None,
        authenticated: bool = True,
    ) -> httpx.Client:
        """An httpx client for the server, with a bearer token for `party` and `scopes`."""
        headers = {}
        if authenticated:
            headers["Authorization"] = f"Bearer {token or self.token(party, scopes)}"
        client = httpx.Client(base_url=self.url, headers=headers, timeout=60.0)
        self.clients.append(client)
        return client

    def admin(self) -> httpx.Client:
        return self.client(None, (ADMIN,))

    def close(self) -> None:
        for client in self.clients:
            client.close()


class Collected(logging.Handler):
    """Keeps the in-thread servers' log records, unformatted, to show when one dies.

    Formatting a traceback in the server thread would race with pytest formatting one in
    the main thread: Python 3.11 runs `ast.parse` for traceback carets, and the `ast`
    module's recursion guard is shared between threads (SystemError: "AST constructor
    recursion depth mismatch"). So records are only formatted on demand, by the test.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: collections.deque[logging.LogRecord] = collections.deque(maxlen=500)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self, last: int = 50) -> str:
        formatter = logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s")
        return "\n".join(formatter.format(r) for r in list(self.records)[-last:])


SERVER_LOG = Collected()


def _route_logs_to(handler: logging.Handler) -> None:
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "deconflict"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False


@contextlib.contextmanager
def running_server(settings: Settings, backend: str) -> Iterator[Service]:
    """`create_app(settings)` under uvicorn in a thread, on a socket bound beforehand."""
    app = create_app(settings)
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only then (with
    # proto 0, every keep-alive request waits ~40 ms for a delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, log_level="warning", lifespan="on", timeout_keep_alive=30
    )
    _route_logs_to(SERVER_LOG)  # after create_app and Config, which set up their logging
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as error:  # reported to the test, not lost in the thread
            failure.append(error)

    thread = threading.Thread(target=run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    wait_ready(
        url,
        READY_TIMEOUT_S,
        alive=thread.is_alive,
        log=lambda: "\n".join([SERVER_LOG.text(), *(repr(e) for e in failure)]),
    )
    service = Service(url, replace(settings, port=port), backend)
    try:
        yield service
    finally:
        service.close()
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        app.state.hub.database.engine.dispose()
        if failure:
            raise failure[0]


def settings_for(database_url: str, key_dir: str, **overrides: Any) -> Settings:
    return Settings(database_url=database_url, data_dir=key_dir, log_level="warning", **overrides)


@dataclass
class Served:
    """A `deconflict serve` process: where it answers, its pid, its log so far."""

    url: str
    pid: int
    log: Any


@contextlib.contextmanager
def serve_with_two_workers(
    backend: str, database_url: str, key_dir: str, directory: Path
) -> Iterator[Served]:
    """`deconflict serve --workers 2` as a subprocess, while it runs."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICT_")}
    program = shutil.which("deconflict")
    command = [program] if program else [sys.executable, "-m", "deconflict.cli"]
    command += ["serve", "--workers", "2"]
    if backend == "sqlite":  # configured by a TOML file
        config = directory / "deconflict.toml"
        config.write_text(
            f'database_url = "{database_url}"\n'
            f'data_dir = "{key_dir}"\n'
            'host = "127.0.0.1"\n'
            f"port = {port}\n"
            "workers = 2\n"
            'log_level = "warning"\n'
        )
        command += ["--config", str(config)]
    else:  # configured by the environment
        env |= {
            "DECONFLICT_DATABASE_URL": database_url,
            "DECONFLICT_DATA_DIR": key_dir,
            "DECONFLICT_HOST": "127.0.0.1",
            "DECONFLICT_PORT": str(port),
            "DECONFLICT_LOG_LEVEL": "warning",
        }
    log_path = directory / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"

    def server_log() -> str:
        return log_path.read_text(errors="replace")[-20_000:]

    try:
        wait_ready(url, 60.0, alive=lambda: process.poll() is None, log=server_log)
        yield Served(url, process.pid, server_log)
        assert process.poll() is None, f"the server died during the race:\n{server_log()}"
    except BaseException:
        print(server_log())
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def worker_processes(pid: int) -> int:
    """How many worker processes (spawned children) `pid` has (Linux /proc), or -1 where
    unknown. The multiprocessing resource tracker is a child too, but no worker."""
    proc = Path("/proc")
    if not proc.is_dir():
        return -1
    children = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in command:
                children += 1
    return children
