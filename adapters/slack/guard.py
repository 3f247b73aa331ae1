"""Who may talk to the Slack adapter over HTTP, and only once.

Every request Slack sends is signed: ``X-Slack-Signature`` is ``v0=`` + HMAC-SHA256, keyed
by the app's signing secret, of ``v0:{X-Slack-Request-Timestamp}:{raw body}``, and a
timestamp more than five minutes off is refused. :func:`check_signature` checks exactly
that on the raw bytes, before anything reads them: a body nobody signed is never decoded
or parsed, so no input from strangers can reach a parser (or the logs as a traceback).

A correctly signed request stays valid for those five minutes, so a captured one could be
sent again, to this process or to any other replica behind the load balancer. Each
accepted signature is therefore recorded in the shared database (``slack_replay``, see
``adapters.slack.store.SeenStore``) until its timestamp leaves the window: a second
sighting anywhere is a replay. :func:`replay_digest` and :func:`replay_expiry` say what is
recorded and for how long. The same table drops Slack's redeliveries of an event already
answered (same ``event_id``, new signature), whichever replica they reach.
"""

from __future__ import annotations

import hashlib
import hmac
import time

#: Slack's (and bolt's) tolerance for a request's timestamp.
SIGNATURE_TOLERANCE_SECONDS = 5 * 60
#: Extra life of a recorded signature, for clocks that differ between replicas.
CLOCK_SKEW_SECONDS = 30
REPLAY_WINDOW_SECONDS = SIGNATURE_TOLERANCE_SECONDS + CLOCK_SKEW_SECONDS
#: How long an answered event id is remembered: Slack retries an event after about 1 and
#: 5 minutes when it got no answer in time.
EVENT_WINDOW_SECONDS = 10 * 60
_MAX_TIMESTAMP_DIGITS = 12


def check_signature(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float | None = None,
) -> str | None:
    """``None`` when ``body`` carries ``secret``'s signature with a fresh timestamp; else
    why not, in a few words for the log (nothing taken from the request)."""
    if not timestamp or not signature:
        return "unsigned"
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
        return "malformed timestamp"
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
        return "stale timestamp"
    if not signature.isascii():
        return "bad signature"
    expected = expected_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return "bad signature"
    return None


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def digest(kind: str, value: str) -> str:
    """The key a sighting is recorded under: short, fixed-width, nothing readable."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def replay_digest(signature: str) -> str:
    return digest("signature", signature)


def replay_expiry(timestamp: str) -> float:
    """When a signature with ``timestamp`` can no longer be accepted, plus clock skew."""
    return int(timestamp) + REPLAY_WINDOW_SECONDS
