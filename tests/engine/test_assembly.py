"""The movie assembler on real clips: mixed rates, shapes and sound, every transition."""

from __future__ import annotations

import json
import re
import subprocess
import wave
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest

from engine.animatic import AnimaticSpec
from engine.animatic import render as render_animatic
from engine.assembly.exports import exports
from engine.assembly.render import ffmpeg, render
from engine.assembly.timeline import Caption, Card, Clip, Music, Preset, Timeline
from storage.errors import JobFailed
from tests.clips import mp4_bytes


def clip(tmp: Path, name: str, seconds: float, size: tuple[int, int], fps: int, audio: bool,
         **fields: object) -> Clip:  # fmt: skip
    path = tmp / f"{name}.mp4"
    path.write_bytes(mp4_bytes(seconds, *size, audio=audio, fps=fps, level=0.3))
    return Clip(path, seconds, name, has_audio=audio, **fields)  # type: ignore[arg-type]


def wav(path: Path, seconds: float, hz: float = 220.0) -> Path:
    t = np.arange(int(seconds * 48000)) / 48000
    samples = (0.2 * np.sin(2 * np.pi * hz * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(samples.tobytes())
    return path


def loudness(path: Path) -> float:
    done = subprocess.run(
        [ffmpeg(), "-hide_banner", "-i", str(path), "-af", "loudnorm=print_format=json", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(json.loads(re.findall(r"\{[^{}]*\"input_i\"[^{}]*\}", done.stderr)[-1])["input_i"])


def facts(path: Path) -> tuple[float, int, int, list[str]]:
    with av.open(str(path)) as movie:
        video = movie.streams.video[0]
        duration = float(movie.duration / av.time_base)
        return (
            duration,
            video.width,
            video.height,
            sorted(s.codec_context.name for s in movie.streams),
        )


def test_mixed_clips_with_cards_captions_music_become_one_movie(tmp_path: Path) -> None:
    timeline = Timeline(
        clips=(
            clip(
                tmp_path, "Storm", 3, (320, 180), 24, True, captions=(Caption("Thunder", 0.5, 2.0),)
            ),
            clip(
                tmp_path,
                "Window",
                3,
                (180, 320),
                30,
                False,
                transition="crossfade",
                transition_s=0.5,
            ),
            clip(
                tmp_path, "Dawn", 2, (640, 360), 24, True, transition="fade_black", transition_s=0.5
            ),
        ),
        preset=Preset.of("720p", "16:9"),
        title=Card("Lighthouse", 1.0),
        end=Card("The end", 1.0, "#ffffff"),
        music=Music(wav(tmp_path / "bed.wav", 4.0)),
        burn_captions=True,
    )
    seen: list[float] = []
    out = render(timeline, tmp_path / "movie.mp4", lambda f, stage: seen.append(f))
    duration, width, height, codecs = facts(out.path)
    assert timeline.duration == pytest.approx(9.0)
    assert abs(duration - 9.0) <= 1 / 24 + 0.03  # within a frame (and an AAC priming frame)
    assert (width, height, codecs) == (1280, 720, ["aac", "h264"])
    assert abs(loudness(out.path) + 14) <= 1.0
    assert out.path.read_bytes().find(b"moov") < out.path.read_bytes().find(b"mdat")  # fast start
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 3


@pytest.mark.parametrize("kind", ["cut", "crossfade", "fade_black", "wipe"])
@pytest.mark.parametrize(("resolution", "aspect", "fit", "size"), [
    ("720p", "9:16", "crop", (720, 1280)),
    ("720p", "1:1", "pad", (720, 720)),
])  # fmt: skip
def test_every_transition_in_every_shape(
    tmp_path: Path, kind: str, resolution: str, aspect: str, fit: str, size: tuple[int, int]
) -> None:
    d = 0.0 if kind == "cut" else 0.4
    timeline = Timeline(
        clips=(
            clip(tmp_path, "one", 1.5, (320, 180), 24, True),
            clip(tmp_path, "two", 1.5, (320, 180), 30, False, transition=kind, transition_s=d),
        ),
        preset=Preset.of(resolution, aspect),
        fit=fit,
    )
    out = render(timeline, tmp_path / "movie.mp4")
    duration, width, height, codecs = facts(out.path)
    assert (width, height, codecs) == (*size, ["aac", "h264"])
    assert abs(duration - (3.0 - d)) <= 1 / 24 + 0.03


def test_presets_are_the_sizes_a_person_publishes() -> None:
    presets = (Preset.of("1080p"), Preset.of("4k"), Preset.of("1080p", "9:16"))
    assert [(p.width, p.height) for p in presets] == [(1920, 1080), (3840, 2160), (1080, 1920)]


def test_an_unreadable_take_names_its_scene(tmp_path: Path) -> None:
    good = clip(tmp_path, "Storm", 1, (320, 180), 24, False)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    timeline = Timeline(clips=(good, Clip(broken, 1, "Harbour")), preset=Preset.of("720p"))
    with pytest.raises(JobFailed, match="scene 2 'Harbour': its take cannot be read"):
        render(timeline, tmp_path / "movie.mp4")
    missing = Timeline(clips=(Clip(tmp_path / "gone.mp4", 1, "Dawn"),), preset=Preset.of("720p"))
    with pytest.raises(JobFailed, match="scene 1 'Dawn': its selected take's file is missing"):
        render(missing, tmp_path / "movie.mp4")


def test_captions_and_the_cut_are_exported_in_movie_time(tmp_path: Path) -> None:
    timeline = Timeline(
        clips=(
            clip(tmp_path, "Storm", 3, (320, 180), 24, False, captions=(Caption("Thunder", 0.5, 2.0),)),
            clip(
                tmp_path, "Dawn", 2, (320, 180), 24, False, transition="crossfade", transition_s=0.5,
                captions=(Caption("Morning, at last", 0.0, 1.5),),
            ),
        ),
        preset=Preset.of("720p"),
        title=Card("Lighthouse", 1.0),
    )  # fmt: skip
    files = exports(timeline, "Lighthouse")
    assert files["srt"] == (
        "1\n00:00:01,500 --> 00:00:03,000\nThunder\n\n"
        "2\n00:00:03,500 --> 00:00:05,000\nMorning, at last\n"
    )
    assert files["vtt"].startswith("WEBVTT\n\n00:00:01.500 --> 00:00:03.000\nThunder\n")
    cut = otio.adapters.read_from_string(files["otio"], "otio_json")
    [track] = cut.tracks
    assert [type(item).__name__ for item in track] == ["Gap", "Clip", "Transition", "Clip"]
    assert [c.name for c in track.find_clips()] == ["Storm", "Dawn"]
    assert track.duration().to_seconds() == pytest.approx(timeline.duration)
    assert track[1].media_reference.target_url == (tmp_path / "Storm.mp4").resolve().as_uri()


def test_takes_already_in_the_output_format_are_copied_not_re_encoded(tmp_path: Path) -> None:
    takes = tuple(
        clip(tmp_path, f"take{i}", 2, (1280, 720), 24, True, captions=(Caption("hi", 0, 1),))
        for i in range(3)
    )
    timeline = Timeline(
        clips=takes, preset=Preset.of("720p"), music=Music(wav(tmp_path / "m.wav", 2))
    )
    out = render(timeline, tmp_path / "movie.mp4")
    assert out.copied == 6.0  # captions go to the SRT/VTT files: nothing drawn on the frames
    duration, width, height, codecs = facts(out.path)
    assert abs(duration - 6.0) <= 1 / 24 + 0.03 and (width, height, codecs) == (
        1280,
        720,
        ["aac", "h264"],
    )
    with av.open(str(out.path)) as movie, av.open(str(takes[0].path)) as source:
        copied = [bytes(p) for p in movie.demux(video=0) if p.size][:10]
        original = [bytes(p) for p in source.demux(video=0) if p.size][:10]
        # the very same compressed frames (the muxer repeats the parameter sets in the first)
        assert copied[1:] == original[1:] and copied[0].endswith(original[0][-2000:])
    assert abs(loudness(out.path) + 14) <= 1.0
    burned = render(
        Timeline(clips=takes, preset=Preset.of("720p"), burn_captions=True), tmp_path / "burned.mp4"
    )
    assert burned.copied == 0.0  # one keyframe a take: nothing clear of the captions to copy


def frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as movie:
        return [f.to_ndarray(format="gray") for f in movie.decode(video=0)]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    error = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if error == 0 else 10 * np.log10(255**2 / error)


def test_smart_render_copies_the_takes_between_transitions_and_encodes_the_rest(
    tmp_path: Path,
) -> None:
    # Animatic takes in the 720p preset's format, a keyframe every second; odd names too.
    folder = tmp_path / "it's a take, [1]: final"
    folder.mkdir()
    paths = []
    for i in range(3):
        paths.append(folder / f"scene {i};x=1.mp4")
        spec = AnimaticSpec(
            f"Scene {i}", "harbour at dawn", 3, 1280, 720, seed=i, camera="pan-left"
        )
        render_animatic(spec, paths[-1])
    timeline = Timeline(
        clips=(
            Clip(paths[0], 3, "A"),
            Clip(paths[1], 3, "B", transition="crossfade", transition_s=0.5),
            Clip(paths[2], 3, "C", transition="wipe", transition_s=0.5,
                 captions=(Caption("Hello", 1.0, 1.5),)),
        ),
        preset=Preset.of("720p"),
        title=Card("The Harbour", 1.0),
        burn_captions=True,
    )  # fmt: skip
    smart = render(timeline, tmp_path / "smart.mp4")
    full = render(timeline, tmp_path / "full.mp4", copy=False)
    # Copied, whole GOPs clear of transitions and captions: A 0-2 s, B 1-2 s, C 2-3 s.
    assert (smart.copied, full.copied) == (4.0, 0.0)
    ours, reference = frames(smart.path), frames(full.path)
    assert len(ours) == len(reference) == round(timeline.duration * 24) == 216
    takes = [frames(p) for p in paths]
    # Movie time of each copied stretch (the title card runs 0-1 s) and its take's frames.
    for take, start, (a, b) in ((0, 1.0, (0, 2)), (1, 3.5, (1, 2)), (2, 6.0, (2, 3))):
        for second in range(a, b):
            for f in range(24):
                at = round((start + second) * 24) + f
                assert np.array_equal(ours[at], takes[take][second * 24 + f]), (take, at)
    # The encoded windows join the copied frames cleanly: the same picture as a full render.
    # (Parameter sets that differ would decode to garbage: well under 20 dB.)
    assert min(psnr(a, b) for a, b in zip(ours, reference, strict=True)) > 35
    for movie in (smart, full):  # the RGB title card leaves no colour tags of its own
        with av.open(str(movie.path)) as container:
            ctx = container.streams.video[0].codec_context
            assert (ctx.color_range, ctx.colorspace, ctx.color_primaries) == (1, 1, 1)  # 709
    with av.open(str(smart.path)) as movie:
        assert movie.streams.video[0].codec_context.extradata == (
            av.open(str(paths[0])).streams.video[0].codec_context.extradata
        )


def animatic(folder: Path, name: str, seconds: float, seed: int = 0) -> Path:
    path = folder / f"{name}.mp4"
    render_animatic(AnimaticSpec(name, "harbour", seconds, 1280, 720, seed=seed), path)
    return path


def closest(frame: np.ndarray, candidates: list[np.ndarray]) -> int:
    return int(np.argmin([np.mean((frame.astype(float) - c) ** 2) for c in candidates]))


def test_every_frame_of_a_take_is_shown_and_a_short_take_holds_its_last(tmp_path: Path) -> None:
    a, b = animatic(tmp_path, "A", 3), animatic(tmp_path, "B", 2, seed=1)
    a_frames, b_frames = frames(a), frames(b)
    timeline = Timeline(clips=(Clip(a, 3, "A"), Clip(b, 3, "B")), preset=Preset.of("720p"))
    for copy in (False, True):
        movie = frames(render(timeline, tmp_path / f"movie{copy}.mp4", copy=copy).path)
        assert len(movie) == 144
        # A's last frame is its own (not its last but one twice); B's 2 s then held
        assert [closest(movie[n], a_frames) for n in (70, 71)] == [70, 71]
        assert [closest(movie[n], b_frames) for n in (72, 119, 120, 143)] == [0, 47, 47, 47]


def test_takes_whose_sound_outlasts_the_picture_or_comes_first_copy_right(tmp_path: Path) -> None:
    plain = [animatic(tmp_path, f"T{i}", 2, seed=i) for i in range(2)]
    odd = []
    for i, path in enumerate(plain):  # 3 s of sound on 2 s of picture; the second sound-first
        odd.append(tmp_path / f"odd{i}.mp4")
        order = ["-map", "1:a", "-map", "0:v"] if i else ["-map", "0:v", "-map", "1:a"]
        subprocess.run(
            [ffmpeg(), "-v", "error", "-i", str(path), "-f", "lavfi", "-i", "sine=d=3",
             *order, "-c:v", "copy", "-c:a", "aac", str(odd[-1])], check=True,
        )  # fmt: skip
    timeline = Timeline(
        clips=tuple(Clip(p, 2, p.stem, has_audio=True) for p in odd), preset=Preset.of("720p")
    )
    out = render(timeline, tmp_path / "movie.mp4")
    assert out.copied == 4.0
    with av.open(str(out.path)) as movie:
        times = [f.time for f in movie.decode(video=0)]
    assert len(times) == 96 and max(np.diff(times)) < 0.05  # no gap where a take's sound ran on


def test_transitions_count_in_whole_frames_and_must_fit_their_clip(tmp_path: Path) -> None:
    takes = [animatic(tmp_path, f"S{i}", 3, seed=i) for i in range(3)]
    timeline = Timeline(
        clips=(
            Clip(takes[0], 3, "A"),
            Clip(takes[1], 3, "B", transition="crossfade", transition_s=0.3),  # 7.2 frames
            Clip(takes[2], 3, "C"),
        ),
        preset=Preset.of("720p"),
    )
    assert timeline.duration == pytest.approx(9 - 7 / 24)
    out = render(timeline, tmp_path / "movie.mp4")
    assert len(frames(out.path)) == 216 - 7
    assert out.copied == 2.0 + 2.0 + 3.0  # A 0-2 s, B 1-3 s, C (after a cut) whole
    crowded = replace(timeline, clips=(Clip(takes[0], 1, "A"), *timeline.clips[1:]))
    crowded = replace(
        crowded,
        clips=(crowded.clips[0], replace(crowded.clips[1], transition_s=1.5), crowded.clips[2]),
    )
    with pytest.raises(
        JobFailed, match=r"scene 1 'A': its transitions in \(0.00 s\) and out \(1.50 s\)"
    ):
        render(crowded, tmp_path / "crowded.mp4")


def test_trimmed_takes_play_from_their_in_point_copied_where_a_gop_allows(tmp_path: Path) -> None:
    # 4 s takes with a keyframe every second: A from 1 s in (on a keyframe), B from 0.5 s in
    # (between keyframes: encoded up to its next keyframe, then copied).
    a, b = animatic(tmp_path, "A", 4), animatic(tmp_path, "B", 4, seed=1)
    a_frames, b_frames = frames(a), frames(b)
    timeline = Timeline(
        clips=(Clip(a, 2, "A", trim_in=1.0), Clip(b, 3, "B", trim_in=0.5)),
        preset=Preset.of("720p"),
    )
    smart = render(timeline, tmp_path / "smart.mp4")
    full = render(timeline, tmp_path / "full.mp4", copy=False)
    assert smart.copied == 4.0  # A's 2 s, B's 2 s from its keyframe at 1 s
    for movie in (smart, full):
        shown = frames(movie.path)
        assert len(shown) == 120
        # every frame is the take's own, from the in point on
        assert [closest(shown[n], a_frames) for n in (0, 47)] == [24, 71]
        assert [closest(shown[n], b_frames) for n in (48, 59, 60, 119)] == [12, 23, 24, 83]
    otio_json = json.loads(exports(timeline, "Trims")["otio"])
    starts = [
        c["source_range"]["start_time"]["value"]
        for c in otio_json["tracks"]["children"][0]["children"]
    ]
    assert starts == [24, 12]
