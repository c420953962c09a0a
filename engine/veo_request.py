"""A job's parameters as the google-genai request: every scene option to its Veo field."""

from __future__ import annotations

from dataclasses import dataclass

from google.genai import types

from storage.catalog import ModelSpec
from storage.contract import ImageRef, SceneSnapshot
from storage.media import MediaStore


@dataclass(frozen=True)
class Continuity:
    """What the previous scene hands over: its last frame, or its whole take to extend."""

    first_frame_png: bytes | None = None
    video_mp4: bytes | None = None


def compose_prompt(scene: SceneSnapshot) -> str:
    """The scene's prompt with its style and camera move said in words Veo follows."""
    parts = [scene.prompt.strip()]
    if scene.style not in ("", "none"):
        parts.append(f"Style: {scene.style.replace('-', ' ')}.")
    if scene.camera not in ("", "static"):
        parts.append(f"Camera: {scene.camera.replace('-', ' ')}.")
    return " ".join(parts)


def _image(media: MediaStore, ref: ImageRef) -> types.Image:
    return types.Image(image_bytes=media.read(ref.media_key), mime_type=ref.mime_type)


def build_request(
    scene: SceneSnapshot,
    spec: ModelSpec,
    samples: int,
    media: MediaStore,
    continuity: Continuity,
    output_gcs_uri: str | None = None,
) -> tuple[types.GenerateVideosSource, types.GenerateVideosConfig]:
    image = None
    if continuity.first_frame_png is not None:
        image = types.Image(image_bytes=continuity.first_frame_png, mime_type="image/png")
    elif scene.first_frame:
        image = _image(media, scene.first_frame)
    video = None
    if continuity.video_mp4 is not None:
        video = types.Video(video_bytes=continuity.video_mp4, mime_type="video/mp4")
    source = types.GenerateVideosSource(prompt=compose_prompt(scene), image=image, video=video)
    references = [
        types.VideoGenerationReferenceImage(
            image=_image(media, ref),
            reference_type=types.VideoGenerationReferenceType(ref.reference_type.upper()),
        )
        for ref in scene.references
    ]
    config = types.GenerateVideosConfig(
        number_of_videos=samples,
        duration_seconds=scene.duration,
        aspect_ratio=scene.aspect_ratio,
        resolution=scene.resolution,
        seed=scene.seed,
        negative_prompt=scene.negative_prompt or None,
        person_generation=scene.person_generation,
        enhance_prompt=scene.enhance_prompt,
        generate_audio=scene.generate_audio if spec.audio else None,
        last_frame=_image(media, scene.last_frame) if scene.last_frame else None,
        reference_images=references or None,
        output_gcs_uri=output_gcs_uri,
    )
    return source, config
