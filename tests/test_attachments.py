"""Files with a reply: trend charts and OPML exports, on every surface.

Slack: the real bolt ``AsyncApp`` and slack_sdk's ``files_upload_v2`` against the Slack fake,
which speaks ``files.getUploadURLExternal``, the upload URL and
``files.completeUploadExternal``. Discord: discord.py's real client and ``discord.File``
against the Discord fake's multipart endpoints. The console writes the file; the CLI saves
``--chart FILE.png``. Nothing is mocked.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import SEEDS, make_settings
from fakes.discord import MEMBER_USER, MOD_USER, FakeDiscord, MessageFlag
from fakes.slack import (
    CHANNEL_ID,
    USER_ID,
    FakeSlackAPI,
    Upload,
    app_mention_event,
    slash_command_body,
)
from test_discord_adapter import adapter_for, mention, posts, slash, text_of
from test_discord_adapter import running as discord_running
from test_slack_adapter import Bot, assert_inert, seed, start_bot, texts
from test_slack_e2e import Running, running  # noqa: F401  (fixture)
from test_slack_e2e import _post as post_signed

from adapters.console import run_console, save
from bot.charts import save_chart, trend_figure, trend_png
from bot.core import Core
from bot.ingest.files import iter_path
from bot.opml import parse_opml
from bot.reply import Attachment
from bot.service import Service
from bot.sources import FeedSpec, add_specs, list_sources
from bot.trends import Trend, trends

PNG = b"\x89PNG\r\n\x1a\n"
FEEDS = [
    FeedSpec("https://feeds.example.com/ai.xml", "AI Wire", "en", False),
    FeedSpec("https://noticias.example.es/ia/rss", "Noticias IA", "es", True),
    FeedSpec("https://blog.example.org/atom.xml?tag=llm&x=1", "Blog <LLM> & co", None, False),
]
AINEWS = str(Path(sys.executable).with_name("ainews"))
MONTHS = {
    "es": "ene feb mar abr may jun jul ago sep oct nov dic".split(),
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
}


def rising_articles(core: Core, tmp: Path, now: datetime | None = None) -> None:
    """Qwen and Alibaba mentioned more in the last week than the week before; one title
    shouts @everyone and <!channel>."""
    now = now or datetime.now(UTC)
    rows = [
        {
            "title": f"Qwen release {i} by Alibaba" + (" @everyone <!channel>" if i == 0 else ""),
            "body": f"Alibaba shipped Qwen update number {i} for developers, item {i}.",
            "date": (now - timedelta(days=days)).date().isoformat(),
            "url": f"https://news.example.com/qwen-{i}",
            "lang": "en",
            "source": "Example Wire",
        }
        for i, days in enumerate((1, 1, 2, 3, 5, 10))
    ]
    path = tmp / "rising.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert len(core.ingester.ingest(iter_path(str(path))).new) == len(rows)


def check_png(data: bytes) -> None:
    """A real picture: the PNG signature, the chart's size, and more than a blank canvas."""
    from matplotlib.image import imread

    assert data.startswith(PNG) and len(data) > 10_000
    pixels = imread(io.BytesIO(data), format="png")
    assert pixels.shape[:2] == (450, 900)
    drawn = (pixels[:, :, :3] < 0.95).any(axis=2).mean()  # not white
    colours = {tuple(p) for p in (pixels[:, :, :3] * 255).astype(int).reshape(-1, 3)[::7]}
    assert 0.02 < drawn < 0.6 and len(colours) > 30, (drawn, len(colours))


# --------------------------------------------------------------------------- the chart


def test_chart_labels_follow_the_reply_language(core: Core, tmp_path: Path) -> None:
    rising_articles(core, tmp_path)
    trend = trends(core, 7, datetime.now(UTC))
    assert trend.rising[0][0] in {"Qwen", "Alibaba"}
    # The chart reads the ranking's own data: each rising entity's mentions, both periods.
    for name, recent, before in trend.rising:
        assert len(trend.mentions[name]) == recent + before
    for lang, title, x, y, legend in (
        ("es", "Menciones de lo que sube", "Fecha", "Menciones por día", "Entidad"),
        ("en", "Mentions of what is rising", "Date", "Mentions per day", "Entity"),
    ):
        axes = trend_figure(trend, lang).axes[0]
        assert axes.get_title().startswith(title)
        assert (axes.get_xlabel(), axes.get_ylabel()) == (x, y)
        shown = axes.get_legend()
        assert shown.get_title().get_text() == legend
        labels = [text.get_text() for text in shown.get_texts()]
        assert {"Qwen", "Alibaba"} <= set(labels)
        ticks = [label.get_text().split() for label in axes.get_xticklabels()]
        assert ticks and all(tick[1] in MONTHS[lang] for tick in ticks if tick), ticks
        qwen = next(line for line in axes.get_lines() if line.get_label() == "Qwen")
        assert sum(qwen.get_ydata()) == len(trend.mentions["Qwen"])
    check_png(trend_png(trend, "es"))


def test_long_spans_count_per_week_or_month_and_names_stay_literal() -> None:
    now = datetime(2026, 12, 5, tzinfo=UTC)
    trend = Trend(3650, now, [("$5B Co_", 2, 0)], {"$5B Co_": [now - timedelta(days=300), now]})
    axes = trend_figure(trend, "en").axes[0]
    assert axes.get_ylabel() == "Mentions per week"
    assert [t.get_text() for t in axes.get_legend().get_texts()] == [r"\$5B Co_"]
    trend = Trend(3650, now, [("X", 1, 0)], {"X": [now - timedelta(days=1000)]})
    assert trend_figure(trend, "es").axes[0].get_ylabel() == "Menciones por mes"
    with pytest.raises(ValueError):
        trend_figure(Trend(7, now), "en")


def test_save_chart_refuses_with_a_localized_reason(tmp_path: Path) -> None:
    from bot.i18n import UserError

    now = datetime(2026, 12, 5, tzinfo=UTC)
    trend = Trend(7, now, [("Qwen", 2, 0)], {"Qwen": [now - timedelta(days=1), now]})
    cases = [
        (tmp_path / "missing" / "trend.png", "la carpeta no existe"),
        (tmp_path, "es una carpeta"),
    ]
    for path, reason in cases:
        with pytest.raises(UserError) as caught:
            save_chart(trend, path, "es")
        assert caught.value.message("es") == (
            f"No se pudo escribir el gráfico en {path}: {reason}."
        )
    with pytest.raises(UserError) as caught:
        save_chart(Trend(7, now), tmp_path / "none.png", "en")
    assert caught.value.message("en") == "No chart: nothing is rising in the last 7 days."
    assert save_chart(trend, tmp_path / "ok.png", "en") == (tmp_path / "ok.png").stat().st_size


def test_importing_the_bot_does_not_import_matplotlib() -> None:
    code = (
        "import sys, bot.app, bot.cli, bot.commands, adapters.slack.app, adapters.discord.bot;"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- Slack


@pytest.fixture
def slack_fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as api:
        yield api


@pytest.fixture
def slack(core: Core, slack_fake: FakeSlackAPI, tmp_path: Path) -> Iterator[Bot]:
    seed(core, tmp_path)
    rising_articles(core, tmp_path)
    yield from start_bot(core, slack_fake, tmp_path)


def upload_after(fake: FakeSlackAPI, since: int) -> Upload:
    fake.wait_for("files.completeUploadExternal", since=since, timeout=20)
    return fake.uploads[-1]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_slack_mention_uploads_the_chart_into_the_answers_thread(slack: Bot) -> None:
    envelope = app_mention_event("trending")
    slack.post(json.dumps(envelope))

    answer = slack.fake.wait_for("chat.postMessage", timeout=20)
    root = envelope["event"]["ts"]
    assert answer.params["thread_ts"] == root
    assert "Trending (last 7 days" in answer.params["text"]
    assert_inert(texts(answer.blocks) + answer.params["text"])  # the titles' @everyone too
    upload = upload_after(slack.fake, 0)
    assert (upload.channel, upload.thread_ts) == (CHANNEL_ID, root)
    assert upload.filename == "trending-7d.png" and upload.data is not None
    assert upload.title and upload.title.startswith("Mentions of what is rising")
    assert upload.alt_txt == upload.title
    check_png(upload.data)
    get_url = slack.fake.calls("files.getUploadURLExternal")[-1]
    assert get_url.params["length"] == str(len(upload.data))
    # The answer first, then the file under it; the thread holds both.
    order = [c.method for c in slack.fake.calls()]
    assert order.index("chat.postMessage") < order.index("files.completeUploadExternal")
    shared = [m for m in slack.fake.messages(CHANNEL_ID) if m.get("files")]
    assert shared[0]["thread_ts"] == root and shared[0]["files"][0]["name"] == upload.filename


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_slack_spanish_request_gets_a_spanish_chart(slack: Bot) -> None:
    slack.post(json.dumps(app_mention_event("tendencias", thread_ts="1700000000.000100")))
    upload = upload_after(slack.fake, 0)
    assert upload.filename == "tendencias-7d.png"
    assert upload.title and upload.title.startswith("Menciones de lo que sube")
    assert upload.thread_ts == "1700000000.000100"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_slack_slash_trending_answers_then_shares_the_chart_in_the_channel(slack: Bot) -> None:
    slack.command("trending 7")
    answer = slack.answer(timeout=20)
    assert answer.params["response_type"] == "in_channel"
    assert "Trending (last 7 days" in answer.params["text"]
    upload = upload_after(slack.fake, 0)
    assert (upload.channel, upload.thread_ts) == (CHANNEL_ID, None)
    assert upload.data is not None and upload.data.startswith(PNG)
    assert not slack.fake.response_posts()[1:]  # nothing to tell: it arrived


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_slack_channel_without_the_bot_gets_the_chart_in_a_dm(slack: Bot) -> None:
    slack.fake.add_channel("C0NOTMEMBER", is_member=False)
    slack.post(
        slash_command_body(
            "trending", channel_id="C0NOTMEMBER", response_url=slack.fake.response_url("out")
        )
    )
    note = slack.fake.wait_for(
        lambda c: c.response_url_name == "out" and "direct message" in str(c.params), timeout=20
    )
    assert note.params["response_type"] == "ephemeral"
    assert "I'm not in this channel" in note.params["text"]
    upload = slack.fake.uploads[-1]
    assert upload.channel == "D" + USER_ID[1:]  # the asker's DM with the bot
    assert upload.initial_comment and "Trending" in upload.initial_comment


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("fail", "said"),
    [
        (("files.getUploadURLExternal", "missing_scope"), "lacks the files:write scope"),
        (("upload_url", "boom", 500), "Could not attach trending-7d.png."),
        (("files.completeUploadExternal", "file_upload_size_restricted"), "Could not attach"),
    ],
)
def test_slack_failed_upload_keeps_the_answer_and_says_so(
    slack: Bot, fail: tuple[Any, ...], said: str
) -> None:
    method, error, *status = fail
    slack.fake.fail_next(method, error, status=status[0] if status else 200, times=3)
    envelope = app_mention_event("trending")
    slack.post(json.dumps(envelope))
    answer = slack.fake.wait_for("chat.postMessage", timeout=20)
    assert "Trending (last 7 days" in answer.params["text"]
    note = slack.fake.wait_for(
        lambda c: c.method == "chat.postMessage" and "attach" in c.params.get("text", ""),
        timeout=20,
    )
    assert said in note.params["text"]
    assert note.params["thread_ts"] == envelope["event"]["ts"]
    assert not slack.fake.uploads


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_slack_sources_export_sends_the_opml_to_the_managers_dm(
    slack: Bot, core: Core, tmp_path: Path
) -> None:
    add_specs(core, FEEDS)
    slack.command("sources export", name="export")
    answer = slack.answer("export", timeout=20)
    assert answer.params["response_type"] == "ephemeral"
    assert "3 sources as OPML" in answer.params["text"]
    assert "I sent you ainews-sources.opml in a direct message." in answer.params["text"]
    upload = upload_after(slack.fake, 0)
    assert upload.channel == "D" + USER_ID[1:] and upload.filename == "ainews-sources.opml"
    assert upload.alt_txt is None  # alt text is for images
    assert upload.initial_comment == "3 sources as OPML, in the attached file."
    assert_round_trip(upload.data, core, tmp_path)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_slack_refused_dm_upload_is_told_to_the_asker(slack: Bot, core: Core) -> None:
    add_specs(core, FEEDS)
    slack.fake.fail_next("files.completeUploadExternal", "file_uploads_disabled")
    slack.command("fuentes exportar", name="export")
    note = slack.fake.wait_for(
        lambda c: c.response_url_name == "export" and "adjuntar" in str(c.params), timeout=20
    )
    assert note.params["text"] == "No se pudo adjuntar ainews-sources.opml."
    assert note.params["response_type"] == "ephemeral"
    first = slack.fake.response_posts("export")[0]
    assert "3 fuentes en OPML" in first.params["text"]  # the answer itself came first
    assert not slack.fake.uploads


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_slack_sources_export_needs_a_manager(
    core: Core, slack_fake: FakeSlackAPI, tmp_path: Path
) -> None:
    add_specs(core, FEEDS)
    for bot in start_bot(core, slack_fake, tmp_path, slack_managers="admins"):
        bot.command("fuentes exportar", name="refused")
        answer = bot.answer("refused", timeout=20)
        assert answer.params["response_type"] == "ephemeral"
        assert "Solo los administradores" in answer.params["text"]
    assert not slack_fake.calls("files.getUploadURLExternal")


def assert_round_trip(data: bytes | None, core: Core, tmp: Path) -> None:
    """The attached OPML lists the database's feeds; imported into an empty database, it
    gives the same sources."""
    assert data is not None
    found = parse_opml(data)
    stored = {(s.url, s.name, s.lang, s.full_text) for s in list_sources(core)}
    assert {(f.url, f.name, f.lang, f.full_text) for f in found.feeds} == stored
    assert not found.skipped
    (tmp / "other").mkdir()
    other = Core.build_store(make_settings(tmp / "other"))
    try:
        added = add_specs(other, found.feeds)
        assert len(added.added) == len(stored)
        assert {(s.url, s.name, s.lang, s.full_text) for s in list_sources(other)} == stored
    finally:
        other.engine.dispose()


# --------------------------------------------------------------------------- Discord


@pytest.fixture
def discord_service(core: Core, tmp_path: Path) -> Service:
    assert len(core.ingester.ingest(iter_path(str(SEEDS))).new) == 3
    rising_articles(core, tmp_path)
    return Service(core)


@pytest.fixture
async def discord_fake() -> Any:
    async with FakeDiscord(patch_discord_py=False) as server:
        yield server


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_discord_mention_and_slash_trending_attach_the_chart(
    discord_service: Service, discord_fake: FakeDiscord, tmp_path: Path
) -> None:
    async with discord_running(adapter_for(discord_service, discord_fake, tmp_path)):
        call = await mention(discord_fake, "trending")
        assert "Trending (last 7 days" in text_of(call.json)
        (file,) = call.files
        assert (file.field, file.filename) == ("files[0]", "trending-7d.png")
        check_png(file.data)
        (attached,) = call.response["attachments"]
        assert attached["content_type"] == "image/png"
        assert attached["description"].startswith("Mentions of what is rising")
        assert call.json["allowed_mentions"]["parse"] == []

        _, _, followup = await slash(discord_fake, "trending", {}, locale="es-ES")
        (file,) = followup.files
        assert file.filename == "tendencias-7d.png" and file.data.startswith(PNG)
        assert "En tendencia (últimos 7 días" in text_of(followup.json)
        stored = discord_fake.messages[int(followup.response["id"])]
        assert stored["attachments"][0]["filename"] == "tendencias-7d.png"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_discord_refused_file_keeps_the_answer_and_says_so(
    discord_service: Service, discord_fake: FakeDiscord, tmp_path: Path
) -> None:
    discord_fake.max_upload_bytes = 1_000  # a chart is larger: 413 40005
    async with discord_running(adapter_for(discord_service, discord_fake, tmp_path)):
        start = len(discord_fake.rest_calls)
        refused = await mention(discord_fake, "trending")
        assert refused.status == 413 and refused.response["code"] == 40005
        answer = await discord_fake.wait_for(lambda c: posts()(c) and c.ok, start=start, timeout=10)
        assert not answer.files
        assert "Trending (last 7 days" in text_of(answer.json)
        assert answer.json["content"] == "Could not attach trending-7d.png."


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_discord_sources_export_is_a_private_opml_attachment(
    discord_service: Service, discord_fake: FakeDiscord, tmp_path: Path, core: Core
) -> None:
    add_specs(core, FEEDS)
    async with discord_running(adapter_for(discord_service, discord_fake, tmp_path)):
        _, callback, followup = await slash(
            discord_fake, "sources", {"action": "export"}, member=MOD_USER
        )
        assert callback.json["data"]["flags"] & MessageFlag.EPHEMERAL
        (file,) = followup.files
        assert file.filename == "ainews-sources.opml"
        assert "3 sources as OPML" in text_of(followup.json)
        assert_round_trip(file.data, core, tmp_path)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_discord_sources_export_needs_manage_channels(
    discord_service: Service, discord_fake: FakeDiscord, tmp_path: Path, core: Core
) -> None:
    add_specs(core, FEEDS)
    async with discord_running(adapter_for(discord_service, discord_fake, tmp_path)):
        _, _, followup = await slash(
            discord_fake, "sources", {"action": "export"}, member=MEMBER_USER
        )
        assert not followup.files
        assert "Manage Channels" in text_of(followup.json)


# --------------------------------------------------------------------------- console, CLI


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_console_writes_the_chart_and_prints_its_path(core: Core, tmp_path: Path) -> None:
    rising_articles(core, tmp_path)
    folder = tmp_path / "here"
    folder.mkdir()
    (folder / "trending-7d.png").write_bytes(b"mine")  # never overwritten
    out = io.StringIO()
    run_console(
        Service(core), stdin=io.StringIO("trending\ntendencias\n"), stdout=out, folder=folder
    )
    printed = out.getvalue()
    assert f"File saved: {folder / 'trending-7d-2.png'}" in printed
    assert f"Archivo guardado: {folder / 'tendencias-7d.png'}" in printed
    assert (folder / "trending-7d.png").read_bytes() == b"mine"
    check_png((folder / "trending-7d-2.png").read_bytes())


def test_console_file_goes_to_a_temporary_folder_when_the_folder_is_not_one(
    tmp_path: Path,
) -> None:
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    chart = Attachment("../../x/trending-7d.png", b"png bytes", "image/png")
    path = save(chart, not_a_folder)
    assert path is not None and path.parent == Path(tempfile.gettempdir())
    assert path.name.startswith("trending-7d") and path.read_bytes() == b"png bytes"
    path.unlink()


@pytest.mark.model
def test_cli_trending_chart_as_a_new_user_runs_it(tmp_path: Path) -> None:
    env = {**os.environ, "AINEWS_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1"}
    env.pop("AINEWS_DATABASE_URL", None)

    def ainews(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [AINEWS, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
        )

    assert ainews("ingest").returncode == 0
    done = ainews("trending", "3650", "--chart", "trend.png")
    assert done.returncode == 0, done.stderr
    assert "Alibaba" in done.stdout
    size = (tmp_path / "trend.png").stat().st_size
    assert f"Chart written to trend.png ({size} bytes)." in done.stderr
    check_png((tmp_path / "trend.png").read_bytes())

    listed = ainews("trending", "3650", "--json", "--chart", "tendencias.png", "--lang", "es")
    assert listed.returncode == 0 and json.loads(listed.stdout)["entities"]
    assert "Gráfico guardado en tendencias.png" in listed.stderr

    refused = ainews("trending", "3650", "--chart", "nowhere/trend.png", "--lang", "es")
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith(
        "No se pudo escribir el gráfico en nowhere/trend.png: la carpeta no existe."
    )
    nothing = ainews("trending", "1", "--chart", "empty.png")
    assert nothing.returncode == 1 and not (tmp_path / "empty.png").exists()
    assert "No chart: nothing is rising in the last 1 days." in nothing.stderr


@pytest.mark.model
@pytest.mark.slow
def test_ainews_run_uploads_the_trending_chart_to_the_slack_fake(
    running: tuple[Running, FakeSlackAPI],  # noqa: F811
    tmp_path: Path,
) -> None:
    """Issue 24, acceptance 5, as a user runs it: ``ainews run`` against the Slack fake; new
    articles ingested from the CLI into its database; ``/ainews trending`` answers and the
    fake receives the chart's upload right after."""
    bot, fake = running
    rows = [
        {
            "title": f"Qwen release {i} by Alibaba",
            "body": f"Alibaba shipped Qwen update number {i} for developers, item {i}.",
            "date": (datetime.now(UTC) - timedelta(days=days)).date().isoformat(),
            "url": f"https://news.example.com/qwen-{i}",
            "lang": "en",
        }
        for i, days in enumerate((1, 2, 3))
    ]
    fresh = tmp_path / "fresh.jsonl"
    fresh.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AINEWS_"))}
    env.update(AINEWS_DATA_DIR=str(tmp_path / "data"), HF_HUB_OFFLINE="1")
    ingest = [AINEWS, "ingest", str(fresh)]
    done = subprocess.run(ingest, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert "3 new" in done.stdout, done.stdout + done.stderr

    body = slash_command_body("trending", response_url=fake.response_url("trend"))
    assert post_signed(bot.url, body)[0] == 200
    answer = fake.wait_for(lambda c: c.response_url_name == "trend", timeout=60)
    assert "Trending (last 7 days" in answer.params["text"]
    assert "Qwen" in texts(answer.blocks)
    fake.wait_for("files.completeUploadExternal", timeout=60)
    (upload,) = fake.uploads
    assert (upload.channel, upload.filename) == (CHANNEL_ID, "trending-7d.png")
    check_png(upload.data or b"")
    assert "Traceback" not in "".join(bot.output)
