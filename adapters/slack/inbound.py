"""What Slack sends in: request bodies -> payloads, and its text -> the plain command the
core parses.

:func:`parse_body` reads a request body whose signature has already been checked (see
``adapters.slack.guard``); whatever does not parse is a :class:`MalformedRequest`, answered
with a 400, never an exception that escapes.

Slack delivers what users type with its own markup: ``&amp;``/``&lt;``/``&gt;`` entities,
auto-linked URLs (``<https://x.com>``, ``<https://x.com|x.com>``), user and channel
references (``<@U1>``, ``<#C1|news>``) and, in mentions, the bot's own ``<@UBOT>``. The
core must see ``sources add https://x.com``, not the markup around it.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

#: How Slack's own ``ssl_check`` probe looks: it is the one request Slack does not sign.
_SSL_CHECK_KEYS = {"ssl_check", "token"}
_SSL_CHECK_MAX_BYTES = 512


class MalformedRequest(ValueError):
    """A body that is not one of Slack's payloads; the message says why, for the log."""


def parse_body(raw: bytes, content_type: str | None) -> tuple[str, dict[str, Any]]:
    """The body as text and its payload: a JSON object (Events API), a form (slash
    commands) or a form whose ``payload`` field is a JSON object (interactivity).

    The same rules as bolt's own parser, except that a form is an interactivity payload
    only when it has a ``payload`` field (bolt looks for the word anywhere, so a slash
    command mentioning "payload" would lose all its fields). Raises ``MalformedRequest``.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest("body is not UTF-8") from None
    if not text.strip():
        raise MalformedRequest("empty body")
    if content_type == "application/json" or text.startswith("{"):
        payload = _json_object(text, "JSON body")
    else:
        form = dict(parse_qsl(text, keep_blank_values=True))
        payload = _json_object(form["payload"], "payload= field") if "payload" in form else form
    if not any(isinstance(payload.get(key), str) for key in ("type", "command", "ssl_check")):
        raise MalformedRequest("not a Slack payload (no type or command)")
    problem = _shape_problem(payload)
    if problem:
        raise MalformedRequest(problem)
    return text, payload


_TEXT = (str, type(None))
_REF = (str, dict, type(None))  # "U1" or {"id": "U1", ...}
#: JSON types Slack's protocol fixes for fields that bolt (to route and authorize) and the
#: listeners read, wherever they appear among the objects ``_shape_problem`` visits. A
#: signed payload that breaks them is malformed, not a bug of ours: 400, no traceback.
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(
        "event message previous_message item assistant_thread function_data view container "
        "state inputs".split(),
        (dict,),
    ),
    **dict.fromkeys("authorizations actions response_urls".split(), (list,)),
    **dict.fromkeys("team enterprise user channel".split(), _REF),
    **dict.fromkeys(
        "type command id team_id user_id channel_id enterprise_id user_team response_url "
        "trigger_id thread_ts event_ts event_id action_id block_id value callback_id "
        "app_installed_team_id bot_access_token function_execution_id execution_id".split(),
        _TEXT,
    ),
    "is_ext_shared_channel": (bool, type(None)),
}
#: Objects whose ``text`` is the user's words (elsewhere, e.g. on a button, it is an object).
_TEXT_OWNERS = ("", "event", "message", "previous_message")
_NESTED = ("event", "message", "previous_message", "item", "assistant_thread", "function_data")
_LISTS = ("authorizations", "actions", "response_urls")
_REFS = ("team", "enterprise", "user", "channel")


def _shape_problem(payload: dict[str, Any]) -> str | None:
    """Why ``payload`` breaks ``_FIELD_TYPES``, or ``None``: checks the payload, the
    objects bolt looks into (one level down, and ``event.message`` etc.), each item of its
    lists, and the ``id`` of user/team/channel/enterprise objects."""
    objects: list[tuple[str, Any]] = [("", payload)]
    for name in _NESTED:
        objects.append((name, payload.get(name)))
        event = payload.get("event")
        if isinstance(event, dict):
            objects.append((f"event.{name}", event.get(name)))
    objects.append(("view", payload.get("view")))
    for name in _LISTS:
        items = payload.get(name)
        for n, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                return f"{name}[{n}] is not an object"
            objects.append((f"{name}[{n}]", item))
    for where, obj in list(objects):
        if isinstance(obj, dict):
            objects.extend((f"{where}.{name}", obj.get(name)) for name in _REFS)
    for where, obj in objects:
        if not isinstance(obj, dict):
            continue
        for name, types in _FIELD_TYPES.items():
            if name in obj and not isinstance(obj[name], types):
                return f"{where or 'payload'}.{name} has the wrong type"
        if where in _TEXT_OWNERS and not isinstance(obj.get("text"), _TEXT):
            return f"{where or 'payload'}.text is not a string"
        url = obj.get("response_url")
        if url is not None and not url.startswith(("https://", "http://")):
            return f"{where or 'payload'}.response_url is not a URL"
    actions = payload.get("actions") or []  # a list of objects by now
    if payload.get("type") in {"block_actions", "interactive_message"} and not actions:
        return "no actions in an actions payload"
    if payload.get("type") == "block_actions" and not all(
        isinstance(action.get("action_id"), str) for action in actions
    ):
        return "an action without an action_id"
    return None


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise MalformedRequest(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise MalformedRequest(f"{what} is not a JSON object")
    return value


def is_ssl_check(raw: bytes) -> bool:
    """Whether ``raw`` is Slack's unsigned ``ssl_check=1&token=..`` probe, and nothing more."""
    if len(raw) > _SSL_CHECK_MAX_BYTES or not raw.isascii():
        return False
    try:
        fields = parse_qsl(raw.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return False
    return dict(fields).get("ssl_check") == "1" and {k for k, _ in fields} <= _SSL_CHECK_KEYS


_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def _replace(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@team>, <!date^...|fallback>
        return label or "@" + target[1:].split("^", 1)[0]
    if target.startswith("mailto:"):
        return label or target[len("mailto:") :]
    return target  # a link: the URL itself, whatever label Slack showed


def clean(text: str, *, bot_user_id: str | None = None) -> str:
    """The user's words without Slack markup and without mentions of the bot itself
    (``@ainews search Qwen`` and ``search Qwen, @ainews`` are the same command)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>[,:]?", " ", text)
    text = _MARKUP.sub(_replace, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())
