"""Captions drafted from a scene: its dialogue (speech quoted in the prompt, which Veo 3
speaks aloud) or, when it has none, its notes; spread over the scene in reading order,
each on screen for a share of the time that follows its length in words."""

from __future__ import annotations

import re
from typing import Any

from storage.validation import MAX_CAPTION_CHARS, MAX_CAPTIONS

_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”')
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
GAP_S = 0.1  # between two captions, so a reader sees the change


def caption_lines(prompt: str, notes: str) -> tuple[str, list[str]]:
    """Where the lines come from ("dialogue" or "notes") and the lines."""
    spoken = [line for a, b in _QUOTED.findall(prompt) if (line := (a or b).strip())]
    source, lines = ("dialogue", spoken) if spoken else ("notes", [
        sentence.strip()
        for paragraph in notes.splitlines()
        for sentence in _SENTENCE_END.split(paragraph)
        if sentence.strip()
    ])  # fmt: skip
    return source, [line[:MAX_CAPTION_CHARS] for line in lines[:MAX_CAPTIONS]]


def draft_captions(lines: list[str], seconds: float) -> list[dict[str, Any]]:
    """``[{text, start, end}]`` inside a scene of ``seconds``; empty for no lines."""
    if not lines:
        return []
    margin = min(0.25, seconds / 20)
    words = [max(1, len(line.split())) for line in lines]
    per_word = (seconds - 2 * margin) / sum(words)
    captions, at = [], margin
    for line, count in zip(lines, words, strict=True):
        length = per_word * count
        end = at + length - (GAP_S if length > 3 * GAP_S else 0.0)
        captions.append({"text": line, "start": round(at, 2), "end": round(end, 2)})
        at += length
    return captions
