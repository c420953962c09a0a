"""The planner without Gemini: deterministic, so the studio plans scenes offline too.

A script is split into scenes by paragraph, and a long paragraph further by sentences;
each scene's duration is fitted to the model from how long its text takes to say.
"""

from __future__ import annotations

import re
from collections import Counter

from storage import catalog

WORDS_PER_SECOND = 2.5  # an unhurried narration pace
CAMERAS = ("static", "dolly-in", "pan-right", "zoom-in", "tilt-up", "orbit")
OPENERS = frozenset(
    [
        "The",
        "Then",
        "When",
        "She",
        "Her",
        "His",
        "They",
        "Their",
        "There",
        "This",
        "That",
        "And",
        "But",
        "Its",
        "Our",
        "Now",
        "Later",
        "Inside",
        "Outside",
        "Night",
        "Morning",
        "Meanwhile",
    ]
)
DETAIL = {
    "light": "soft natural light",
    "camera": "smooth camera movement",
    "look": "cinematic, richly detailed",
}


def _sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", paragraph) if s.strip()]


def _fit(text: str, durations: tuple[int, ...]) -> int:
    wanted = len(text.split()) / WORDS_PER_SECOND
    return min(durations, key=lambda d: (abs(d - wanted), -d))


# Words a title must not end on: "An old lighthouse keeper climbs the" is half a phrase.
# fmt: off
DANGLING = frozenset({
    "a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "from", "with", "into",
    "onto", "over", "under", "and", "or", "but", "as", "its", "his", "her", "their", "our",
    "my", "your", "is", "are", "was", "were",
})
# fmt: on


def _title(text: str) -> str:
    """The sentence's opening phrase, up to six words, ending on a word that closes it."""
    clause = re.split(r"[,;:—]", text, maxsplit=1)[0]
    words = re.sub(r"[^\w\s'-]", "", clause).split()[:6]
    while words and words[-1].lower() in DANGLING:
        words.pop()
    title = " ".join(words)
    return (title[:1].upper() + title[1:])[: catalog.MAX_TITLE_CHARS] or "Untitled"


def _characters(script: str) -> list[str]:
    """Capitalised words that recur and are not common sentence openers: likely names."""
    counts = Counter(re.findall(r"\b[A-Z][a-z]{2,}\b", script))
    return [word for word, count in counts.items() if count > 1 and word not in OPENERS]


def plan_locally(
    script: str, spec: catalog.ModelSpec, max_scenes: int = 24
) -> list[dict[str, object]]:
    """Scene rows (the fields ``add_scenes`` takes) for ``script``, fitted to ``spec``."""
    longest = max(spec.durations) * WORDS_PER_SECOND
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", script) if p.strip()]
    pieces: list[tuple[str, bool]] = []  # (text, continues the piece before it)
    for paragraph in paragraphs:
        sentences = _sentences(" ".join(paragraph.split()))
        chunk: list[str] = []
        first = True
        for sentence in sentences:
            if chunk and len(" ".join([*chunk, sentence]).split()) > longest:
                pieces.append((" ".join(chunk), not first))
                chunk, first = [], False
            chunk.append(sentence)
        if chunk:
            pieces.append((" ".join(chunk), not first))
    names = _characters(script)
    rows = []
    for index, (text, continues) in enumerate(pieces[:max_scenes]):
        present = [n for n in names if re.search(rf"\b{re.escape(n)}\b", text)]
        notes = f"Characters: {', '.join(present)}." if present else ""
        rows.append(
            {
                "title": _title(text),
                "prompt": text[: spec.max_prompt_chars],
                "duration": _fit(text, spec.durations),
                "camera": CAMERAS[index % len(CAMERAS)],
                "continuity": "previous" if continues and spec.first_frame else "none",
                "notes": notes,
                "model": spec.name,
            }
        )
    return rows


def improve_locally(prompt: str, style: str, camera: str) -> str:
    """The prompt with what a good Veo prompt says and this one leaves out."""
    text = prompt.strip().rstrip(".")
    lower = text.lower()
    additions = []
    if not re.search(r"\b(light|lit|sun|glow|shadow|dawn|dusk|night)\w*", lower):
        additions.append(DETAIL["light"])
    if camera != "static" and camera.replace("-", " ") not in lower:
        additions.append(f"{camera.replace('-', ' ')} camera move")
    elif not re.search(r"\b(camera|shot|close-up|wide|dolly|pan|tracking)\b", lower):
        additions.append(DETAIL["camera"])
    if style not in ("none", "cinematic") and style.replace("-", " ") not in lower:
        additions.append(f"{style.replace('-', ' ')} style")
    elif "cinematic" not in lower:
        additions.append(DETAIL["look"])
    return f"{text}, {', '.join(additions)}." if additions else f"{text}."
