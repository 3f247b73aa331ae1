"""👍/👎 votes: signed button tokens, one vote per (platform, channel, user, target), reports.

A button carries a *token*, ``<target>.<tag>``: the target (``a:<hash>`` an answer,
``s:<story>`` a digest story, ``r:<article>`` a search result) and an HMAC of it bound to the
platform, workspace and channel the button was posted in. A click is counted only when the
tag matches the place the click came from, so a hand-made or edited button value, or a
button copied to another channel, counts nothing. Who voted is never in the token: it comes
from the platform's own (signed) click payload. The key lives in the database
(``index_meta``), so every replica checks every other replica's buttons.

Storage is deliberately small for later tuning (issue 24): ``record`` (insert or change),
``votes_for`` (net votes per target in a channel) and ``summary`` (counts by channel and kind).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Engine, case, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.i18n import t
from bot.models import FeedbackVote, IndexMeta
from bot.reply import Reply
from bot.text import fold

KINDS = {"a": "answer", "s": "story", "r": "result"}
SECRET_KEY = "feedback_secret"
TAG_CHARS = 16  # 64 bits of HMAC-SHA256, hex
_TARGET = re.compile(r"(?P<kind>[asr]):(?P<key>[0-9a-z]{1,24})")
_TOKEN = re.compile(rf"(?P<target>{_TARGET.pattern})\.(?P<tag>[0-9a-f]{{{TAG_CHARS}}})")


def answer_target(question: str) -> str:
    """An answer's target: the question's words, folded, hashed (same question, however
    punctuated or accented, same target)."""
    key = " ".join(re.findall(r"\w+", fold(question)))
    return "a:" + hashlib.sha256(key.encode()).hexdigest()[:12]


def story_target(story_id: int | None, article_id: int) -> str:
    """A digest story; a story-less article stands for itself (``s:a<article id>``)."""
    return f"s:{story_id}" if story_id else f"s:a{article_id}"


def result_target(article_id: int) -> str:
    return f"r:{article_id}"


@dataclass(frozen=True, slots=True)
class Vote:
    target: str
    kind: str
    value: int
    changed: bool  # False: the same vote again (nothing to change)
    first: bool  # True: this user's first vote on the target here


@dataclass(frozen=True, slots=True)
class Tally:
    platform: str
    workspace: str
    channel: str
    kind: str
    up: int
    down: int

    def as_json(self) -> dict[str, object]:
        return {
            "platform": self.platform,
            "workspace": self.workspace,
            "channel": self.channel,
            "kind": self.kind,
            "up": self.up,
            "down": self.down,
        }


class Feedback:
    """Signs vote buttons and stores votes. Thread-safe (a session per call)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._key: bytes | None = None

    # -- tokens -------------------------------------------------------------------------------

    def _secret(self) -> bytes:
        if self._key is None:
            with Session(self.engine) as session:
                row = session.get(IndexMeta, SECRET_KEY)
                if row is None:
                    session.add(IndexMeta(key=SECRET_KEY, value=secrets.token_hex(32)))
                    try:
                        session.commit()
                    except IntegrityError:  # another replica made it first: use theirs
                        session.rollback()
                    row = session.get(IndexMeta, SECRET_KEY)
                assert row is not None
                self._key = bytes.fromhex(row.value)
        return self._key

    def _tag(self, platform: str, workspace: str, channel: str, target: str) -> str:
        message = "\x1f".join((platform, workspace, channel, target)).encode()
        return hmac.new(self._secret(), message, hashlib.sha256).hexdigest()[:TAG_CHARS]

    def sign(self, platform: str, workspace: str, channel: str, target: str) -> str:
        """The token a button posted in ``channel`` carries for ``target``."""
        if not _TARGET.fullmatch(target):
            raise ValueError(f"not a feedback target: {target!r}")
        return f"{target}.{self._tag(platform, workspace, channel, target)}"

    def signer(self, platform: str, workspace: str, channel: str) -> Callable[[str], str]:
        """``sign`` bound to one channel, for renderers."""
        return lambda target: self.sign(platform, workspace, channel, target)

    def prepare(self) -> None:
        """Read (or create) the key now, so signing never waits on the database later."""
        self._secret()

    def verify(self, platform: str, workspace: str, channel: str, token: str) -> str | None:
        """The target of a genuine token clicked in ``channel``; None for anything else."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            return None
        expected = self._tag(platform, workspace, channel, match["target"])
        return match["target"] if hmac.compare_digest(expected, match["tag"]) else None

    # -- votes --------------------------------------------------------------------------------

    def record(
        self,
        platform: str,
        workspace: str,
        channel: str,
        user: str,
        target: str,
        value: int,
        *,
        at: datetime | None = None,
    ) -> Vote:
        """Store ``user``'s vote (+1/-1) on ``target`` at ``at`` (default now); a second vote
        replaces the first."""
        at = at or datetime.now(UTC)
        if value not in (1, -1) or not _TARGET.fullmatch(target) or not user:
            raise ValueError("a vote is +1 or -1 by a user on a feedback target")
        kind = KINDS[target[0]]
        where = (
            FeedbackVote.platform == platform,
            FeedbackVote.channel == channel,
            FeedbackVote.user == user,
            FeedbackVote.target == target,
        )
        for _ in range(2):  # a concurrent first vote by the same user wins the insert race
            with Session(self.engine) as session:
                row = session.execute(select(FeedbackVote).where(*where)).scalar_one_or_none()
                if row is None:
                    session.add(
                        FeedbackVote(
                            platform=platform,
                            workspace=workspace,
                            channel=channel,
                            user=user,
                            target=target,
                            kind=kind,
                            value=value,
                            created_at=at,
                            updated_at=at,
                        )
                    )
                    try:
                        session.commit()
                    except IntegrityError:
                        continue
                    return Vote(target, kind, value, changed=True, first=True)
                changed = row.value != value
                if changed:
                    row.value, row.updated_at = value, at
                    session.add(row)
                    session.commit()
                return Vote(target, kind, value, changed=changed, first=False)
        raise RuntimeError("could not record the vote")  # pragma: no cover

    def votes_for(self, platform: str, channel: str) -> dict[str, int]:
        """Net votes (up minus down) per target in one channel."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(FeedbackVote.target, func.sum(FeedbackVote.value))
                .where(FeedbackVote.platform == platform, FeedbackVote.channel == channel)
                .group_by(col(FeedbackVote.target))
            ).all()
        return {target: int(total) for target, total in rows}

    def summary(self, platform: str | None = None, workspace: str | None = None) -> list[Tally]:
        """Up and down votes by channel and target kind (optionally one platform/workspace)."""
        up = func.sum(case((col(FeedbackVote.value) > 0, 1), else_=0))
        down = func.sum(case((col(FeedbackVote.value) < 0, 1), else_=0))
        keys = (
            col(FeedbackVote.platform),
            col(FeedbackVote.workspace),
            col(FeedbackVote.channel),
            col(FeedbackVote.kind),
        )
        query = sa.select(*keys, up, down).group_by(*keys)
        if platform is not None:
            query = query.where(col(FeedbackVote.platform) == platform)
        if workspace is not None:
            query = query.where(col(FeedbackVote.workspace) == workspace)
        with Session(self.engine) as session:
            rows = session.execute(query.order_by(col(FeedbackVote.channel))).all()
        return [Tally(p, w, c, k, int(u or 0), int(d or 0)) for p, w, c, k, u, d in rows]


def cast(
    feedback: Feedback,
    places: Sequence[tuple[str, str, str]],
    user: str,
    token: str,
    value: int,
    lang: str,
) -> tuple[Vote | None, str]:
    """A click on 👍 (+1) or 👎 (-1) from the first of ``places`` (platform, workspace,
    channel; a Discord thread also names its parent, where its digest was signed): the vote
    it records (None when the button is not genuine there) and what to tell the clicker."""
    for platform, workspace, channel in places:
        target = feedback.verify(platform, workspace, channel, token)
        if target is not None:
            break
    if target is None or value not in (1, -1) or not user:
        return None, t("vote_invalid", lang)
    vote = feedback.record(platform, workspace, channel, user, target, value)
    label = "👍" if value > 0 else "👎"
    code = "vote_recorded" if vote.first else "vote_changed" if vote.changed else "vote_same"
    return vote, t(code, lang, vote=label)


def feedback_reply(feedback: Feedback, platform: str, workspace: str, lang: str) -> Reply:
    """The votes of one workspace, a field per channel (the command and Slack's App Home)."""
    rows = feedback.summary(platform, workspace)
    if not rows:
        return Reply(text=t("feedback_empty", lang), lang=lang, ephemeral=True)
    by_channel: dict[str, list[str]] = {}
    for row in rows:
        kind = t(f"feedback_kind_{row.kind}", lang)
        by_channel.setdefault(row.channel, []).append(f"{kind}: 👍 {row.up} · 👎 {row.down}")
    fields = [(f"#{channel}", "\n".join(lines)) for channel, lines in by_channel.items()]
    total = sum(r.up + r.down for r in rows)
    return Reply(
        text=t("feedback_header", lang, n=total), lang=lang, fields=fields[:25], ephemeral=True
    )
