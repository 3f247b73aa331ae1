"""Commands that set up a channel: its digest, its language, the feed sources, and what
people thought of its answers (👍/👎)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot import ledger, preferences
from bot.commands import grammar
from bot.commands.reading import channel_is
from bot.commands.spec import Context, Host, Option, Spec
from bot.feedback import Feedback, feedback_reply
from bot.i18n import format_date, t
from bot.ingest.types import public_reason
from bot.models import ChannelSettings, Source, Subscription
from bot.opml import export_feeds, import_opml
from bot.reply import Attachment, Reply
from bot.sources import add_source, remove_source
from bot.subscriptions import parse_subscribe

_ADD = frozenset({"add", "agregar", "añadir", "anadir"})
_REMOVE = frozenset({"remove", "quitar", "borrar"})
_IMPORT = frozenset({"import", "importar"})
_EXPORT = frozenset({"export", "exportar"})
LANGUAGES = (("es", "lang_name_es"), ("en", "lang_name_en"))


def subscribe(host: Host, args: str, lang: str, ctx: Context) -> Reply:
    request = parse_subscribe(args)
    with Session(host.core.engine) as session:
        sub = session.execute(select(Subscription).where(*channel_is(ctx))).scalar_one_or_none()
        if sub is None:
            sub = Subscription(
                platform=ctx.platform,
                workspace=ctx.workspace,
                channel=ctx.channel,
                lang=lang,
                created_by=ctx.user,
            )
        sub.local_time = request.local_time or sub.local_time
        sub.timezone = request.timezone or sub.timezone
        sub.lang = request.lang or sub.lang
        if request.topics:
            sub.topics = str(request.topics)
        if request.thread is not None:
            sub.thread = request.thread
        if request.followups is not None:
            sub.followups = request.followups
        if request.weekdays_only is not None:
            sub.weekdays_only = request.weekdays_only
        if request.min_sources is not None:
            sub.min_sources = request.min_sources
        if request.skip_empty is not None:
            sub.skip_empty = request.skip_empty
        sub.paused, sub.paused_reason, sub.updated_at = False, None, host.now()
        session.add(sub)
        session.commit()
        session.refresh(sub)
    host.subscriptions_changed()
    return Reply(text=t("subscribed", lang, **_sub_fields(sub, lang)), lang=lang)


def unsubscribe(host: Host, args: str, lang: str, ctx: Context) -> Reply:
    with Session(host.core.engine) as session:
        sub = session.execute(select(Subscription).where(*channel_is(ctx))).scalar_one_or_none()
        if sub is None:
            return Reply(text=t("not_subscribed", lang), lang=lang, ephemeral=True)
        ledger.forget(session, sub.id or 0)
        session.delete(sub)
        session.commit()
    host.subscriptions_changed()
    return Reply(text=t("unsubscribed", lang), lang=lang)


def subscriptions(host: Host, args: str, lang: str, ctx: Context) -> Reply:
    with Session(host.core.engine) as session:
        subs = (
            session.execute(
                select(Subscription).where(
                    Subscription.platform == ctx.platform,
                    Subscription.workspace == ctx.workspace,
                )
            )
            .scalars()
            .all()
        )
        if not subs:
            return Reply(text=t("no_subscriptions", lang), lang=lang)
        learned = preferences.load(
            session,
            [(s.platform, s.channel) for s in subs],
            host.now(),
            host.core.lexicon,
            host.core.settings.vote_half_life_days,
        )
    fields = []
    for sub in subs:
        row = t("subscription_row", lang, **_sub_fields(sub, lang))
        why = learned[(sub.platform, sub.channel)].explain(lang)  # "" without votes
        fields.append((f"#{sub.channel}", f"{row}\n{why}" if why else row))
    return Reply(text=t("subscriptions_header", lang), lang=lang, fields=fields)


def history(host: Host, args: str, lang: str, ctx: Context) -> Reply:
    with Session(host.core.engine) as session:
        sub = session.execute(select(Subscription).where(*channel_is(ctx))).scalar_one_or_none()
        rows = ledger.history(session, sub.id) if sub and sub.id else []
    if not rows:
        return Reply(text=t("history_empty", lang), lang=lang)
    fields = [
        (
            row.local_date,
            t(
                f"delivery_{row.status}",
                lang,
                stories=row.stories,
                error=row.error or "",
                attempts=row.attempts,
            ),
        )
        for row in rows
    ]
    if sub and sub.paused:
        fields.insert(0, ("⏸", t("subscription_paused", lang, reason=sub.paused_reason or "")))
    return Reply(text=t("history_header", lang), lang=lang, fields=fields)


def _action(args: str) -> str:
    return args.partition(" ")[0].lower()


def changes_sources(args: str) -> bool:
    """``sources add|remove|import ...`` (any language) changes them; anything else lists
    them."""
    return _action(args) in _ADD | _REMOVE | _IMPORT


def manages_sources(args: str) -> bool:
    """Changing the sources, or exporting them (the list of what a team follows), is for
    those who manage the channel."""
    return changes_sources(args) or _action(args) in _EXPORT


def sources(host: Host, args: str, lang: str, ctx: Context) -> Reply:
    action, target = _action(args), args.partition(" ")[2].strip()
    # SourceError is a UserError: the dispatcher turns it into the localized refusal.
    if action in _ADD:
        source = add_source(host.core, target)
        return Reply(text=t("source_added", lang, id=source.id, url=source.url), lang=lang)
    if action in _REMOVE:
        removed = remove_source(host.core, target)
        return Reply(text=t("source_removed", lang, id=removed.id, url=removed.url), lang=lang)
    if action in _IMPORT:
        return _imported(host, target, lang)
    if action in _EXPORT:
        return _exported(host, lang)
    with Session(host.core.engine) as session:
        rows = session.execute(select(Source).order_by(col(Source.id))).scalars().all()
    if not rows:
        return Reply(text=t("no_sources", lang), lang=lang)
    fields = [(f"{s.id}. {s.name}", _source_state(s, lang)) for s in rows[:25]]
    return Reply(text=t("sources_header", lang, n=len(rows)), lang=lang, fields=fields)


def set_lang(host: Host, args: str, lang: str, ctx: Context) -> Reply:
    choice = args.strip().lower()
    if choice not in {"es", "en"}:
        return Reply(text=t("lang_usage", lang), lang=lang, error=True, ephemeral=True)
    with Session(host.core.engine) as session:
        row = session.execute(
            select(ChannelSettings).where(
                ChannelSettings.platform == ctx.platform,
                ChannelSettings.workspace == ctx.workspace,
                ChannelSettings.channel == ctx.channel,
            )
        ).scalar_one_or_none() or ChannelSettings(
            platform=ctx.platform, workspace=ctx.workspace, channel=ctx.channel
        )
        row.lang = choice
        session.add(row)
        session.commit()
    return Reply(text=t("lang_set", choice), lang=choice)


def feedback(host: Host, args: str, lang: str, ctx: Context) -> Reply:
    """👍/👎 counts in this workspace by channel and kind; for those who manage it."""
    return feedback_reply(Feedback(host.core.engine), ctx.platform, ctx.workspace, lang)


def _sub_fields(sub: Subscription, lang: str) -> dict[str, object]:
    return {
        "time": sub.local_time,
        "timezone": sub.timezone,
        "topics": sub.topics or t("all_topics", lang),
        "language": sub.lang,
        "weekdays": t("yes" if sub.weekdays_only else "no", lang),
        "min_sources": sub.min_sources,
        "followups": t("yes" if sub.followups else "no", lang),
    }


def _imported(host: Host, url: str, lang: str) -> Reply:
    """``sources import <url>``: the OPML's feeds added; refused entries named (at most 10)."""
    # OpmlError is a UserError: the dispatcher turns it into the localized refusal.
    result, skipped = import_opml(host.core, url, files=False)
    refused = [(entry, exc.message(lang)) for entry, exc in result.refused]
    refused += [(label, t(code, lang)) for label, code in skipped]
    text = t(
        "sources_imported",
        lang,
        added=len(result.added),
        present=len(result.present),
        refused=len(refused),
    )
    return Reply(text=text, lang=lang, fields=refused[:10])


def _exported(host: Host, lang: str) -> Reply:
    """``sources export``: the feed sources as an OPML file, for a reader or another ainews."""
    data, count = export_feeds(host.core, host.now())
    document = Attachment(
        filename="ainews-sources.opml",
        data=data,
        mime="text/x-opml",
        title=t("sources_export_title", lang),
    )
    return Reply(text=t("sources_exported", lang, n=count), lang=lang, files=[document])


def _source_state(source: Source, lang: str) -> str:
    if not source.enabled:
        return t("source_disabled", lang, reason=public_reason(source.disabled_reason or "-"))
    if source.last_error:
        error = public_reason(source.last_error)  # rows written before errors were shortened
        state = t("source_failing", lang, error=error, n=source.consecutive_failures)
        if source.next_try_at:  # backing off
            when = f"{source.next_try_at:%Y-%m-%d %H:%M}"
            state += "; " + t("source_next_try", lang, when=when)
        return state
    ok = format_date(source.last_success_at, lang) if source.last_success_at else "-"
    return t("source_ok", lang, url=source.url, when=ok)


SPECS = (
    Spec(
        "subscribe",
        subscribe,
        "help_subscribe",
        en=("subscribe",),
        es=("suscribir", "suscribirse"),
        shape=grammar.subscribe,
        options=(
            Option("time", "opt_sub_time", low=1, high=5),
            Option("timezone", "opt_sub_timezone", low=1, high=64, complete="timezone"),
            Option("topics", "opt_sub_topics", low=1, high=300, complete="topics"),
            Option("weekdays", "opt_sub_weekdays", kind=bool, flag="weekdays"),
            Option("min_sources", "opt_sub_min_sources", kind=int, low=1, high=20, prefix="min="),
            Option("language", "opt_sub_language", choices=LANGUAGES, prefix="lang="),
            Option("skip_empty", "opt_sub_skip_empty", kind=bool, flag="skip-empty"),
            Option("thread", "opt_sub_thread", kind=bool, flag="thread=yes", off="thread=no"),
            Option(
                "followups",
                "opt_sub_followups",
                kind=bool,
                flag="followups=yes",
                off="followups=no",
            ),
        ),
        manage=True,
        changes=True,
    ),
    Spec(
        "unsubscribe",
        unsubscribe,
        "help_unsubscribe",
        en=("unsubscribe",),
        es=("desuscribir", "desuscribirse", "cancelar"),
        shape=grammar.no_args("unsubscribe"),
        manage=True,
        changes=True,
    ),
    Spec(
        "subscriptions",
        subscriptions,
        "help_subscriptions",
        en=("subscriptions",),
        es=("suscripciones",),
        shape=grammar.no_args("subscriptions"),
        private=True,
    ),
    Spec(
        "history",
        history,
        "help_history",
        en=("history",),
        es=("historial",),
        shape=grammar.no_args("history"),
        private=True,
    ),
    Spec(
        "sources",
        sources,
        "help_sources",
        en=("sources",),
        es=("fuentes",),
        shape=grammar.sources,
        options=(
            Option(
                "action",
                "opt_sources_action",
                choices=(
                    ("list", "choice_sources_list"),
                    ("add", "choice_sources_add"),
                    ("remove", "choice_sources_remove"),
                    ("import", "choice_sources_import"),
                    ("export", "choice_sources_export"),
                ),
                default="list",
            ),
            Option("target", "opt_sources_target", low=1, high=500),
        ),
        manage=manages_sources,
        private=lambda args: not changes_sources(args),
        changes=changes_sources,
    ),
    Spec(
        "lang",
        set_lang,
        "help_lang",
        en=("language",),
        es=("idioma",),
        either=("lang",),
        shape=grammar.language,
        options=(Option("language", "opt_lang", required=True, choices=LANGUAGES),),
        changes=True,
    ),
    Spec(
        "feedback",
        feedback,
        "help_feedback",
        en=("feedback",),
        es=("valoraciones", "opiniones"),
        shape=grammar.no_args("feedback"),
        manage=True,
        private=True,
    ),
)
