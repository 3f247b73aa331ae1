"""A local fake of an OpenAI-compatible model server (Ollama, vLLM, llama.cpp all speak it).

A threaded ``http.server`` on ``127.0.0.1:0`` with the real wire format, so the real
``openai`` client can be pointed at it::

    from fakes.llm import FakeModel, Say, Fail, Hang

    with FakeModel(lambda request: Say("Qwen passed 700 million downloads [1].")) as fake:
        client = OpenAI(base_url=fake.base_url, api_key="x")

Routes
    ``GET /v1/models``: ``{"object": "list", "data": [{"id": MODEL, ...}]}``.
    ``POST /v1/chat/completions``: with ``"stream": true`` Server-Sent Events, one
    ``chat.completion.chunk`` per piece of the text then ``data: [DONE]``; otherwise one
    ``chat.completion`` JSON. Errors are the API's ``{"error": {...}}`` with the status.

Behaviour
    ``responder(request) -> Say | Fail | Hang`` decides each completion from the parsed
    request (``request.question``, ``request.passages`` {n: text}, ``request.system``).
    ``script(*behaviours)`` queues behaviours that come first, one per request.
    ``latency`` delays every completion (a fixed model time, for benchmarks).
    Every completion request is kept in ``requests``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

MODEL = "qwen2.5:3b-instruct"


@dataclass(frozen=True, slots=True)
class Say:
    """Answer ``text``, streamed in ``pieces`` chunks ``gap`` seconds apart."""

    text: str
    pieces: int = 6
    gap: float = 0.0


@dataclass(frozen=True, slots=True)
class Fail:
    status: int = 500
    message: str = "model failed"


@dataclass(frozen=True, slots=True)
class Hang:
    """Send nothing for ``seconds`` (then close): a model far slower than any timeout."""

    seconds: float = 60.0


Behaviour = Say | Fail | Hang


@dataclass(slots=True)
class Request:
    """One chat completion request, parsed."""

    body: dict[str, Any]
    system: str = ""
    user: str = ""
    passages: dict[int, str] = field(default_factory=dict)

    @property
    def question(self) -> str:
        match = re.match(r"Question: (.*)", self.user)
        return match.group(1) if match else ""

    def cite(self, needle: str) -> int:
        """The number of the first passage containing ``needle`` (0 if none)."""
        return next((n for n, text in self.passages.items() if needle in text), 0)


def _parse(body: dict[str, Any]) -> Request:
    messages = body.get("messages") or []
    system = next((m["content"] for m in messages if m.get("role") == "system"), "")
    user = next((m["content"] for m in messages if m.get("role") == "user"), "")
    section = re.search(r"<<<PASSAGES\n(.*)\nPASSAGES>>>", user, re.S)
    passages: dict[int, str] = {}
    if section:
        for match in re.finditer(
            r"^\[(\d+)\] (.*?)(?=^\[\d+\] |\Z)", section.group(1), re.S | re.M
        ):
            passages[int(match.group(1))] = match.group(2)
    return Request(body, system, user, passages)


_FIGURE = re.compile(r"(\d+(?:[.,]\d+)?) (mil millones|millones|billion|million)")
_NAME = re.compile(r"\b[A-Z][a-z]{3,}")
_SCALE_EN = {"mil millones": "billion", "millones": "million"}
_SCALE_ES = {"billion": "mil millones", "million": "millones"}


def _in(system: str) -> str:
    return "es" if "in Spanish" in system or "into Spanish" in system else "en"


def grounded(request: Request) -> Behaviour:
    """A well-behaved model: answers with the first scaled figure of the passages, cited and
    in the language asked; summarises and translates headlines in plain words, no figures."""
    lang = _in(request.system)
    name = next(
        (
            w
            for text in request.passages.values()
            for w in re.findall(r"\b[A-Z][a-z]{3,}", text)[1:]
        ),
        "AI",
    )
    if "Translate the headline" in request.system:
        return Say(f"{name}: the news in English" if lang == "en" else f"{name}: la noticia")
    if "Summarise the story" in request.system:
        if lang == "en":
            return Say(f"The story is about {name} and what it means for the industry.")
        return Say(f"La noticia trata sobre {name} y lo que significa para el sector.")
    for n, text in request.passages.items():
        match = _FIGURE.search(text)
        if match:
            number, scale = match.groups()
            scale = (_SCALE_EN if lang == "en" else _SCALE_ES).get(scale, scale)
            if lang == "en":
                return Say(f"According to the report, the figure is {number} {scale} [{n}].")
            return Say(f"Según la noticia, la cifra es de {number} {scale} [{n}].")
    if lang == "en":
        return Say("According to the news, this is what the article reports [1].")
    return Say("Según las noticias, esto es lo que cuenta el artículo [1].")


class FakeModel:
    def __init__(
        self,
        responder: Callable[[Request], Behaviour] | None = None,
        *,
        model: str = MODEL,
        latency: float = 0.0,
    ) -> None:
        self.responder = responder or grounded
        self.model = model
        self.latency = latency
        self.requests: list[Request] = []
        self.model_listings = 0
        self._queue: list[Behaviour] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                fake._get(self)

            def do_POST(self) -> None:  # noqa: N802
                fake._post(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    @property
    def calls(self) -> int:
        return len(self.requests)

    # -- wire -----------------------------------------------------------------------------

    def _get(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path.rstrip("/") != "/v1/models":
            return self._json(handler, 404, {"error": {"message": "not found", "type": "x"}})
        self.model_listings += 1
        model = {"id": self.model, "object": "model", "created": 0, "owned_by": "fake"}
        self._json(handler, 200, {"object": "list", "data": [model]})

    def _post(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}")
        if handler.path.rstrip("/") != "/v1/chat/completions":
            return self._json(handler, 404, {"error": {"message": "not found", "type": "x"}})
        request = _parse(body)
        with self._lock:
            self.requests.append(request)
            behaviour = self._queue.pop(0) if self._queue else None
        behaviour = behaviour or self.responder(request)
        if self.latency:
            time.sleep(self.latency)
        if isinstance(behaviour, Hang):
            self._stopping.wait(behaviour.seconds)
            handler.close_connection = True
            return
        if isinstance(behaviour, Fail):
            error = {"message": behaviour.message, "type": "server_error", "code": None}
            return self._json(handler, behaviour.status, {"error": error})
        if body.get("stream"):
            return self._stream(handler, behaviour)
        message = {"role": "assistant", "content": behaviour.text}
        self._json(
            handler,
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.model,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            },
        )

    def _stream(self, handler: BaseHTTPRequestHandler, say: Say) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Connection", "close")
        handler.end_headers()
        size = max(1, -(-len(say.text) // max(1, say.pieces)))
        pieces = [say.text[i : i + size] for i in range(0, len(say.text), size)]
        for n, piece in enumerate([*pieces, None]):
            delta = {"content": piece} if piece is not None else {}
            if n == 0:
                delta["role"] = "assistant"
            chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": self.model,
                "choices": [
                    {"index": 0, "delta": delta, "finish_reason": None if piece else "stop"}
                ],
            }
            handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            handler.wfile.flush()
            if say.gap and piece is not None:
                time.sleep(say.gap)
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()
        handler.close_connection = True

    def _json(self, handler: BaseHTTPRequestHandler, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
