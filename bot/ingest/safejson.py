"""``json.loads`` with a bound on nesting, checked before the parser recurses.

Python's parser recurses once per ``[`` or ``{``: a line of 100,000 brackets raises
``RecursionError`` (not a ``ValueError``), which used to abort a whole ingest. No
article or feed needs more than a few levels, so deeper input is refused by name.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.ingest.types import IngestError

#: Deepest nesting accepted in a JSONL line or a JSON Feed.
MAX_JSON_DEPTH = 64
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JSONTooDeep(IngestError):
    """JSON nested deeper than the bound."""


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (brackets inside strings do not
    count). Linear in the text; no recursion."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group(0) in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def loads(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH, strict: bool = True) -> Any:
    """Parse ``data`` like ``json.loads``; :class:`JSONTooDeep` when nested deeper than
    ``max_depth``. Other invalid JSON raises ``json.JSONDecodeError`` as usual."""
    if isinstance(data, bytes | bytearray):
        data = bytes(data).decode(json.detect_encoding(data), "surrogatepass")
    # Fewer opening brackets than the bound cannot nest past it: skip the scan.
    if data.count("[") + data.count("{") > max_depth and json_depth(data) > max_depth:
        raise JSONTooDeep(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(data, strict=strict)
    except RecursionError as exc:  # a lower interpreter recursion limit than the bound
        raise JSONTooDeep(f"JSON nested deeper than {max_depth} levels") from exc
