"""The planner without Gemini: deterministic, so the studio plans scenes offline too.

A script is split into scenes by paragraph, and a long paragraph further by sentences;
each scene's duration is fitted to the model from how long its text takes to say. A line
of dialogue stays in the scene of the action it belongs to, and no text is lost: a piece
too long for one prompt goes on in the next scene, and what the scene cap leaves out is
named in a notice.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from dataclasses import dataclass

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

# Where a sentence ends: after a stop, or after a stop and a closing quote when the next
# sentence opens ('"Hold on!" she shouts.' is one sentence, its words with their speaker).
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"”])\s+(?=[A-Z\"“])")
OPENING_QUOTE = ('"', "“", "«")
# "MARA: Hold on!" or "Old Sailor (shouting): Hold on!": a speaker, then the line.
SPEAKER = re.compile(r"^([A-Z][\w'.-]*(?: [A-Z][\w'.-]*){0,2})\s*(\([^)]*\))?:\s+(\S.*)$")


@dataclass(frozen=True)
class Unit:
    """A sentence of action, or a line of dialogue (which never opens a scene of its own)."""

    text: str
    dialogue: bool


@dataclass(frozen=True)
class Piece:
    """One scene's text, the action its title comes from, and whether it goes on from the
    scene before it in the same paragraph."""

    text: str
    lead: str
    continues: bool


def _open_quote(text: str) -> bool:
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”")


def _sentences(text: str) -> list[str]:
    """The sentences of ``text``; a quotation of several sentences stays one."""
    sentences: list[str] = []
    for part in SENTENCE_END.split(text):
        if sentences and _open_quote(sentences[-1]):
            sentences[-1] += " " + part
        elif part.strip():
            sentences.append(part.strip())
    return sentences


def _spoken(line: str, names: frozenset[str]) -> str | None:
    """The line as dialogue Veo speaks (its words quoted), or None if it is not dialogue."""
    if line.startswith(OPENING_QUOTE):
        return line
    match = SPEAKER.match(line)
    if match is None:
        return None
    name, manner, words = match.groups()
    if not (name.isupper() or name in names or manner):
        return None  # "Morning: the harbour is calm" is action
    speaker = name.title() if name.isupper() else name
    quoted = words if words.startswith(OPENING_QUOTE) else f'"{words}"'
    return f"{speaker} says{f' {manner}' if manner else ''}: {quoted}"


def _units(paragraph: str, names: frozenset[str]) -> list[Unit]:
    """The paragraph's dialogue lines whole, and the sentences of the action around them."""
    units: list[Unit] = []
    action: list[str] = []

    def end_action() -> None:
        for sentence in _sentences(" ".join(action)):
            units.append(Unit(sentence, sentence.startswith(OPENING_QUOTE)))
        action.clear()

    for line in paragraph.splitlines():
        line = " ".join(line.split())
        spoken = _spoken(line, names)
        if spoken is None:
            action.append(line)
            continue
        end_action()
        units.append(Unit(spoken, True))
    end_action()
    return units


def _with_their_action(paragraphs: list[list[Unit]]) -> list[list[Unit]]:
    """A paragraph of dialogue only joins the paragraph before it (or the next, at the start)."""
    groups: list[list[Unit]] = []
    opening: list[Unit] = []  # dialogue before the first action
    for units in paragraphs:
        if not all(unit.dialogue for unit in units):
            groups.append(opening + units)
            opening = []
        elif groups:
            groups[-1] += units
        else:
            opening += units
    return [*groups, opening] if opening else groups


def _scenes_of(units: list[Unit], longest: float) -> list[list[Unit]]:
    """Units in scenes of at most ``longest`` words of action; dialogue stays with its action."""
    scenes: list[list[Unit]] = []
    for unit in units:
        if scenes and not unit.dialogue and any(not u.dialogue for u in scenes[-1]):
            words = sum(len(u.text.split()) for u in [*scenes[-1], unit])
            if words > longest:
                scenes.append([])
        if not scenes:
            scenes.append([])
        scenes[-1].append(unit)
    return scenes


def _within(text: str, limit: int) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, broken between sentences where it
    can and between words where it must: every word is kept."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    for sentence in _sentences(text):
        for piece in textwrap.wrap(sentence, limit, break_on_hyphens=False):
            if parts and len(parts[-1]) + 1 + len(piece) <= limit:
                parts[-1] += " " + piece
            else:
                parts.append(piece)
    return parts


def _pieces(script: str, spec: catalog.ModelSpec) -> list[Piece]:
    longest = max(spec.durations) * WORDS_PER_SECOND
    names = frozenset(_characters(script))
    paragraphs = [_units(p, names) for p in re.split(r"\n\s*\n", script) if p.strip()]
    pieces = []
    for group in _with_their_action(paragraphs):
        for number, scene in enumerate(_scenes_of(group, longest)):
            start = next((i for i, unit in enumerate(scene) if not unit.dialogue), 0)
            lead = " ".join(unit.text for unit in scene[start:])  # titled from its action
            parts = _within(" ".join(u.text for u in scene), spec.max_prompt_chars)
            for part_number, part in enumerate(parts):
                first = part_number == 0
                pieces.append(Piece(part, lead if first else part, number > 0 or not first))
    return pieces


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
    """The sentence's opening phrase, up to six words, ending on a word that closes it: a
    short opening sentence ("Morning.") is a title on its own."""
    clause = re.split(r"[,;:—]|(?<!\b(?:Dr|Mr|Ms|St))(?<!\bMrs)[.!?](?=\s)", text, maxsplit=1)[0]
    words = re.sub(r"[^\w\s'-]", "", clause).split()[:6]
    while words and words[-1].lower() in DANGLING:
        words.pop()
    title = " ".join(words)
    return (title[:1].upper() + title[1:])[: catalog.MAX_TITLE_CHARS] or "Untitled"


def _characters(script: str) -> list[str]:
    """Capitalised words that recur and are not common sentence openers: likely names."""
    counts = Counter(re.findall(r"\b[A-Z][a-z]{2,}\b", script))
    return [word for word, count in counts.items() if count > 1 and word not in OPENERS]


def _left_out(pieces: list[Piece], kept: int) -> str:
    """What the scene cap leaves out of the plan, said so the user can plan it separately."""
    rest = pieces[kept:]
    characters = len(" ".join(piece.text for piece in rest))
    opening = " ".join(rest[0].text.split()[:8])
    return (
        f"The plan stops at {kept} scenes: {len(rest)} more scene(s), the last "
        f"{characters:,} characters of the script (from “{opening}…”), are not in it. "
        "Plan them separately."
    )


def plan_locally(
    script: str, spec: catalog.ModelSpec, max_scenes: int = 24
) -> tuple[list[dict[str, object]], list[str]]:
    """Scene rows (the fields ``add_scenes`` takes) for ``script``, fitted to ``spec``, and
    notices of what the plan leaves out."""
    pieces = _pieces(script, spec)
    names = _characters(" ".join(piece.text for piece in pieces))
    rows = []
    for index, piece in enumerate(pieces[:max_scenes]):
        present = [n for n in names if re.search(rf"\b{re.escape(n)}\b", piece.text)]
        rows.append(
            {
                "title": _title(piece.lead),
                "prompt": piece.text,
                "duration": _fit(piece.text, spec.durations),
                "camera": CAMERAS[index % len(CAMERAS)],
                "continuity": "previous" if piece.continues and spec.first_frame else "none",
                "notes": f"Characters: {', '.join(present)}." if present else "",
                "model": spec.name,
            }
        )
    notices = [_left_out(pieces, max_scenes)] if len(pieces) > max_scenes else []
    return rows, notices


# What a good Veo prompt says, by aspect: the words that show a prompt says it already,
# and what to add when it does not (the first choice that shares no word with the prompt).
# Style and camera move are not among them: the engine says those in words (compose_prompt).
LIGHT_SAID = re.compile(
    r"\b(light\w*|(sun|moon|candle|lamp|fire|star|back|neon-)?lit|lamps?|sun|sunset|sunrise|"
    r"sunlight|glow\w*|shadows?|dawn|dusk|night\w*|neon|candles?|moon\w*|daylight)\b",
    re.IGNORECASE,
)
FRAMING_SAID = re.compile(
    r"\b(camera|shots?|close-ups?|wide|dolly|pan(s|ned|ning)?|tracking|zoom\w*|tilt\w*|orbit\w*|"
    r"handheld|fram\w+|lens|angle)\b",
    re.IGNORECASE,
)
DETAIL_SAID = re.compile(r"\bdetail\w*", re.IGNORECASE)
LIGHTS = ("soft natural light", "gentle daylight")
NOIR_LIGHTS = ("low-key light, deep shadows", "hard low-key light")  # soft light is not noir
FRAMINGS = ("steady locked-off framing", "a still, steady shot")
DETAILS = ("richly detailed", "finely detailed")


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[\w'-]+", text.lower()) if w not in DANGLING}


def _fresh(choices: tuple[str, ...], said: str) -> str | None:
    return next((c for c in choices if not _words(c) & _words(said)), None)


def improve_locally(prompt: str, style: str, camera: str) -> str:
    """The prompt, kept as written, and a sentence adding what a good Veo prompt says and
    this one leaves out; a prompt that leaves nothing out comes back as it was."""
    text = prompt.strip()
    wanted = []
    if not LIGHT_SAID.search(text):
        wanted.append(NOIR_LIGHTS if style == "noir" else LIGHTS)
    if camera == "static" and not FRAMING_SAID.search(text):
        wanted.append(FRAMINGS)  # a moving camera is said by the engine
    if not DETAIL_SAID.search(text):
        wanted.append(DETAILS)
    additions: list[str] = []
    for choices in wanted:
        addition = _fresh(choices, " ".join([text, *additions]))
        if addition:
            additions.append(addition)
    if not additions:
        return text
    said = ", ".join(additions)
    if re.search(r"[,;:—–-]$", text):  # an open list goes on
        return f"{text} {said}."
    stop = "" if re.search(r"[.!?][\"”')]*$", text) else "."
    return f"{text}{stop} {said[:1].upper()}{said[1:]}."
