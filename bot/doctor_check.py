"""What one doctor check returns, and what the offline (``bot.doctor``) and online
(``bot.doctor_online``) checks share: reading a secret, showing a path, and which Slack
scopes an installed app lacks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bot.defaults import packaged_config_dir

Status = Literal["ok", "note", "warn", "fail"]


@dataclass
class Check:
    """One area's verdict: a one-line summary and the steps that would fix or complete it."""

    area: str
    status: Status
    summary: str
    hints: list[str] = field(default_factory=list)


def secret_of(value: object) -> str:
    """A setting's text, whether it is a ``SecretStr`` or not ("" when unset)."""
    getter = getattr(value, "get_secret_value", None)
    return str(getter() if getter else value or "").strip()


def rel_path(path: Path | str) -> str:
    """Short paths: relative to the working directory, else ``config/...`` for a packaged
    config file (the name the README uses); absolute only as a last resort."""
    absolute = Path(path).absolute()
    if absolute.is_relative_to(Path.cwd()):
        return absolute.relative_to(Path.cwd()).as_posix()
    packaged = packaged_config_dir().absolute()
    if absolute.is_relative_to(packaged):
        return "config/" + absolute.relative_to(packaged).as_posix() + " (packaged)"
    return str(absolute)


def lacking_slack_scopes(headers: Mapping[str, str]) -> list[str]:
    """The scopes the Slack adapter uses that an ``auth.test`` answer's ``X-OAuth-Scopes``
    header does not grant, in the adapter's order; none when Slack sent no such header."""
    from bot.app import slack_bot_scopes

    header = {k.lower(): v for k, v in headers.items()}.get("x-oauth-scopes")
    if header is None:
        return []
    granted = {scope.strip() for scope in header.split(",")}
    return [scope for scope in slack_bot_scopes() if scope not in granted]
