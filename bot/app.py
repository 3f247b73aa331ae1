"""Composition root: builds the core and starts the adapters the settings ask for.

The only module that imports ``adapters`` (lazily), so ``bot`` stays platform-free.
Slack starts when a Slack token or OAuth client is configured, Discord when
``DISCORD_TOKEN`` is set; with neither, the console adapter runs in the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.core import Core
from bot.defaults import shown
from bot.health import health
from bot.i18n import UserError, t
from bot.ingest.files import iter_path
from bot.ingest.poller import poll_sources
from bot.leader import Leadership
from bot.metrics import Metrics
from bot.ops import OpsNotifier, parse_ops_channel
from bot.ports import Adapter, Sender
from bot.scheduler import DigestRunner, Scheduler, UpdateRunner
from bot.service import Service
from bot.settings import Settings

if TYPE_CHECKING:
    from adapters.discord.endpoints import Endpoints

log = logging.getLogger(__name__)


def seed_if_empty(core: Core) -> None:
    """A first run has something to search: the bundled seed articles."""
    if core.stats()["articles"] == 0 and core.settings.seeds_dir.is_dir():
        path = shown(core.settings.seeds_dir)
        print(t("seeding", "en", path=path.rstrip("/")), flush=True)
        core.ingester.ingest(iter_path(str(core.settings.seeds_dir), shown_as=path))


def wants_slack(settings: Settings) -> bool:
    return bool(settings.slack_bot_token or settings.slack_app_token or settings.slack_client_id)


def build_adapters(service: Service, settings: Settings) -> list[Adapter]:
    adapters: list[Adapter] = []
    if wants_slack(settings):
        from adapters.slack import SlackAdapter

        adapters.append(SlackAdapter(service=service, settings=settings))
    if settings.discord_token:
        from adapters.discord import DiscordAdapter

        adapters.append(DiscordAdapter(service=service, settings=settings))
    return adapters


def digest_sender(adapter: Adapter) -> Sender:
    """What posts digests for ``adapter``: on Slack, a sender that tags each digest with its
    key in the message metadata and can find it again (a send interrupted by a crash)."""
    if adapter.platform == "slack":
        from adapters.slack.digests import SlackDigestSender

        return SlackDigestSender(adapter)
    return adapter


def build_scheduler(service: Service, adapters: list[Adapter]) -> Scheduler:
    settings = service.core.settings
    runner = DigestRunner(
        core=service.core,
        senders={adapter.platform: digest_sender(adapter) for adapter in adapters},
        grace=timedelta(minutes=settings.digest_grace_minutes),
        lease=timedelta(seconds=settings.digest_lease_seconds),
        # Only the leader runs this: a claim of any other worker is its dead predecessor's.
        exclusive=True,
        metrics=service.metrics,
    )
    # Story updates in the digests' threads, under the same ledger discipline.
    updates = UpdateRunner(
        core=runner.core,
        senders=runner.senders,
        lease=runner.lease,
        exclusive=True,
        metrics=runner.metrics,
    )

    notifier = ops_notifier(settings, adapters)

    def poll() -> object:
        report = poll_sources(service.core)
        if notifier is not None:
            notifier.feed_changes(report)
        return report

    return Scheduler(
        runner,
        poll=poll,
        poll_interval=timedelta(minutes=settings.poll_interval_minutes),
        updates=updates,
        update_interval=timedelta(minutes=settings.followup_interval_minutes),
    )


def ops_notifier(settings: Settings, adapters: list[Adapter]) -> OpsNotifier | None:
    """The ops channel's poster (call on the bot's event loop), if AINEWS_OPS_CHANNEL is set."""
    try:
        target = parse_ops_channel(settings.ops_channel)
    except UserError as exc:
        log.error("%s", exc.message(settings.ops_lang))
        return None
    if target is None:
        return None
    senders = {adapter.platform: adapter for adapter in adapters}
    return OpsNotifier(target, senders, asyncio.get_running_loop(), settings.ops_lang)


async def serve(service: Service, adapters: list[Adapter]) -> None:
    """Run until SIGINT/SIGTERM: HTTP ops server, adapters, and the jobs when this replica leads.

    Every few seconds a supervisor keeps, gains or loses scheduler leadership
    (Postgres advisory lock) and pulls other replicas' new passages into this
    replica's vector index.
    """
    from adapters.http import HttpServer

    core, settings = service.core, service.core.settings
    metrics = service.metrics or Metrics()
    service.metrics = metrics
    leadership = Leadership(core.engine)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def render_metrics() -> bytes:
        metrics.vectors.set(len(core.vectors))
        return metrics.render()

    http = HttpServer(
        host=settings.http_host,
        port=settings.http_port,
        health=lambda: health(core, adapters, leadership),
        metrics=render_metrics,
        metrics_port=settings.metrics_port,
    )
    for adapter in adapters:
        mount = getattr(adapter, "mount", None)
        if mount is not None:  # adapters with HTTP routes (Slack) share the one server
            mount(http.app)
    await http.start()
    for adapter in adapters:
        await adapter.start()
        log.info("%s adapter started", adapter.platform)
    scheduler: Scheduler | None = None

    def changed() -> None:
        if scheduler is not None:
            loop.call_soon_threadsafe(scheduler.sync_jobs)

    service.on_subscriptions_changed = changed
    try:
        while not stop.is_set():
            leading = await asyncio.to_thread(leadership.check)
            metrics.leader.set(1 if leading else 0)
            if leading and scheduler is None:
                scheduler = build_scheduler(service, adapters)
                scheduler.start()
            elif not leading and scheduler is not None:
                await scheduler.stop(0)  # the new leader takes the claims over
                scheduler = None
            try:
                await asyncio.to_thread(core.refresh)
            except Exception as exc:  # database down: keep serving, report via /healthz
                log.warning("index refresh failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=settings.supervise_seconds)
    finally:
        if scheduler is not None:  # stop claiming, finish or release what is held
            with contextlib.suppress(Exception):
                await scheduler.stop(settings.shutdown_seconds)
        await asyncio.to_thread(leadership.release)
        for adapter in reversed(adapters):
            await adapter.stop()
        await http.stop()


def chat(settings: Settings) -> int:
    """``ainews chat``: the console adapter only, whatever tokens are set."""
    from adapters.console import run_console

    core = Core.build(settings)
    try:
        return run_console(Service(core))
    finally:
        core.close()


def discord_invite_url(application_id: str) -> str:
    """The link that adds the bot to a server (``ainews discord invite``)."""
    from adapters.discord.invite import invite_url

    return invite_url(application_id)


def discord_endpoints(api_url: str) -> Endpoints:
    """Point discord.py at ``api_url`` (``AINEWS_DISCORD_API_URL``) until ``restore()``."""
    from adapters.discord.endpoints import Endpoints

    return Endpoints(api_url)


def slack_bot_scopes() -> list[str]:
    """The bot scopes the Slack adapter uses (``ainews doctor`` names those the app lacks)."""
    from adapters.slack.scopes import BOT_SCOPES

    return list(BOT_SCOPES)


def run(settings: Settings, *, headless: bool = False) -> int:
    if not settings.embedding_threads:  # serving: one core for the model, one for the rest
        settings = settings.model_copy(update={"embedding_threads": 1})
    core = Core.build(settings)
    try:
        seed_if_empty(core)
        service = Service(core, metrics=Metrics())
        adapters = build_adapters(service, settings)
        if not adapters and not headless:
            from adapters.console import run_console

            return run_console(service)
        asyncio.run(serve(service, adapters))
        return 0
    finally:
        core.close()
