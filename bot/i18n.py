"""User-facing strings in Spanish and English. Every reply goes through ``t()``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

Lang = str  # "es" | "en"

MESSAGES: dict[str, dict[str, str]] = {
    "empty_query": {
        "es": "La búsqueda está vacía. Escribe algunas palabras, por ejemplo: buscar Qwen",
        "en": "The query is empty. Type a few words, for example: search Qwen",
    },
    "query_too_long": {
        "es": "La búsqueda es demasiado larga ({length} caracteres; máximo {limit}). Acórtala.",
        "en": "The query is too long ({length} characters; at most {limit}). Please shorten it.",
    },
    "no_results": {
        "es": "No encontré artículos para «{query}».",
        "en": "No articles found for “{query}”.",
    },
    "database_unavailable": {
        "es": "La base de datos no responde ahora mismo. Inténtalo de nuevo en unos segundos.",
        "en": "The database is not answering right now. Please try again in a few seconds.",
    },
    "model_mismatch": {
        "es": (
            "Los vectores de esta base de datos son del modelo {stored}, y el configurado es "
            "{configured}. Ejecuta `ainews reindex` para recalcularlos con {configured}, o "
            "configura AINEWS_EMBEDDING_MODEL={stored}."
        ),
        "en": (
            "This database's vectors were made by {stored}, and the configured model is "
            "{configured}. Run `ainews reindex` to re-embed them with {configured}, or set "
            "AINEWS_EMBEDDING_MODEL={stored}."
        ),
    },
    "search_header": {
        "es": "Resultados para «{query}»:",
        "en": "Results for “{query}”:",
    },
    "welcome": {
        "es": "ainews en modo consola ({articles} artículos). Escribe «ayuda» o una pregunta.",
        "en": "ainews console mode ({articles} articles). Type “help” or a question.",
    },
    "seeding": {
        "es": "Base de datos vacía: cargando los artículos de {path} …",
        "en": "Empty database: loading the articles in {path} …",
    },
    # The help text: this header, then one line per command (bot.commands.help_text) made of
    # its verb, its "help_<name>_usage" and its "help_<name>", which is also Discord's
    # description of the command (at most 100 characters).
    "help_header": {
        "es": "*ainews* — noticias de la industria de la IA. Comandos:",
        "en": "*ainews* — AI-industry news. Commands:",
    },
    "help_search": {"es": "Buscar en las noticias", "en": "Search the news"},
    "help_search_usage": {"es": "<consulta>", "en": "<query>"},
    "help_ask": {
        "es": "Una respuesta con citas (o escribe la pregunta sin más)",
        "en": "An answer that cites its sources (or just type the question)",
    },
    "help_ask_usage": {"es": "<pregunta>", "en": "<question>"},
    "help_latest": {
        "es": "Las últimas historias («noticias sobre Qwen» también funciona)",
        "en": "The newest stories (“news about Qwen” works too)",
    },
    "help_latest_usage": {"es": "[n] [tema]", "en": "[n] [topic]"},
    "help_trending": {"es": "Qué está subiendo", "en": "What is rising"},
    "help_trending_usage": {"es": "[días]", "en": "[days]"},
    "help_story": {
        "es": "Los artículos de una historia y otros parecidos",
        "en": "One story's articles and similar ones",
    },
    "help_story_usage": {"es": "<id>", "en": "<id>"},
    "help_digest": {
        "es": "Vista previa del resumen diario de este canal",
        "en": "Preview this channel's daily digest",
    },
    "help_stats": {
        "es": "Cuántos artículos, fuentes y entidades hay",
        "en": "How many articles, sources and entities",
    },
    "help_subscribe": {
        "es": 'Resumen diario en este canal (temas: "Hugging Face" Qwen -cripto)',
        "en": 'Daily digest in this channel (topics: "Hugging Face" Qwen -crypto)',
    },
    "help_subscribe_usage": {
        "es": (
            "[HH:MM] [zona horaria] [temas...] [laborables] [min=N] [omitir-vacios] [lang=es]"
            " [hilo=si] [actualizaciones=no]"
        ),
        "en": (
            "[HH:MM] [timezone] [topics...] [weekdays] [min=N] [skip-empty] [lang=es] [thread=yes]"
            " [followups=no]"
        ),
    },
    "help_unsubscribe": {"es": "Dejar de recibir el resumen", "en": "Stop this channel's digest"},
    "help_subscriptions": {
        "es": "Las suscripciones de este espacio",
        "en": "Digest subscriptions in this workspace",
    },
    "help_history": {
        "es": "Los últimos resúmenes enviados a este canal",
        "en": "The digests sent to this channel",
    },
    "help_sources": {
        "es": "Ver, añadir, quitar, importar o exportar (OPML) fuentes",
        "en": "List, add, remove, import or export (OPML) news sources",
    },
    "help_sources_usage": {
        "es": "[agregar <url> | quitar <id> | importar <url OPML> | exportar]",
        "en": "[add <url> | remove <id> | import <OPML url> | export]",
    },
    "help_lang": {
        "es": "Idioma de las respuestas en este canal",
        "en": "Language of replies in this channel",
    },
    "help_lang_usage": {"es": "es|en", "en": "es|en"},
    "help_feedback": {"es": "Votos 👍/👎 por canal", "en": "👍/👎 votes by channel"},
    "help_help": {"es": "Esta ayuda", "en": "This help"},
    # Typed options of the commands (Discord), at most 100 characters each.
    "opt_query": {"es": "Palabras a buscar", "en": "Words to look for"},
    "opt_question": {"es": "Tu pregunta", "en": "Your question"},
    "opt_latest_n": {"es": "Cuántas (1-20)", "en": "How many (1-20)"},
    "opt_latest_topic": {
        "es": "Solo historias sobre esto, p. ej. Qwen",
        "en": "Only stories about this, e.g. Qwen",
    },
    "opt_trending_days": {
        "es": "Comparar los últimos N días (1-90)",
        "en": "Compare the last N days (1-90)",
    },
    "opt_story_id": {
        "es": "El número de la historia",
        "en": "The story number shown with each story",
    },
    "opt_sub_time": {
        "es": "Hora local, HH:MM (por defecto 09:00)",
        "en": "Local time, HH:MM (default 09:00)",
    },
    "opt_sub_timezone": {
        "es": "Zona horaria IANA, p. ej. Europe/Madrid",
        "en": "IANA timezone, e.g. Europe/Madrid",
    },
    "opt_sub_topics": {
        "es": 'Temas: Qwen "Hugging Face" -cripto (comillas: frases; -: excluir)',
        "en": 'Topics: Qwen "Hugging Face" -crypto (quotes: phrases; -: leave out)',
    },
    "opt_sub_thread": {
        "es": "Abrir un hilo por cada resumen",
        "en": "Open a thread for each digest",
    },
    "opt_sub_weekdays": {"es": "Solo de lunes a viernes", "en": "Monday to Friday only"},
    "opt_sub_followups": {
        "es": "Actualizar en el hilo del resumen sus historias con novedades",
        "en": "Post updates of its stories in the digest's thread",
    },
    "opt_sub_min_sources": {
        "es": "Historias con al menos N fuentes",
        "en": "Stories covered by at least N sources",
    },
    "opt_sub_language": {"es": "Idioma del resumen", "en": "Digest language"},
    "opt_sub_skip_empty": {
        "es": "No publicar los días sin noticias",
        "en": "Post nothing on days without news",
    },
    "opt_sources_action": {"es": "Qué hacer", "en": "What to do"},
    "opt_sources_target": {
        "es": "URL a añadir, id de la fuente a quitar, o URL del OPML a importar",
        "en": "Feed/site URL to add, source id to remove, or OPML URL to import",
    },
    "opt_lang": {"es": "Español o inglés", "en": "Spanish or English"},
    "choice_sources_list": {"es": "ver", "en": "list"},
    "choice_sources_add": {"es": "añadir un feed o sitio", "en": "add a feed or site"},
    "choice_sources_remove": {"es": "quitar", "en": "remove"},
    "choice_sources_import": {
        "es": "importar una lista OPML (URL)",
        "en": "import an OPML list (URL)",
    },
    "choice_sources_export": {"es": "exportar como archivo OPML", "en": "export as an OPML file"},
    "lang_name_es": {"es": "Español", "en": "Español"},
    "lang_name_en": {"es": "English", "en": "English"},
    # What a command needs on Discord, after its description (see bot.commands: "manage").
    "discord_needs_manage": {"es": "(Gestionar canales)", "en": "(Manage Channels)"},
    "discord_group": {
        "es": "Noticias de IA: búsqueda, respuestas, resúmenes",
        "en": "AI-industry news: search, answers, digests",
    },
    "empty_command": {
        "es": "No escribiste ningún comando. Prueba `ayuda`, `buscar Qwen` o haz una pregunta.",
        "en": "You didn't type a command. Try `help`, `search Qwen` or ask a question.",
    },
    "unknown_verb": {
        "es": "No conozco el comando «{verb}». ¿Quisiste decir `{suggestion}`? Escribe `ayuda`.",
        "en": "I don't know the command “{verb}”. Did you mean `{suggestion}`? Type `help`.",
    },
    "invalid_count": {
        "es": "Indica un número entre {low} y {high}.",
        "en": "Give a number between {low} and {high}.",
    },
    "invalid_days": {
        "es": "Indica un número de días entre {low} y {high}.",
        "en": "Give a number of days between {low} and {high}.",
    },
    "btn_share": {"es": "Compartir en el canal", "en": "Share in channel"},
    "btn_more": {"es": "Más como esto", "en": "More like this"},
    "btn_subscribe": {"es": "Suscribir este canal", "en": "Subscribe this channel"},
    "btn_next": {"es": "Siguiente", "en": "Next"},
    "no_articles": {
        "es": "Todavía no hay artículos. Añade fuentes con `fuentes agregar <url>`.",
        "en": "No articles yet. Add sources with `sources add <url>`.",
    },
    "latest_header": {"es": "Las {n} últimas historias:", "en": "The {n} latest stories:"},
    "latest_topic_header": {
        "es": "Lo último sobre «{topic}»:",
        "en": "The latest on “{topic}”:",
    },
    "defined_by_stories": {
        "es": "Ninguna frase dice qué es «{topic}»; estas son sus historias más recientes:",
        "en": "No sentence says what “{topic}” is; here are the newest stories about it:",
    },
    "latest_topic_closest": {
        "es": "Nada reciente nombra «{topic}»; esto es lo que más se acerca:",
        "en": "Nothing recent names “{topic}”; these come closest:",
    },
    "latest_topic_empty": {
        "es": "No hay nada reciente sobre «{topic}». Prueba `buscar {topic}` o `ultimas`.",
        "en": "Nothing recent about “{topic}”. Try `search {topic}` or `latest`.",
    },
    "trending_header": {
        "es": "En tendencia (últimos {days} días frente a los {days} anteriores):",
        "en": "Trending (last {days} days vs the {days} before):",
    },
    "trending_row": {
        "es": "{now} artículos (antes {before})",
        "en": "{now} articles (before: {before})",
    },
    "trending_empty": {
        "es": "Nada sube en los últimos {days} días.",
        "en": "Nothing is rising in the last {days} days.",
    },
    "story_usage": {
        "es": "Uso: `historia <id>` (el número que aparece en cada noticia).",
        "en": "Usage: `story <id>` (the number shown with each story).",
    },
    "story_unknown": {"es": "No existe la historia {id}.", "en": "There is no story {id}."},
    "story_header": {
        "es": "Historia: {title} ({n} artículo(s))",
        "en": "Story: {title} ({n} article(s))",
    },
    # -- topics (bot/topics.py) --
    "topics_unbalanced_quote": {
        "es": 'Falta cerrar unas comillas en «{text}». Escribe los temas de varias palabras así: "Hugging Face".',
        "en": 'A quote is not closed in “{text}”. Write multi-word topics like this: "Hugging Face".',
    },
    "topics_empty_term": {
        "es": '«{term}» no es un tema: escribe una palabra o una frase entre comillas, por ejemplo -cripto o -"precio de la acción".',
        "en": '“{term}” is not a topic: write a word or a quoted phrase, for example -crypto or -"stock price".',
    },
    "topics_term_too_long": {
        "es": "Un tema puede tener como mucho {limit} caracteres.",
        "en": "A topic can be at most {limit} characters long.",
    },
    "topics_too_many": {
        "es": "Como mucho {limit} temas (incluidos los excluidos).",
        "en": "At most {limit} topics (exclusions included).",
    },
    "invalid_thread": {
        "es": "«hilo={value}» no es válido: usa hilo=si o hilo=no.",
        "en": "“thread={value}” is not valid: use thread=yes or thread=no.",
    },
    "invalid_followups": {
        "es": "«actualizaciones={value}» no es válido: usa actualizaciones=si o actualizaciones=no.",
        "en": "“followups={value}” is not valid: use followups=yes or followups=no.",
    },
    # -- feedback (bot/feedback.py) --
    "feedback_header": {
        "es": "Valoraciones 👍/👎 de este espacio ({n} votos):",
        "en": "👍/👎 feedback in this workspace ({n} votes):",
    },
    "feedback_empty": {
        "es": "Todavía nadie ha votado 👍/👎 una respuesta o un resumen aquí.",
        "en": "Nobody has voted 👍/👎 on an answer or a digest here yet.",
    },
    "feedback_kind_answer": {"es": "respuestas", "en": "answers"},
    "feedback_kind_story": {"es": "historias del resumen", "en": "digest stories"},
    "feedback_kind_result": {"es": "resultados de búsqueda", "en": "search results"},
    "vote_recorded": {
        "es": "Gracias: anoté tu {vote}.",
        "en": "Thanks: your {vote} is recorded.",
    },
    "vote_changed": {
        "es": "Cambié tu voto a {vote}.",
        "en": "Your vote is now {vote}.",
    },
    "vote_same": {
        "es": "Ya habías votado {vote}; no cambia nada.",
        "en": "You had already voted {vote}; nothing changed.",
    },
    "vote_invalid": {
        "es": "Este botón no es válido aquí, así que no conté el voto.",
        "en": "This button is not valid here, so the vote was not counted.",
    },
    # -- Slack App Home and assistant --
    "home_title": {"es": "ainews — noticias de IA", "en": "ainews — AI news"},
    "home_intro": {
        "es": "Escríbeme en la pestaña *Mensajes* o menciona @ainews en un canal. Aquí ves los resúmenes de tus canales y el estado de las fuentes.",
        "en": "Write to me in the *Messages* tab or mention @ainews in a channel. Here are your channels' digests and how the sources are doing.",
    },
    "home_subscriptions": {"es": "Resúmenes de tus canales", "en": "Your channels' digests"},
    "home_no_subscriptions": {
        "es": "Ninguno de tus canales recibe el resumen todavía.",
        "en": "None of your channels gets the digest yet.",
    },
    "home_last_digest": {"es": "último: {when}", "en": "last: {when}"},
    "home_never": {"es": "aún ninguno", "en": "none yet"},
    "home_sources": {"es": "Fuentes ({n})", "en": "Sources ({n})"},
    "home_feedback": {"es": "Valoraciones", "en": "Feedback"},
    "home_subscribe": {
        "es": "Suscribir un canal al resumen diario (09:00 UTC; cámbialo después con `/ainews suscribir`):",
        "en": "Subscribe a channel to the daily digest (09:00 UTC; change it later with `/ainews subscribe`):",
    },
    "home_pick_channel": {"es": "Elige un canal", "en": "Pick a channel"},
    "btn_preview": {"es": "Vista previa", "en": "Preview"},
    "home_preview_for": {
        "es": "Vista previa del resumen de <#{channel}>:",
        "en": "Preview of <#{channel}>'s digest:",
    },
    "home_not_your_channel": {
        "es": "Solo puedo mostrar o cambiar el resumen de canales en los que estás.",
        "en": "I can only show or change the digest of channels you are in.",
    },
    "assistant_greeting": {
        "es": "¡Hola! Pregúntame por noticias de IA, en español o en inglés.",
        "en": "Hi! Ask me about AI news, in English or Spanish.",
    },
    "assistant_thinking": {"es": "está pensando…", "en": "is thinking…"},
    "prompt_latest_title": {"es": "Lo último", "en": "Latest news"},
    "prompt_latest": {"es": "¿Qué hay de nuevo en IA?", "en": "What's new in AI?"},
    "prompt_ask_title": {"es": "Una pregunta", "en": "Ask a question"},
    "prompt_ask": {
        "es": "¿Cuántas descargas tiene Qwen?",
        "en": "How many downloads does Qwen have?",
    },
    "prompt_trending_title": {"es": "Tendencias", "en": "Trending"},
    "prompt_trending": {"es": "tendencias 7", "en": "trending 7"},
    "prompt_subscribe_title": {"es": "Resumen diario", "en": "Daily digest"},
    "prompt_subscribe": {
        "es": 'suscribir 09:00 Europe/Madrid "Hugging Face" Qwen -cripto',
        "en": 'subscribe 09:00 Europe/Madrid "Hugging Face" Qwen -crypto',
    },
    "digest_header": {"es": "Resumen de IA — {date}", "en": "AI digest — {date}"},
    # A story of a digest that changed since (bot.updates), told in the digest's thread.
    "update": {"es": "Actualización: {changes}", "en": "Update: {changes}"},
    "update_up": {
        "es": "{subject} superó {value} (antes {was})",
        "en": "{subject} passed {value} (was {was})",
    },
    "update_down": {
        "es": "{subject} bajó a {value} (antes {was})",
        "en": "{subject} down to {value} (was {was})",
    },
    "update_new_figure": {"es": "cifra nueva: {figure}", "en": "new figure: {figure}"},
    "update_source": {"es": "{n} fuente nueva", "en": "{n} new source"},
    "update_sources": {"es": "{n} fuentes nuevas", "en": "{n} new sources"},
    "digest_empty": {
        "es": "Nada nuevo desde el último resumen.",
        "en": "Nothing new since the last digest.",
    },
    "needs_permission": {
        "es": "No tienes permiso para cambiar la configuración de este canal.",
        "en": "You don't have permission to change this channel's settings.",
    },
    "needs_manage_channels": {
        "es": "Para esto necesitas el permiso «Gestionar canales» en este canal.",
        "en": "You need the Manage Channels permission in this channel to do that.",
    },
    "needs_slack_admin": {
        "es": "Solo los administradores del espacio de trabajo (o los usuarios autorizados) pueden hacer esto.",
        "en": "Only workspace admins (or authorized users) can do that.",
    },
    "invalid_time": {
        "es": "«{time}» no es una hora válida. Usa HH:MM entre 00:00 y 23:59, p. ej. `suscribir 09:00 Europe/Madrid`.",
        "en": "“{time}” is not a valid time. Use HH:MM between 00:00 and 23:59, e.g. `subscribe 09:00 Europe/Madrid`.",
    },
    "invalid_timezone": {
        "es": "«{timezone}» no es una zona horaria IANA. ¿Quizás: {suggestions}?",
        "en": "“{timezone}” is not an IANA timezone. Perhaps: {suggestions}?",
    },
    "invalid_lang": {
        "es": "Idioma no admitido: {lang} (usa es o en).",
        "en": "Unsupported language: {lang} (use es or en).",
    },
    "invalid_min_sources": {
        "es": "min= debe ser un número entre 1 y 20 (recibí «{value}»).",
        "en": "min= must be a number between 1 and 20 (got “{value}”).",
    },
    "subscribed": {
        "es": "Listo: este canal recibirá el resumen cada día a las {time} ({timezone}), en «{language}». Temas: {topics}. Solo laborables: {weekdays}. Fuentes mínimas por historia: {min_sources}. Actualizaciones en el hilo: {followups}.",
        "en": "Done: this channel gets the digest every day at {time} ({timezone}), in “{language}”. Topics: {topics}. Weekdays only: {weekdays}. Minimum sources per story: {min_sources}. Updates in the thread: {followups}.",
    },
    "subscription_row": {
        "es": "{time} {timezone} · {language} · temas: {topics} · actualizaciones: {followups}",
        "en": "{time} {timezone} · {language} · topics: {topics} · updates: {followups}",
    },
    "prefs_fewer_topic": {
        "es": "menos historias sobre {name}: {n} 👎",
        "en": "fewer stories on {name}: {n} 👎",
    },
    "prefs_more_topic": {
        "es": "más historias sobre {name}: {n} 👍",
        "en": "more stories on {name}: {n} 👍",
    },
    "prefs_fewer_source": {
        "es": "menos historias de {name}: {n} 👎",
        "en": "fewer stories from {name}: {n} 👎",
    },
    "prefs_more_source": {
        "es": "más historias de {name}: {n} 👍",
        "en": "more stories from {name}: {n} 👍",
    },
    "all_topics": {"es": "todos", "en": "all"},
    "yes": {"es": "sí", "en": "yes"},
    "no": {"es": "no", "en": "no"},
    "unsubscribed": {
        "es": "Este canal ya no recibirá el resumen diario.",
        "en": "This channel will no longer get the daily digest.",
    },
    "not_subscribed": {
        "es": "Este canal no está suscrito.",
        "en": "This channel is not subscribed.",
    },
    "no_subscriptions": {
        "es": "No hay suscripciones en este espacio.",
        "en": "No subscriptions in this workspace.",
    },
    "subscriptions_header": {"es": "Suscripciones:", "en": "Subscriptions:"},
    "no_sources": {
        "es": "No hay fuentes. Añade una con `fuentes agregar <url>`.",
        "en": "No sources yet. Add one with `sources add <url>`.",
    },
    "sources_header": {"es": "Fuentes ({n}):", "en": "Sources ({n}):"},
    "source_ok": {"es": "{url} · último éxito: {when}", "en": "{url} · last success: {when}"},
    "source_failing": {
        "es": "falla ({n} seguidas): {error}",
        "en": "failing ({n} in a row): {error}",
    },
    "source_disabled": {"es": "desactivada: {reason}", "en": "disabled: {reason}"},
    "source_next_try": {"es": "próximo intento: {when} UTC", "en": "next try: {when} UTC"},
    "opml_bad": {
        "es": "No es un OPML legible: {reason}.",
        "en": "This is not readable OPML: {reason}.",
    },
    "opml_too_large": {
        "es": "El OPML pesa más de {limit} MB: divídelo.",
        "en": "The OPML is larger than {limit} MB: split it.",
    },
    "opml_too_many": {
        "es": "El OPML tiene {count} entradas; el máximo es {limit}.",
        "en": "The OPML has {count} outlines; at most {limit} are read.",
    },
    "opml_no_url": {"es": "sin xmlUrl", "en": "no xmlUrl"},
    "opml_url_only": {
        "es": "Indica la URL (http o https) de un OPML: `fuentes importar <url>`.",
        "en": "Give the URL (http or https) of an OPML file: `sources import <url>`.",
    },
    "opml_fetch_failed": {
        "es": "No pude descargar el OPML de {url}: {reason}.",
        "en": "Could not download the OPML at {url}: {reason}.",
    },
    "sources_imported": {
        "es": "{added} fuentes añadidas, {present} ya estaban, {refused} rechazadas.",
        "en": "{added} sources added, {present} already present, {refused} refused.",
    },
    "opml_empty": {
        "es": "El OPML no lista ninguna fuente (ningún outline con xmlUrl).",
        "en": "The OPML lists no feed (no outline with an xmlUrl).",
    },
    "ops_feed_failing": {
        "es": (
            "La fuente {id} «{name}» falla ({n} veces seguidas): {error}. Se reintenta sola "
            "cada vez más espaciado (próximo intento: {when} UTC). Si la URL cambió: "
            "`sources remove {id}` y añade la nueva."
        ),
        "en": (
            "Source {id} “{name}” is failing ({n} times in a row): {error}. It is retried on "
            "its own, less and less often (next try: {when} UTC). If its URL changed: "
            "`sources remove {id}` and add the new one."
        ),
    },
    "ops_feed_recovered": {
        "es": "La fuente {id} «{name}» funciona de nuevo (último error: {error}).",
        "en": "Source {id} “{name}” works again (last error: {error}).",
    },
    "ops_channel_bad": {
        "es": "AINEWS_OPS_CHANNEL={value} no es válido: usa slack:C0123ABCD o discord:123456789012345678.",
        "en": "AINEWS_OPS_CHANNEL={value} is not valid: use slack:C0123ABCD or discord:123456789012345678.",
    },
    "source_added": {"es": "Fuente {id} añadida: {url}", "en": "Source {id} added: {url}"},
    "source_removed": {"es": "Fuente {id} eliminada: {url}", "en": "Source {id} removed: {url}"},
    "source_bad_url": {
        "es": "«{url}» no es una URL http(s) válida.",
        "en": "“{url}” is not a valid http(s) URL.",
    },
    "source_private": {
        "es": "Rechazada: {url} apunta a una dirección privada o local.",
        "en": "Refused: {url} points to a private or local address.",
    },
    "source_exists": {
        "es": "Esa fuente ya existe (id {id}).",
        "en": "That source already exists (id {id}).",
    },
    "source_unknown": {"es": "No existe la fuente «{ref}».", "en": "There is no source “{ref}”."},
    "source_url_too_long": {
        "es": "La URL es demasiado larga (máximo {limit} caracteres).",
        "en": "That URL is too long (at most {limit} characters).",
    },
    "lang_usage": {"es": "Uso: `idioma es` o `idioma en`.", "en": "Usage: `lang es` or `lang en`."},
    "lang_set": {
        "es": "Responderé en español en este canal.",
        "en": "I'll answer in English in this channel.",
    },
    "history_empty": {
        "es": "Todavía no se ha enviado ningún resumen a este canal.",
        "en": "No digest has been sent to this channel yet.",
    },
    "history_header": {
        "es": "Últimos resúmenes de este canal:",
        "en": "Recent digests for this channel:",
    },
    "delivery_sent": {"es": "enviado · {stories} historias", "en": "sent · {stories} stories"},
    "delivery_empty": {"es": "nada nuevo (no se envió)", "en": "nothing new (not sent)"},
    "delivery_sending": {
        "es": "enviándose (intento {attempts})",
        "en": "sending (attempt {attempts})",
    },
    "delivery_failed": {
        "es": "falló tras {attempts} intento(s): {error}",
        "en": "failed after {attempts} attempt(s): {error}",
    },
    "subscription_paused": {
        "es": "suscripción en pausa: {reason}. Vuelve a `suscribir` para reanudarla.",
        "en": "subscription paused: {reason}. `subscribe` again to resume it.",
    },
    "stats_header": {"es": "Estadísticas:", "en": "Stats:"},
    "looking": {"es": "Buscando…", "en": "Looking…"},
    "answer_not_found": {
        "es": "No encontré nada en las noticias indexadas que responda a «{question}».",
        "en": "I found nothing in the indexed news that answers “{question}”.",
    },
    "answer_header": {
        "es": "Esto dicen las noticias ({count} fuente(s)):",
        "en": "Here is what the news says ({count} source(s)):",
    },
    "answer_quote": {
        "es": "• «{sentence}» [{n}] (a {date})",
        "en": "• “{sentence}” [{n}] (as of {date})",
    },
    "answer_direct": {
        "es": "En resumen: {figure} ({subject}{date}) [{n}].",
        "en": "In short: {figure} ({subject}{date}) [{n}].",
    },
    "in_lang": {"es": "(en {name})", "en": "(in {name})"},
    "in_lang_other": {"es": "(en otro idioma: {code})", "en": "(in another language: {code})"},
    "answer_figures": {"es": "Cifras clave: {figures}", "en": "Key figures: {figures}"},
    "answer_conflict": {
        "es": "Ojo: las fuentes dan cifras distintas para {subject}: {detail}.",
        "en": "Note: sources give different figures for {subject}: {detail}.",
    },
    # Platform adapters (Discord): pagination, card footers, failures.
    "page_of": {"es": "Página {page}/{pages}", "en": "Page {page}/{pages}"},
    "btn_prev": {"es": "Anterior", "en": "Previous"},
    "pages_expired": {
        "es": "Estos resultados ya no están disponibles. Vuelve a lanzar el comando.",
        "en": "These results are no longer available. Please run the command again.",
    },
    "card_story": {"es": "historia {id}", "en": "story {id}"},
    # A story's sources with their languages (bot.stories.StorySources.describe).
    "story_sources": {"es": "{n} fuentes · {langs}", "en": "{n} sources · {langs}"},
    "story_sources_one": {"es": "1 fuente · {langs}", "en": "1 source · {langs}"},
    "card_also": {"es": "+{n} fuente(s) más", "en": "+{n} more source(s)"},
    "internal_error": {
        "es": "Algo falló al preparar la respuesta. Inténtalo de nuevo en unos segundos.",
        "en": "Something went wrong while preparing the answer. Please try again in a few seconds.",
    },
    # Slack adapter: the context line under an article card.
    "also_reported": {
        "es": "también publicado por {n} fuente(s) más",
        "en": "also reported by {n} other source(s)",
    },
    # Follow-ups ("source?", "more") in a conversation (bot/conversation.py).
    "followup_sources": {
        "es": "Fuentes de la respuesta a «{question}»:",
        "en": "Sources of the answer to “{question}”:",
    },
    "followup_no_sources": {
        "es": "La respuesta a «{question}» no citó ninguna fuente.",
        "en": "The answer to “{question}” cited no sources.",
    },
    "followup_no_more": {
        "es": "No hay más resultados para «{question}».",
        "en": "There are no more results for “{question}”.",
    },
    # Files with a reply (bot/reply.py Attachment): trend charts (bot/charts.py), OPML export.
    "chart_title": {
        "es": "Menciones de lo que sube: últimos {days} días frente a los {days} anteriores",
        "en": "Mentions of what is rising: last {days} days vs the {days} before",
    },
    "chart_x": {"es": "Fecha", "en": "Date"},
    "chart_y_day": {"es": "Menciones por día", "en": "Mentions per day"},
    "chart_y_week": {"es": "Menciones por semana", "en": "Mentions per week"},
    "chart_y_month": {"es": "Menciones por mes", "en": "Mentions per month"},
    "chart_legend": {"es": "Entidad", "en": "Entity"},
    "chart_recent": {
        "es": "inicio de los últimos {days} días",
        "en": "start of the last {days} days",
    },
    "chart_filename": {"es": "tendencias-{days}d.png", "en": "trending-{days}d.png"},
    "chart_written": {
        "es": "Gráfico guardado en {path} ({size} bytes).",
        "en": "Chart written to {path} ({size} bytes).",
    },
    "chart_none": {
        "es": "Sin gráfico: nada sube en los últimos {days} días.",
        "en": "No chart: nothing is rising in the last {days} days.",
    },
    "chart_unwritable": {
        "es": "No se pudo escribir el gráfico en {path}: {reason}.",
        "en": "Could not write the chart to {path}: {reason}.",
    },
    "os_denied": {"es": "sin permiso de escritura", "en": "no permission to write there"},
    "os_no_folder": {"es": "la carpeta no existe", "en": "the folder does not exist"},
    "os_is_folder": {"es": "es una carpeta", "en": "it is a folder"},
    "sources_exported": {
        "es": "{n} fuentes en OPML, en el archivo adjunto.",
        "en": "{n} sources as OPML, in the attached file.",
    },
    "sources_export_title": {"es": "Fuentes de ainews (OPML)", "en": "ainews sources (OPML)"},
    "file_saved": {"es": "Archivo guardado: {path}", "en": "File saved: {path}"},
    "file_not_attached": {"es": "No se pudo adjuntar {name}.", "en": "Could not attach {name}."},
    "file_needs_scope": {
        "es": "No se pudo adjuntar {name}: a la app de Slack le falta el permiso files:write (hay que reinstalarla).",
        "en": "Could not attach {name}: the Slack app lacks the files:write scope (reinstall it).",
    },
    "file_sent_dm": {
        "es": "Te envié {name} por mensaje directo.",
        "en": "I sent you {name} in a direct message.",
    },
    "file_sent_dm_not_member": {
        "es": "No estoy en este canal, así que te envié {name} por mensaje directo (invítame con /invite @ainews).",
        "en": "I'm not in this channel, so I sent you {name} in a direct message (invite me with /invite @ainews).",
    },
}

_MONTHS = {
    "es": "ene feb mar abr may jun jul ago sep oct nov dic".split(),
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
}


def format_date(value: datetime | None, lang: str) -> str:
    """``13 Jan 2026`` / ``13 ene 2026``."""
    if value is None:
        return "?"
    return f"{value.day} {_MONTHS.get(lang, _MONTHS['en'])[value.month - 1]} {value.year}"


# (size, singular, plural). Spanish press writes "40.000 millones", not "40 mil millones".
_SCALES_OUT = {
    "en": [
        (1e12, "trillion", "trillion"),
        (1e9, "billion", "billion"),
        (1e6, "million", "million"),
    ],
    "es": [(1e12, "billón", "billones"), (1e6, "millón", "millones")],
}
_UNIT_NAMES = {
    "downloads": {"es": "descargas", "en": "downloads"},
    "users": {"es": "usuarios", "en": "users"},
    "parameters": {"es": "parámetros", "en": "parameters"},
    "employees": {"es": "empleados", "en": "employees"},
    "models": {"es": "modelos", "en": "models"},
    "gpus": {"es": "GPU", "en": "GPUs"},
    "chips": {"es": "chips", "en": "chips"},
    "shares": {"es": "acciones", "en": "shares"},
    "tokens": {"es": "tokens", "en": "tokens"},
    "usd": {"es": "dólares", "en": "dollars"},
    "eur": {"es": "euros", "en": "euros"},
    "cny": {"es": "yuanes", "en": "yuan"},
}
_SYMBOLS = {"en": {"usd": "$", "eur": "€"}}  # English puts the symbol first: "$6.6 billion"


def _decimal(value: float, lang: str) -> str:
    """``1,000.5`` in English, ``1.000,5`` in Spanish; at most two decimals, none if zero."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.translate(str.maketrans(",.", ".,")) if lang == "es" else text


def format_number(value: float, unit: str, original: str, lang: str) -> str:
    """A figure in the reader's conventions, whatever the article's language.

    ``15,8 %`` / ``15.8 %``; ``40.000 millones de dólares`` / ``$40 billion``;
    ``1.000,5 usuarios`` / ``1,000.5 users``. ``original`` (the span as written) is
    not reused: its separators follow the article's language, not the reader's.
    """
    lang = lang if lang in _SCALES_OUT else "en"
    if unit == "%":
        return f"{_decimal(value, lang)} %"
    sign, value = ("-" if value < 0 else ""), abs(value)
    amount, scaled = _decimal(value, lang), False
    for size, singular, plural in _SCALES_OUT[lang]:
        if value >= size:
            count = _decimal(value / size, lang)
            amount, scaled = f"{count} {singular if count == '1' else plural}", True
            break
    symbol = _SYMBOLS.get(lang, {}).get(unit)
    if symbol:
        return sign + symbol + amount
    amount = sign + amount
    name = _UNIT_NAMES.get(unit, {}).get(lang, unit)
    if not name:
        return amount
    return amount + (" de " if lang == "es" and scaled else " ") + name


class UserError(ValueError):
    """Bad input we refuse with a localized message: ``t(err.code, lang, **err.params)``."""

    def __init__(self, code: str, /, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: Lang) -> str:
        return t(self.code, lang, **self.params)


#: Names of the languages a feed may declare for its articles (``bot.ingest.pipeline.
#: article_lang`` keeps a declaration the text does not contradict).
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "es": {"es": "español", "en": "Spanish"},
    "en": {"es": "inglés", "en": "English"},
    "de": {"es": "alemán", "en": "German"},
    "fr": {"es": "francés", "en": "French"},
    "it": {"es": "italiano", "en": "Italian"},
    "pt": {"es": "portugués", "en": "Portuguese"},
    "ca": {"es": "catalán", "en": "Catalan"},
    "nl": {"es": "neerlandés", "en": "Dutch"},
    "zh": {"es": "chino", "en": "Chinese"},
    "ja": {"es": "japonés", "en": "Japanese"},
    "ko": {"es": "coreano", "en": "Korean"},
}


def in_language(code: str, lang: Lang) -> str:
    """The mark after a quote in another language than the reply's: "(in Spanish)",
    "(en alemán)"; a language without a name here is shown by its code."""
    names = LANGUAGE_NAMES.get(code)
    if names is None:
        return t("in_lang_other", lang, code=code)
    return t("in_lang", lang, name=names[lang])


def t(code: str, lang: Lang = "en", /, **params: Any) -> str:
    """The message ``code`` in ``lang`` (English if missing), formatted with ``params``.

    ``code`` and ``lang`` are positional-only, so a message may take a ``lang`` or ``code``
    parameter of its own (``invalid_lang`` names the language the user asked for)."""
    table = MESSAGES.get(code)
    if table is None:
        return code
    template = table.get(lang) or table["en"]
    return template.format(**params)
