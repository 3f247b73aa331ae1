"""The model behind ``AINEWS_LLM_URL``: chat completions, streamed, with one deadline.

The official ``openai`` client speaks to Ollama, vLLM, llama.cpp's server and hosted APIs
alike. Retries are off (a retry would double the wait the timeout promises to bound) and
every failure becomes a :class:`ModelError` whose ``reason`` is what ``/metrics`` counts.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from bot.settings import Settings

if TYPE_CHECKING:
    from openai import OpenAI
    from openai.types.chat import ChatCompletionMessageParam

log = logging.getLogger(__name__)

Message = dict[str, str]


class ModelError(Exception):
    """The model gave no usable text: ``reason`` is ``timeout``, ``http_<status>`` or
    ``unreachable``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass
class LLM:
    """One configured model. ``timeout`` bounds a whole call: no byte for that long, or the
    stream still running past it, ends the call."""

    client: OpenAI
    model: str
    timeout: float
    url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> LLM | None:
        """The configured model, or ``None`` when ``AINEWS_LLM_URL``/``MODEL`` are unset."""
        if not settings.llm_enabled:
            return None
        from openai import OpenAI  # imported only when a model is configured

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
        timeout = max(0.1, settings.llm_timeout_seconds)
        url = settings.llm_url.strip().rstrip("/")
        client = OpenAI(
            base_url=url,
            api_key=key or "not-needed",  # local servers ignore it; the client wants one
            timeout=timeout,
            max_retries=0,
        )
        return cls(client, settings.llm_model.strip(), timeout, url)

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        on_text: Callable[[str], None] | None = None,
    ) -> str:
        """The model's reply to ``messages``, streamed; ``on_text`` sees the text so far
        after each chunk. Raises :class:`ModelError`.

        The call runs in a thread of its own and is given up at the deadline: the client's
        timeouts bound each read, not the whole stream (a byte just before the timeout
        would start another wait). The abandoned thread stops at its next chunk or read
        timeout, and nothing it reads is used."""
        done: queue.Queue[tuple[str | None, BaseException | None]] = queue.Queue(maxsize=1)
        given_up = threading.Event()

        def call() -> None:
            try:
                done.put((self._stream(messages, max_tokens, on_text, given_up), None))
            except BaseException as exc:  # handed to the caller's thread
                done.put((None, exc))

        threading.Thread(target=call, name="ainews-llm", daemon=True).start()
        try:
            text, error = done.get(timeout=self.timeout)
        except queue.Empty:
            given_up.set()
            raise ModelError("timeout", f"no complete reply after {self.timeout:g} s") from None
        if error is not None:
            raise error
        return text or ""

    def _stream(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        on_text: Callable[[str], None] | None,
        given_up: threading.Event,
    ) -> str:
        parts: list[str] = []
        with _errors():
            stream = self.client.chat.completions.create(
                model=self.model,
                messages=cast("list[ChatCompletionMessageParam]", list(messages)),
                max_tokens=max_tokens,
                temperature=0.1,
                stream=True,
            )
            with stream:
                for chunk in stream:
                    if given_up.is_set():
                        break
                    delta = chunk.choices[0].delta.content if chunk.choices else None
                    if delta:
                        parts.append(delta)
                        if on_text is not None:
                            on_text("".join(parts))
        return "".join(parts)

    def models(self) -> list[str]:
        """The ids ``GET /models`` lists. Raises :class:`ModelError`."""
        with _errors():
            return [m.id for m in self.client.models.list()]
        raise AssertionError("unreachable")  # _errors raises or returns above


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """The client's exceptions as :class:`ModelError` with a countable ``reason``."""
    import openai

    try:
        yield
    except openai.APITimeoutError as exc:
        raise ModelError("timeout", str(exc)) from None
    except openai.APIStatusError as exc:
        raise ModelError(f"http_{exc.status_code}", _first_line(exc)) from None
    except openai.APIError as exc:  # connection refused, a broken stream, bad JSON
        raise ModelError("unreachable", _first_line(exc)) from None


def _first_line(exc: Any) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
