"""The planner: Gemini's structured output through the real SDK, and the local fallback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.catalog import Catalog
from storage.settings import Settings, load_settings
from studio.local_planner import improve_locally, plan_locally
from studio.planner import improve_prompt, plan_script, word_diff
from tests.fake_google import FakeGoogle

MODEL = "veo-3.1-generate-001"
SPEC = Catalog().model(MODEL)
SCRIPT = """\
Mara wakes before dawn in a lighthouse. She climbs the spiral stairs with a lamp.

At the top, Mara lights the great lens. The beam sweeps across a stormy sea and finds a \
small boat fighting the waves. A sailor waves back. The boat turns toward the light and \
slowly makes for the harbour while the storm breaks overhead.

Morning. The boat is moored in the calm harbour.
"""


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    server = FakeGoogle().start()
    yield server
    server.stop()


def gemini(fake: FakeGoogle, tmp_path: Path) -> Settings:
    return load_settings(
        {
            "VEOGEN_DATA_DIR": str(tmp_path),
            "VEOGEN_GEMINI_API_KEY": "test-key",
            "VEOGEN_GEMINI_BASE_URL": fake.url,
        }
    )


def offline(tmp_path: Path) -> Settings:
    return load_settings({"VEOGEN_DATA_DIR": str(tmp_path)})


def test_without_gemini_the_script_is_planned_locally_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    plan = plan_script(offline(tmp_path), SCRIPT, SPEC)
    assert plan.planner == "local" and "Gemini is not configured" in (plan.note or "")
    assert (plan.rows, list(plan.notices)) == plan_locally(SCRIPT, SPEC)  # deterministic
    # the long middle paragraph splits where a scene would outlast 8 s of narration
    assert [(r["duration"], r["continuity"]) for r in plan.rows] == [
        (6, "none"),
        (4, "none"),
        (8, "previous"),
        (6, "previous"),
        (4, "none"),
    ]
    assert plan.rows[0]["title"] == "Mara wakes before dawn"
    assert plan.rows[0]["notes"] == "Characters: Mara."


def test_gemini_plans_with_a_response_schema_and_the_plan_is_fitted(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    fake.gemini_replies = [
        json.dumps(
            {
                "scenes": [
                    {
                        "title": "Before dawn",
                        "visual_prompt": "A keeper climbs a spiral stair, lamp in hand",
                        "duration_seconds": 7,
                        "camera": "crane-up",
                        "continues_previous": False,
                        "continuity_notes": "blue hour",
                        "characters": ["Mara"],
                    },
                    {
                        "title": "The beam",
                        "visual_prompt": "The lighthouse beam sweeps a stormy sea",
                        "duration_seconds": 3,
                        "camera": "pan-right",
                        "continues_previous": True,
                    },
                ]
            }
        )
    ]
    plan = plan_script(gemini(fake, tmp_path), SCRIPT, SPEC)
    assert plan.planner == "gemini" and plan.note is None
    assert [(r["duration"], r["camera"], r["continuity"]) for r in plan.rows] == [
        (8, "static", "none"),
        (4, "pan-right", "previous"),
    ]
    assert plan.rows[0]["notes"] == "blue hour\nCharacters: Mara."
    [sent] = fake.gemini_requests
    assert sent["model"] == "gemini-2.5-flash"
    assert sent["contents"][0]["parts"][0]["text"] == SCRIPT
    config = sent["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    schema = config.get("responseSchema") or config.get("responseJsonSchema")
    assert "scenes" in json.dumps(schema)
    assert "film director" in sent["systemInstruction"]["parts"][0]["text"]


def test_what_is_cut_from_gemini_s_plan_to_fit_a_scene_is_said(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    long = "A keeper climbs the stairs. " * 170  # 4,760 characters
    scene = {"title": "Up", "duration_seconds": 8, "camera": "static", "continues_previous": False}
    fake.gemini_replies = [json.dumps({"scenes": [{**scene, "visual_prompt": long}]})]
    plan = plan_script(gemini(fake, tmp_path), SCRIPT, SPEC)
    [row] = plan.rows
    assert row["prompt"] == long.strip()[:4000]
    assert plan.notices == (
        "Scene 1: its prompt was cut to 4,000 characters; the last 759 are not in the plan.",
    )


def test_the_local_plan_carries_its_notices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    script = " ".join(
        f"Wave {n} rolls across the grey harbour toward the sea wall." for n in range(99)
    )
    plan = plan_script(offline(tmp_path), script, SPEC)
    assert len(plan.rows) == 24 and plan.notices[0].startswith("The plan stops at 24 scenes")


def test_a_gemini_failure_falls_back_to_the_local_planner_with_the_reason(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    plan = plan_script(gemini(fake, tmp_path), SCRIPT, SPEC)  # nothing scripted: a 500
    assert plan.planner == "local"
    assert plan.note.startswith("Gemini could not plan it (500 INTERNAL")
    assert plan.rows == plan_locally(SCRIPT, SPEC)[0]


def test_improving_a_prompt_is_a_diff_to_accept_or_reject(
    fake: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.gemini_replies = ["A lone keeper climbs a spiral stair at blue hour, slow dolly in."]
    suggestion = improve_prompt(
        gemini(fake, tmp_path), "A keeper climbs a stair", "noir", "dolly-in"
    )
    assert suggestion.planner == "gemini"
    assert word_diff(suggestion.original, suggestion.improved) == [
        ("same", "A"),
        ("added", " lone"),
        ("same", " keeper climbs a"),
        ("added", " spiral"),
        ("same", " stair"),
        ("added", " at blue hour, slow dolly in."),
    ]
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    local = improve_prompt(offline(tmp_path), "A keeper climbs a stair", "noir", "dolly-in")
    assert local.planner == "local" and "not configured" in (local.note or "")
    assert local.improved == improve_locally("A keeper climbs a stair", "noir", "dolly-in")
    # the engine says the style and the camera move; the suggestion adds what is not said
    assert (
        local.improved == "A keeper climbs a stair. Low-key light, deep shadows, richly detailed."
    )


def test_an_unreachable_gemini_falls_back_with_the_reason(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "VEOGEN_DATA_DIR": str(tmp_path),
            "VEOGEN_GEMINI_API_KEY": "test-key",
            "VEOGEN_GEMINI_BASE_URL": "http://127.0.0.1:9",  # nothing listens there
        }
    )
    plan = plan_script(settings, SCRIPT, SPEC)
    assert plan.planner == "local" and plan.note.startswith("Gemini could not plan it (")
    assert improve_prompt(settings, "a cat", "none", "static").planner == "local"


def test_local_titles_are_whole_phrases_never_ending_on_a_dangling_word() -> None:
    script = (
        "An old lighthouse keeper climbs the stairs to the lamp room.\n\n"
        "At dawn, the sea is calm and silver."
    )
    titles = [row["title"] for row in plan_locally(script, SPEC)[0]]
    assert titles == ["An old lighthouse keeper climbs", "At dawn"]
