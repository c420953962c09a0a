"""The local planner: dialogue stays with its action, no text is lost, and "Improve this
prompt" adds only what a prompt does not say, once."""

from __future__ import annotations

import itertools
import re

import pytest

from storage import catalog
from storage.catalog import Catalog
from studio.local_planner import DANGLING, improve_locally, plan_locally
from studio.planner import word_diff

SPEC = Catalog().model("veo-3.1-generate-001")
DIALOGUE = """\
Mara climbs the spiral stairs with a lamp.
"Is anyone out there?"

MARA: Hold on! I'm coming.

At the top, Mara lights the great lens. The beam finds a small boat in the waves.

"Over here! Over here!"

Old Sailor (shouting): Throw the rope!
"""


def prompts(script: str) -> list[str]:
    return [str(row["prompt"]) for row in plan_locally(script, SPEC)[0]]


def test_each_form_of_dialogue_stays_in_the_scene_of_its_action() -> None:
    assert prompts(DIALOGUE) == [
        'Mara climbs the spiral stairs with a lamp. "Is anyone out there?" '
        'Mara says: "Hold on! I\'m coming."',
        "At the top, Mara lights the great lens. The beam finds a small boat in the waves. "
        '"Over here! Over here!" Old Sailor says (shouting): "Throw the rope!"',
    ]


def test_dialogue_that_opens_the_script_joins_the_action_after_it() -> None:
    script = '"Wake up, Mara."\n\nDr. Mara Lee wakes before dawn in a lighthouse.'
    [row], notices = plan_locally(script, SPEC)
    assert row["prompt"] == '"Wake up, Mara." Dr. Mara Lee wakes before dawn in a lighthouse.'
    assert row["title"] == "Dr Mara Lee wakes before dawn"  # from the action, not the line
    assert notices == []


def test_a_short_opening_sentence_is_a_title_on_its_own() -> None:
    script = "Morning. The boat is moored in the calm harbour.\n\nMrs. Hale waits. The sea rises."
    titles = [row["title"] for row in plan_locally(script, SPEC)[0]]
    assert titles == ["Morning", "Mrs Hale waits"]  # not "Morning The boat is moored"


def test_a_line_of_dialogue_never_becomes_a_scene_when_a_paragraph_splits() -> None:
    action = " ".join(f"The keeper climbs flight number {n} of the stairs." for n in range(6))
    script = f'{action}\n"Almost there," she says. "Almost."\n\nMorning. The sea is calm.'
    rows, _ = plan_locally(script, SPEC)
    assert len(rows) > 2  # the long paragraph split
    assert all(not str(row["prompt"]).startswith('"') for row in rows)
    assert str(rows[-2]["prompt"]).endswith('"Almost there," she says. "Almost."')


def test_a_word_before_a_colon_is_a_speaker_only_when_it_is_a_name() -> None:
    script = "Mara sleeps.\n\nMorning: the harbour is calm. Mara wakes."
    assert prompts(script) == ["Mara sleeps.", "Morning: the harbour is calm. Mara wakes."]


def test_a_long_sentence_goes_on_in_the_next_scene_with_every_word_kept() -> None:
    words = [f"wave{n}" for n in range(1_700)]  # one 10,000-character sentence, no stop
    paragraph = "The boat rides " + " ".join(words) + " into the harbour."
    assert len(paragraph) > 10_000
    rows, notices = plan_locally(paragraph, SPEC)
    assert " ".join(str(row["prompt"]) for row in rows).split() == paragraph.split()
    assert all(len(str(row["prompt"])) <= SPEC.max_prompt_chars for row in rows)
    assert [row["continuity"] for row in rows] == ["none"] + ["previous"] * (len(rows) - 1)
    assert notices == []


def test_what_the_scene_cap_leaves_out_is_named_in_a_notice() -> None:
    sentences = [
        f"Wave {n} rolls slowly across the grey harbour toward the sea wall." for n in range(160)
    ]
    paragraph = " ".join(sentences)
    assert len(paragraph) > 10_000
    rows, [notice] = plan_locally(paragraph, SPEC)
    assert len(rows) == 24
    planned = " ".join(str(row["prompt"]) for row in rows)
    left_out = paragraph[len(planned) + 1 :]
    assert f"{planned} {left_out}" == paragraph  # the plan and the notice cover every word
    assert notice.startswith("The plan stops at 24 scenes: ")
    assert f"the last {len(left_out):,} characters" in notice
    assert f"(from “{' '.join(left_out.split()[:8])}…”)" in notice


def test_the_planned_prompts_fit_the_model() -> None:
    small = catalog.ModelSpec(**{**SPEC.__dict__, "max_prompt_chars": 40})
    rows, _ = plan_locally(
        "The keeper climbs the stairs. " * 3 + '"Hold the lamp higher, please."', small
    )
    assert all(len(str(row["prompt"])) <= 40 for row in rows)


PROMPTS = (
    "An old keeper stands below the tower.",
    "A keeper climbs a stair",
    "A soft rain falls on the little harbour at night, wide shot",
    "Close-up of a richly detailed brass lens, sunlit",
    'Mara says: "Hold on!"',
    "A gull splits the sky,",
)


@pytest.mark.parametrize(
    ("prompt", "style", "camera"),
    list(itertools.product(PROMPTS, catalog.STYLES, ("static", "dolly-in", "pan-right"))),
)
def test_improving_adds_only_new_words_and_improving_again_changes_nothing(
    prompt: str, style: str, camera: str
) -> None:
    improved = improve_locally(prompt, style, camera)
    assert improve_locally(improved, style, camera) == improved
    added = " ".join(text for kind, text in word_diff(prompt, improved) if kind == "added")
    assert [kind for kind, _ in word_diff(prompt, improved)] in (["same"], ["same", "added"])
    said = {w for w in re.findall(r"[\w'-]+", prompt.lower()) if w not in DANGLING}
    assert not said & {w for w in re.findall(r"[\w'-]+", added.lower())}
    words = re.findall(r"[\w'-]+", improved.lower())
    pairs = list(itertools.pairwise(words))
    assert len(pairs) == len(set(pairs))  # no word sequence said twice


def test_improving_keeps_the_prompt_and_adds_a_sentence() -> None:
    prompt = "An old keeper stands below the tower."
    improved = improve_locally(prompt, "cinematic", "static")
    assert improved == (
        "An old keeper stands below the tower. "
        "Soft natural light, steady locked-off framing, richly detailed."
    )
    assert word_diff(prompt, improved) == [
        ("same", "An old keeper stands below the tower."),
        ("added", " Soft natural light, steady locked-off framing, richly detailed."),
    ]
    # the engine says a moving camera and the style in words: not said again here
    assert improve_locally(prompt, "noir", "dolly-in") == (
        "An old keeper stands below the tower. Low-key light, deep shadows, richly detailed."
    )
