"""Reading a YAML document someone else wrote, without surprises.

A storyboard needs only mappings, lists and text, so that is all this reads. Aliases
(which can multiply a small file into gigabytes), nesting deeper than ``MAX_DEPTH``, keys
given twice (YAML silently keeps the last) and files larger than ``MAX_BYTES`` are refused
with their line. Every value stays text, as a form's input does ("16:9" is not the number
969, "2026-12-07" is not a date); the data layer converts and checks each field. A plain
``~``, ``null`` or empty value is None.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_BYTES = 1_000_000
MAX_DEPTH = 20
NULLS = ("", "~", "null", "Null", "NULL")
BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


class YamlRefused(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def decode(data: bytes) -> str:
    """UTF-8 (or UTF-16 / UTF-8 with a byte-order mark), else a refusal naming the byte."""
    if len(data) > MAX_BYTES:
        raise YamlRefused(1, f"is {len(data):,} bytes; a storyboard is at most {MAX_BYTES:,}")
    encoding = next((name for bom, name in BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlRefused(
            line, f"is not {encoding.upper()} text (byte {exc.start + 1}); save it as UTF-8"
        ) from None


def load(text: str) -> tuple[Any, yaml.Node | None]:
    """The document as dicts, lists, text and None, and its node tree (for line numbers)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.BaseLoader):
            line = event.start_mark.line + 1 if event.start_mark is not None else 1
            if isinstance(event, yaml.AliasEvent):
                raise YamlRefused(line, "uses an alias (*name); write each value out")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlRefused(line, f"nests deeper than {MAX_DEPTH} levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        node = yaml.compose(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark is not None else 1
        raise YamlRefused(line, f"not valid YAML ({problem})") from None
    return (_value(node) if node is not None else None), node


def _value(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return None if node.style is None and node.value in NULLS else node.value
    if isinstance(node, yaml.SequenceNode):
        return [_value(item) for item in node.value]
    mapping: dict[str, Any] = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            raise YamlRefused(key.start_mark.line + 1, "a key must be plain text")
        if key.value in mapping:
            raise YamlRefused(
                key.start_mark.line + 1, f"{key.value}: is given twice; keep one of them"
            )
        mapping[key.value] = _value(value)
    return mapping
