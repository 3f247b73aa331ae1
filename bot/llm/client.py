"""The model behind ``AINEWS_LLM_URL``: chat completions, streamed, with one deadline.

The official ``openai`` client speaks to Ollama, vLLM, llama.cpp's server and hosted APIs
alike. Retries are off (a retry would double the wait the timeout promises to bound) and
every failure becomes a :class:`ModelError` whose ``reason`` is what ``/metrics`` counts.
"""

from __future__ import annotations

import contextlib
import logging
import time
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
        after each chunk. Raises :class:`ModelError`."""
        deadline = time.monotonic() + self.timeout
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
                    delta = chunk.choices[0].delta.content if chunk.choices else None
                    if delta:
                        parts.append(delta)
                        if on_text is not None:
                            on_text("".join(parts))
                    if time.monotonic() > deadline:
                        raise ModelError("timeout", f"still streaming after {self.timeout} s")
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
