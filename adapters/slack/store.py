"""Slack installations, OAuth states and the replay guard in the project's own database.

slack_sdk ships SQLAlchemy stores, but importing them pulls in ``sqlalchemy.ext.asyncio``,
which needs ``greenlet`` (not a dependency here), and bolt's ``AsyncApp`` wants async
stores anyway. So: small tables on the core's engine (SQLite or Postgres, whatever
``AINEWS_DATABASE_URL`` says), written with plain synchronous SQLAlchemy and called from
the event loop through ``asyncio.to_thread``.

Rows keep slack_sdk's own JSON form of ``Installation``/``Bot`` (as its file store does),
so every field survives, including token-rotation data.

The tables themselves are defined in ``bot.store`` and created by the migrations
(``bot/migrations``), like every other table of the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import Connection, Engine, and_, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from bot.models import slack_installation as installations
from bot.models import slack_oauth_state as oauth_states
from bot.models import slack_replay as seen
from bot.store import init_schema

log = logging.getLogger(__name__)

#: ``INSERT .. ON CONFLICT`` per backend.
_UPSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def create_tables(engine: Engine) -> None:
    """Make sure the tables exist: upgrades the database like ``Core.build`` does.

    The engine is normally the core's, already upgraded, so this is one version query.
    """
    init_schema(engine)


class InstallationStore(AsyncInstallationStore):
    """Bolt's installation store on the core's engine; also used by digests to find the
    bot token of a workspace."""

    def __init__(self, engine: Engine, client_id: str) -> None:
        self.engine = engine
        self.client_id = client_id
        create_tables(engine)

    @property
    def logger(self) -> logging.Logger:
        return log

    # -- sync core ----------------------------------------------------------------------------

    def _insert(self, kind: str, obj: Installation | Bot, user_id: str | None) -> None:
        row = {
            "client_id": self.client_id,
            "kind": kind,
            "enterprise_id": obj.enterprise_id,
            "team_id": None if obj.is_enterprise_install else obj.team_id,
            "user_id": user_id,
            "installed_at": float(obj.installed_at),
            "data": json.dumps(obj.__dict__, default=str),
        }
        with self.engine.begin() as conn:
            conn.execute(insert(installations).values(**row))

    def _where(self, kind: str, enterprise_id: str | None, team_id: str | None) -> Any:
        c = installations.c
        return and_(
            c.client_id == self.client_id,
            c.kind == kind,
            c.enterprise_id.is_(None)
            if enterprise_id is None
            else c.enterprise_id == enterprise_id,
            c.team_id.is_(None) if team_id is None else c.team_id == team_id,
        )

    def _latest(self, kind: str, enterprise_id: str | None, team_id: str | None) -> Any:
        query = (
            select(installations.c.data)
            .where(self._where(kind, enterprise_id, team_id))
            .order_by(installations.c.installed_at.desc(), installations.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            raw = conn.execute(query).scalar_one_or_none()
        return json.loads(raw) if raw else None

    def save(self, installation: Installation) -> None:
        self._insert("installation", installation, installation.user_id)
        self._insert("bot", installation.to_bot(), None)

    def find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool = False
    ) -> Bot | None:
        data = self._latest("bot", enterprise_id, None if is_enterprise_install else team_id)
        return Bot(**data) if data else None

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool = False,
    ) -> Installation | None:
        data = self._latest(
            "installation", enterprise_id, None if is_enterprise_install else team_id
        )
        if not data:
            return None
        installation = Installation(**data)
        bot = self.find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is not None and bot.bot_token != installation.bot_token:  # newest bot token wins
            installation.bot_token, installation.bot_id = bot.bot_token, bot.bot_id
            installation.bot_user_id, installation.bot_scopes = bot.bot_user_id, bot.bot_scopes
        return installation

    def delete(self, kind: str, enterprise_id: str | None, team_id: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(installations).where(self._where(kind, enterprise_id, team_id)))

    # -- bolt's async interface ---------------------------------------------------------------

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self._insert, "bot", bot, None)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        return await asyncio.to_thread(
            lambda: self.find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=bool(is_enterprise_install),
            )
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        # Bot-only app: the installing user's token is never used, so user_id is ignored.
        return await asyncio.to_thread(
            lambda: self.find_installation(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=bool(is_enterprise_install),
            )
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.delete, "bot", enterprise_id, team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(self.delete, "installation", enterprise_id, team_id)


class StateStore(AsyncOAuthStateStore):
    """One-time OAuth ``state`` values with an expiry, shared by every bot process."""

    def __init__(self, engine: Engine, expiration_seconds: int = 600) -> None:
        self.engine = engine
        self.expiration_seconds = expiration_seconds
        create_tables(engine)

    @property
    def logger(self) -> logging.Logger:
        return log

    def issue(self) -> str:
        state = secrets.token_urlsafe(32)
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(delete(oauth_states).where(oauth_states.c.expires_at < now))
            conn.execute(
                insert(oauth_states).values(state=state, expires_at=now + self.expiration_seconds)
            )
        return state

    def consume(self, state: str) -> bool:
        with self.engine.begin() as conn:
            gone = conn.execute(
                delete(oauth_states).where(
                    oauth_states.c.state == state, oauth_states.c.expires_at >= time.time()
                )
            )
        return bool(gone.rowcount)

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.consume, state)


class SeenStore:
    """Keys seen by any replica until they expire (``slack_replay``): the replay guard.

    :meth:`first_sighting` is one statement, atomic on both backends: an insert that does
    nothing when the key is already there and still live (``INSERT .. ON CONFLICT DO
    UPDATE .. WHERE expires_at < now .. RETURNING``, PostgreSQL and SQLite alike), so of
    two replicas that get the same request at the same moment exactly one gets a row back.
    Expired rows are deleted at most once every ``purge_every`` seconds per process, by a
    range delete on the ``expires_at`` index.
    """

    def __init__(self, engine: Engine, *, purge_every: float = 60.0) -> None:
        self.engine = engine
        self.purge_every = purge_every
        self._last_purge = float("-inf")
        create_tables(engine)

    def first_sighting(self, key: str, expires_at: float, now: float | None = None) -> bool:
        """Record ``key`` until ``expires_at``; ``False`` if it is already recorded (and not
        expired) by this process or any other."""
        now = time.time() if now is None else now
        with self.engine.begin() as conn:
            fresh = self._claim(conn, key, expires_at, now)
        if time.monotonic() - self._last_purge >= self.purge_every:
            self._last_purge = time.monotonic()
            self.purge(now)
        return fresh

    def _claim(self, conn: Connection, key: str, expires_at: float, now: float) -> bool:
        dialect = conn.dialect.name
        if dialect not in _UPSERTS:  # the project runs on these two
            raise NotImplementedError(f"slack replay guard: no upsert for {dialect}")
        upsert = _UPSERTS[dialect](seen)
        statement = upsert.values(digest=key, expires_at=expires_at).on_conflict_do_update(
            index_elements=[seen.c.digest],
            set_={"expires_at": upsert.excluded.expires_at},
            where=seen.c.expires_at < now,  # an expired row counts as unseen
        )
        # A row comes back only when this statement inserted (or revived) the key. Not
        # ``rowcount``: through SQLAlchemy 2.1 + psycopg 3 it reads -1 for this statement.
        return conn.execute(statement.returning(seen.c.digest)).first() is not None

    def purge(self, now: float | None = None) -> int:
        """Delete expired keys; how many. Best effort: a failure is logged, not raised."""
        now = time.time() if now is None else now
        try:
            with self.engine.begin() as conn:
                return int(conn.execute(delete(seen).where(seen.c.expires_at < now)).rowcount)
        except SQLAlchemyError as exc:
            log.warning("could not delete expired slack replay keys: %s", type(exc).__name__)
            return 0

    async def async_first_sighting(self, key: str, expires_at: float) -> bool:
        return await asyncio.to_thread(self.first_sighting, key, expires_at)
