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
        """Keep, lose or gain leadership; call every few seconds."""
        if is_sqlite(self.engine):
            return True
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except Exception:  # the connection (and with it the lock) is gone
                log.warning("lost the scheduler lock (database connection dropped)")
                self._drop()
        try:
            conn = self.engine.connect()
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            )
            conn.commit()
        except Exception as exc:
            log.warning("cannot reach the database to take the scheduler lock: %s", exc)
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
