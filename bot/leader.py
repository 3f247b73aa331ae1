"""Which replica runs the scheduled jobs: a Postgres advisory lock held on its own connection.

The lock belongs to a database session, so a replica that dies (even SIGKILL)
releases it when its connection drops, and another replica takes over on its
next attempt. SQLite deployments are single-process: always the leader.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, text

from bot.store import is_sqlite

log = logging.getLogger(__name__)
LOCK_KEY = 0x41494E57  # "AINW"


class Leadership:
    def __init__(self, engine: Engine, *, key: int = LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: Any = None
        self.is_leader = is_sqlite(engine)

    def check(self) -> bool:
        """Keep, lose or gain leadership; call every few seconds.

        The lock is session-level, taken on a dedicated connection in autocommit mode, so
        that connection never sits "idle in transaction" (a server's
        ``idle_in_transaction_session_timeout`` would end it, and leadership with it). The
        keepalive asks the server whether this session still holds the lock.
        """
        if is_sqlite(self.engine):
            return True
        if self._conn is not None:
            try:
                held = self._conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND pid = pg_backend_pid() AND granted "
                        "AND ((classid::bigint << 32) | objid::bigint) = :k"
                    ),
                    {"k": self.key},
                ).scalar()
                if held:
                    return True
                log.warning("lost the scheduler lock (no longer held by this session)")
            except Exception:  # the connection (and with it the lock) is gone
                log.warning("lost the scheduler lock (database connection dropped)")
            self._drop()
        try:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except Exception as exc:
            log.warning("cannot reach the database to take the scheduler lock: %s", exc)
            return False
        try:
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            )
        except Exception as exc:
            log.warning("cannot reach the database to take the scheduler lock: %s", exc)
            conn.invalidate()
            conn.close()
            return False
        if got:
            self._conn = conn
            self.is_leader = True
            log.info("this replica now runs the scheduled jobs")
        else:
            conn.close()
        return got

    def _drop(self) -> None:
        try:
            self._conn.invalidate()
        except Exception:
            pass
        self._conn = None
        self.is_leader = False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.close()
            except Exception:
                pass
        self._conn = None
        self.is_leader = is_sqlite(self.engine)
