"""Refusals name each field in words for people, and by its path for files and callers."""

from __future__ import annotations

import pytest

from storage.catalog import Catalog
from storage.errors import FieldError, InvalidInput, field_words
from storage.validation import clean_scene

MODEL = "veo-3.1-generate-001"


def test_field_paths_read_as_words_counting_items_from_one() -> None:
    assert field_words("captions[2].start") == "caption line 2 start"
    assert field_words("captions[1]") == "caption line 1"
    assert field_words("negative_prompt") == "negative prompt"
    assert field_words("first_frame_id") == "first frame"
    assert field_words("title_card.duration") == "title card duration"
    assert field_words("scene 2 duration") == "scene 2 duration"
    # what comes before the path is a scene named by its user: kept as typed
    assert field_words("scene 3 'the_end [1]' references") == "scene 3 'the_end [1]' ingredients"
    assert field_words("scene 3 'Dawn's_fog'") == "scene 3 'Dawn's_fog'"


def test_a_refused_scene_keeps_its_paths_and_says_them_in_words() -> None:
    captions = [{"text": "Hello", "start": 0, "end": 2}, {"text": "", "start": "soon"}]
    raw = {"prompt": "a harbour", "captions": captions, "generate_audio": "maybe"}
    defaults = {"model": MODEL, "title": "Scene 1"}
    with pytest.raises(InvalidInput) as err:
        clean_scene(raw, defaults, Catalog())
    refused = err.value
    assert [e.field for e in refused.errors] == [
        "generate_audio",
        "captions[2].start",
        "captions[2].text",
    ]
    assert refused.in_words() == (
        "sound: 'maybe' is not true or false; "
        "caption line 2 start: 'soon' is not a number of seconds; "
        "caption line 2 text: is required"
    )
    assert str(FieldError("captions[2].text", "is required")) == "captions[2].text: is required"
