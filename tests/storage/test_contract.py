"""Job snapshots read back from the JSON kept in job rows, including rows written before
the contract was typed."""

from __future__ import annotations

from storage.contract import (
    CaptionLine,
    CardSpec,
    CutSnapshot,
    ImageRef,
    MusicBed,
    PreviousScene,
    SceneSnapshot,
    TakeRef,
)

# A generation job's params as the studio wrote them before this contract existed.
OLD_SCENE = {
    "title": "Dawn", "prompt": "Sunrise over a calm sea", "negative_prompt": "", "duration": 8,
    "aspect_ratio": "16:9", "resolution": "720p", "style": "noir", "camera": "static",
    "seed": 7, "notes": "", "continuity": "previous", "model": "veo-3.1-generate-001",
    "takes": 2, "person_generation": "allow_adult", "generate_audio": True,
    "enhance_prompt": True, "transition": {"kind": "crossfade", "duration": 1.0},
    "captions": [], "position": 1,
    "first_frame": {"media_key": "projects/1/assets/a.png", "mime_type": "image/png"},
    "extend_take": {"take_id": 3, "media_key": "projects/1/scenes/1/job1-take0.mp4"},
    "references": [{"name": "Mara", "media_key": "projects/1/assets/m.png",
                    "mime_type": "image/png", "reference_type": "asset"}],
    "previous": {"scene_id": 1, "title": "Storm", "prompt": "A storm", "seed": None},
}  # fmt: skip
OLD_CUT = {
    "preset": "1080p", "aspect_ratio": "16:9", "fit": "pad", "burn_captions": False,
    "keep_clip_audio": True, "use_music": True, "name": "Lighthouse",
    "clips": [{"scene_id": 1, "title": "Storm", "media_key": "t.mp4", "take_id": 4,
               "duration": 8.0, "transition": "cut", "transition_seconds": 0.0,
               "captions": [{"text": "Hold on!", "start": 1.0, "end": 3.5}]}],
    "title_card": {"text": "Lighthouse", "duration": 3.0, "background": "#000000"},
    "end_card": None,
    "music": {"media_key": "b.wav", "name": "Bed", "fade_in": 2.0, "fade_out": 3.0},
}  # fmt: skip


def test_a_scene_snapshot_written_by_the_old_studio_still_loads() -> None:
    scene = SceneSnapshot.from_params(OLD_SCENE)
    assert (scene.title, scene.duration, scene.seed, scene.generate_audio) == ("Dawn", 8, 7, True)
    assert scene.first_frame == ImageRef("projects/1/assets/a.png", "image/png")
    assert scene.references == (ImageRef("projects/1/assets/m.png", "image/png", "Mara", "asset"),)
    assert scene.extend_take == TakeRef(3, "projects/1/scenes/1/job1-take0.mp4")
    assert scene.previous == PreviousScene(1, "Storm", "A storm", None)
    assert SceneSnapshot.from_params(scene.to_params()) == scene  # and round-trips


def test_a_cut_snapshot_written_by_the_old_studio_still_loads() -> None:
    cut = CutSnapshot.from_params(OLD_CUT)
    assert cut.settings()["preset"] == "1080p" and cut.name == "Lighthouse"
    assert cut.clips[0].captions == (CaptionLine("Hold on!", 1.0, 3.5),)
    assert cut.title_card == CardSpec("Lighthouse", 3.0, "#000000") and cut.end_card is None
    assert cut.music == MusicBed("b.wav", "Bed", 2.0, 3.0)
    assert CutSnapshot.from_params(cut.to_params()) == cut
