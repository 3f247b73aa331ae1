"""A private, throwaway PostgreSQL (>= 15) server for tests.

Usage::

    from pgserver import PostgresServer, make_base_dir   # tests/ is on sys.path under pytest

    with PostgresServer() as pg:          # base dir made by make_base_dir(), removed on exit
        engine = sqlalchemy.create_engine(pg.url)
        ...
        pg.stop()                         # e.g. to check the bot turns unhealthy
        pg.restart()                      # same data dir, same port

What ``start()`` does: ``initdb`` (trust auth, UTF8, locale C) into ``base_dir/data``,
pick a free TCP port (bind 127.0.0.1:0 and release it), listen only on 127.0.0.1
with the unix socket inside ``base_dir``, fsync/synchronous_commit/full_page_writes
off, ``pg_ctl start -w``, then ``CREATE DATABASE ainews``. The port and all settings
are written into ``postgresql.conf``, so ``restart()`` comes back on the same port.

Running as root: ``initdb``/``postgres``/``pg_ctl`` refuse to run as root, so when
``os.geteuid() == 0`` they are run as the ``postgres`` system user (created with
``useradd -r`` if missing) through ``runuser -u postgres --`` (fallback: ``su``).
That user must be able to traverse every parent of ``base_dir``. pytest's
``tmp_path`` lives under ``/tmp/pytest-of-root/`` which is mode 700, so do NOT put
``base_dir`` inside ``tmp_path``; use :func:`make_base_dir` (a fresh
``tempfile.mkdtemp`` under ``$AINEWS_PG_TMPDIR`` or ``/tmp``, mode 755), which is
also what ``PostgresServer()`` does when no ``base_dir`` is given.

Every started server is stopped by a best-effort ``atexit`` hook, so none outlives
the test run (unless the Python process is SIGKILLed).

The module has no pytest dependency; psycopg is only imported when creating the
database.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

PG_MIN_MAJOR = 15
DEFAULT_DB = "ainews"
SUPERUSER = "postgres"
RUN_AS_USER = "postgres"  # system user used when we are root
_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
_START_TIMEOUT_S = 60


class PostgresServerError(RuntimeError):
    """Raised when the test server cannot be initialised, started or stopped."""


# --------------------------------------------------------------------------- binaries


def _has_binaries(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in _REQUIRED_BINARIES)


def _bindir_major(bindir: Path) -> int | None:
    """Major version of the server in ``bindir`` (from ``postgres --version``)."""
    try:
        out = subprocess.run(
            [str(bindir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(m.group(1)) if m else None


def find_pg_bin() -> Path | None:
    """Directory holding PostgreSQL >= 15 ``initdb``/``pg_ctl``/``postgres``, or None.

    Order: ``$AINEWS_PG_BIN``; ``/usr/lib/postgresql/15/bin``; the newest
    ``/usr/lib/postgresql/<N>/bin`` with N >= 15; ``pg_config --bindir`` if its
    server is >= 15.
    """
    override = os.environ.get("AINEWS_PG_BIN")
    if override:
        p = Path(override)
        return p if _has_binaries(p) else None

    preferred = Path(f"/usr/lib/postgresql/{PG_MIN_MAJOR}/bin")
    if _has_binaries(preferred):
        return preferred

    root = Path("/usr/lib/postgresql")
    versions: list[tuple[int, Path]] = []
    if root.is_dir():
        for child in root.iterdir():
            if child.name.isdigit() and int(child.name) >= PG_MIN_MAJOR:
                if _has_binaries(child / "bin"):
                    versions.append((int(child.name), child / "bin"))
    if versions:
        return max(versions)[1]

    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            bindir = Path(out)
            major = _bindir_major(bindir) if _has_binaries(bindir) else None
            if major is not None and major >= PG_MIN_MAJOR:
                return bindir
    return None


def postgres_unavailable_reason() -> str | None:
    """Why a test server cannot be started here, or None if it (probably) can."""
    if find_pg_bin() is None:
        return (
            f"PostgreSQL >= {PG_MIN_MAJOR} server binaries (initdb, pg_ctl, postgres) not found "
            f"in /usr/lib/postgresql/*/bin or via pg_config; run `bash .ci/install-postgres.sh`"
        )
    if os.geteuid() == 0 and shutil.which("runuser") is None and shutil.which("su") is None:
        return "running as root but neither runuser nor su is available to drop privileges"
    return None


# --------------------------------------------------------------------------- helpers


def make_base_dir(prefix: str = "ainews-pg-") -> Path:
    """A fresh directory for a throwaway cluster, traversable by the ``postgres`` user.

    Created with ``tempfile.mkdtemp`` under ``$AINEWS_PG_TMPDIR`` (if set) or ``/tmp``
    and chmod 755. Not under pytest's ``tmp_path`` (mode 700 parents when root).
    ``/tmp`` is preferred over ``/dev/shm`` because containers often cap /dev/shm
    at 64 MB, and with fsync off the disk is not the bottleneck anyway.
    """
    parent = os.environ.get("AINEWS_PG_TMPDIR") or "/tmp"
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    path.chmod(0o755)
    return path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _port_is_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    cmd = ["useradd", "--system", "--no-create-home", "--home-dir", "/var/lib/postgresql"]
    cmd += ["--shell", "/bin/sh"]
    try:
        import grp

        grp.getgrnam(name)
        cmd += ["--gid", name]
    except KeyError:
        cmd += ["--user-group"]
    cmd.append(name)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 and proc.returncode != 9:  # 9 = already exists (race)
        raise PostgresServerError(
            f"could not create system user {name!r}: {' '.join(cmd)} -> "
            f"{proc.returncode}\n{proc.stdout}{proc.stderr}"
        )
    return pwd.getpwnam(name)


def _check_traversable(path: Path, uid: int, gid: int) -> None:
    """Raise if ``uid`` cannot traverse all parents of ``path`` (mode-bit check)."""
    for parent in [*reversed(path.parents)]:
        st = parent.stat()
        if st.st_uid == uid:
            ok = bool(st.st_mode & 0o100)
        elif st.st_gid == gid:
            ok = bool(st.st_mode & 0o010)
        else:
            ok = bool(st.st_mode & 0o001)
        if not ok:
            raise PostgresServerError(
                f"user uid={uid} cannot traverse {parent} (mode {oct(st.st_mode & 0o777)}), a "
                f"parent of {path}. Create the base dir with tests.pgserver.make_base_dir() "
                f"(e.g. under /tmp) instead of pytest's tmp_path."
            )


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<could not read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


def _clean_env() -> dict[str, str]:
    """Environment without PG* variables that could redirect the tools elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


# --------------------------------------------------------------------------- server

_live_servers: set[PostgresServer] = set()
_live_lock = threading.Lock()


def _stop_all_at_exit() -> None:
    with _live_lock:
        servers = list(_live_servers)
    for server in servers:
        try:
            server.cleanup()  # stop -m immediate; delete base_dir if we created it
        except Exception:
            pass  # best effort at interpreter exit


atexit.register(_stop_all_at_exit)


class PostgresServer:
    """A throwaway PostgreSQL cluster in ``base_dir`` listening on 127.0.0.1:<port>."""

    def __init__(
        self,
        base_dir: Path | None = None,
        *,
        dbname: str = DEFAULT_DB,
        bindir: Path | None = None,
        remove_on_cleanup: bool | None = None,
    ) -> None:
        """``base_dir``: where the cluster lives (``data/``, socket, ``postgres.log``).

        If None, :func:`make_base_dir` creates one and :meth:`cleanup` (called by the
        context manager and the atexit hook) deletes it; an explicitly passed
        ``base_dir`` is kept unless ``remove_on_cleanup=True``. It must not be inside
        pytest's ``tmp_path`` when running as root (see module docstring).
        """
        self._owns_dir = base_dir is None
        self.base_dir = Path(base_dir) if base_dir is not None else make_base_dir()
        self.remove_on_cleanup = self._owns_dir if remove_on_cleanup is None else remove_on_cleanup
        self.dbname = dbname
        self.user = SUPERUSER
        self.host = "127.0.0.1"
        self._bindir = bindir
        self._port: int | None = None
        self._run_as: pwd.struct_passwd | None = None

    # ----------------------------------------------------------------- properties

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir

    @property
    def log_file(self) -> Path:
        return self.base_dir / "postgres.log"

    @property
    def bindir(self) -> Path:
        if self._bindir is None:
            found = find_pg_bin()
            if found is None:
                raise PostgresServerError(postgres_unavailable_reason() or "no pg binaries")
            self._bindir = found
        return self._bindir

    @property
    def port(self) -> int:
        if self._port is None:
            raise PostgresServerError("server has not been started yet (no port assigned)")
        return self._port

    @property
    def url(self) -> str:
        """SQLAlchemy URL: ``postgresql+psycopg://postgres@127.0.0.1:<port>/ainews``."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def dsn(self, dbname: str | None = None) -> str:
        """libpq connection string for psycopg (``psycopg.connect(pg.dsn())``)."""
        return (
            f"host={self.host} port={self.port} user={self.user} "
            f"dbname={dbname or self.dbname} connect_timeout=10"
        )

    # ----------------------------------------------------------------- running tools

    def _cmd(self, argv: list[str]) -> list[str]:
        if self._run_as is None:
            return argv
        if shutil.which("runuser"):
            return ["runuser", "-u", self._run_as.pw_name, "--", *argv]
        # su passes a single shell command line.
        import shlex

        return ["su", "-s", "/bin/sh", self._run_as.pw_name, "-c", shlex.join(argv)]

    def _run(
        self, argv: list[str], *, timeout: float = 120, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        cmd = self._cmd(argv)
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=_clean_env(),
                cwd=self.base_dir,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresServerError(
                f"timed out after {timeout}s: {' '.join(cmd)}\n"
                f"--- server log tail ({self.log_file}) ---\n{_tail(self.log_file)}"
            ) from exc
        if check and proc.returncode != 0:
            raise PostgresServerError(
                f"command failed ({proc.returncode}): {' '.join(cmd)}\n"
                f"--- stdout ---\n{proc.stdout.strip()}\n--- stderr ---\n{proc.stderr.strip()}\n"
                f"--- server log tail ({self.log_file}) ---\n{_tail(self.log_file)}"
            )
        return proc

    def _prepare_base_dir(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return
        self._run_as = _ensure_system_user(RUN_AS_USER)
        uid, gid = self._run_as.pw_uid, self._run_as.pw_gid
        _check_traversable(self.base_dir, uid, gid)
        if self.base_dir.stat().st_uid != uid:
            os.chown(self.base_dir, uid, gid)
        self.base_dir.chmod(0o755)

    # ----------------------------------------------------------------- lifecycle

    def _initdb(self) -> None:
        self._run(
            [
                str(self.bindir / "initdb"),
                "--pgdata",
                str(self.data_dir),
                "--username",
                self.user,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            ]
        )
        self._port = free_port(self.host)
        settings = {
            "listen_addresses": f"'{self.host}'",
            "port": str(self._port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
            "logging_collector": "off",
            "timezone": "'UTC'",
        }
        block = "\n# --- added by tests/pgserver.py ---\n" + "".join(
            f"{k} = {v}\n" for k, v in settings.items()
        )
        conf = self.data_dir / "postgresql.conf"
        # As root we can append directly; ownership/mode of the file are unchanged.
        with conf.open("a", encoding="utf-8") as f:
            f.write(block)

    def _read_port_from_conf(self) -> int | None:
        conf = self.data_dir / "postgresql.conf"
        try:
            text = conf.read_text(encoding="utf-8")
        except OSError:
            return None
        ports = re.findall(r"(?m)^\s*port\s*=\s*(\d+)", text)
        return int(ports[-1]) if ports else None

    def start(self) -> PostgresServer:
        """initdb (first time only), start the server, create the database. Idempotent."""
        self._prepare_base_dir()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        elif self._port is None:
            self._port = self._read_port_from_conf()
            if self._port is None:
                raise PostgresServerError(f"no port configured in {self.data_dir}/postgresql.conf")
        if not self.is_running():
            self._pg_ctl_start()
        with _live_lock:
            _live_servers.add(self)
        self._create_database()
        return self

    def _pg_ctl_start(self) -> None:
        if _port_is_open(self.host, self.port, timeout=0.5):
            raise PostgresServerError(
                f"port {self.host}:{self.port} is already in use by another process; "
                f"cannot start the test server in {self.data_dir}"
            )
        self._run(
            [
                str(self.bindir / "pg_ctl"),
                "start",
                "-w",
                "-t",
                str(_START_TIMEOUT_S),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
            ],
            timeout=_START_TIMEOUT_S + 30,
        )
        # pg_ctl -w waits for "ready"; make sure TCP accepts too (cheap, usually instant).
        deadline = time.monotonic() + 10
        while not _port_is_open(self.host, self.port):
            if time.monotonic() > deadline:
                raise PostgresServerError(
                    f"server started but {self.host}:{self.port} does not accept connections\n"
                    f"--- server log tail ({self.log_file}) ---\n{_tail(self.log_file)}"
                )
            time.sleep(0.05)

    def _create_database(self) -> None:
        import psycopg
        from psycopg import sql

        try:
            with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (self.dbname,)
                ).fetchone()
                if not exists:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.dbname)))
        except psycopg.Error as exc:
            raise PostgresServerError(
                f"could not create database {self.dbname!r}: {exc}\n"
                f"--- server log tail ({self.log_file}) ---\n{_tail(self.log_file)}"
            ) from exc

    def stop(self, mode: str = "fast", *, timeout: float = 60) -> None:
        """Stop the server (``pg_ctl stop -m <mode>``: smart|fast|immediate). No-op if down."""
        if mode not in ("smart", "fast", "immediate"):
            raise ValueError(f"invalid stop mode {mode!r}")
        if not (self.data_dir / "PG_VERSION").exists() or not self.is_running():
            return
        self._run(
            [
                str(self.bindir / "pg_ctl"),
                "stop",
                "-w",
                "-t",
                str(int(timeout)),
                "-m",
                mode,
                "-D",
                str(self.data_dir),
            ],
            timeout=timeout + 30,
        )

    def restart(self) -> PostgresServer:
        """Stop (if running) and start again with the same data dir and port."""
        self.stop()
        return self.start()

    def is_running(self) -> bool:
        """True if ``pg_ctl status`` reports a live postmaster for our data dir."""
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        if os.geteuid() == 0 and self._run_as is None:
            self._run_as = _ensure_system_user(RUN_AS_USER)
        proc = self._run(
            [str(self.bindir / "pg_ctl"), "status", "-D", str(self.data_dir)],
            timeout=30,
            check=False,
        )
        return proc.returncode == 0

    def cleanup(self) -> None:
        """Stop the server and, if we own ``base_dir``, delete it."""
        try:
            self.stop(mode="immediate", timeout=15)
        finally:
            with _live_lock:
                _live_servers.discard(self)
            if self.remove_on_cleanup:
                shutil.rmtree(self.base_dir, ignore_errors=True)

    # ----------------------------------------------------------------- context manager

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.stop()
        finally:
            self.cleanup()

    def __repr__(self) -> str:
        port = self._port if self._port is not None else "?"
        return f"PostgresServer(base_dir={self.base_dir!s}, port={port})"
