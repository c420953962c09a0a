"""A job's parameters as the google-genai request: every scene option to its Veo field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.genai import types

from storage import catalog
from storage.media import MediaStore


@dataclass(frozen=True)
class Continuity:
    """What the previous scene hands over: its last frame, or its whole take to extend."""

    first_frame_png: bytes | None = None
    video_mp4: bytes | None = None


def compose_prompt(params: dict[str, Any]) -> str:
    """The scene's prompt with its style and camera move said in words Veo follows."""
    parts = [params["prompt"].strip()]
    if params.get("style") not in (None, "none"):
        parts.append(f"Style: {params['style'].replace('-', ' ')}.")
    if params.get("camera") not in (None, "static"):
        parts.append(f"Camera: {params['camera'].replace('-', ' ')}.")
    return " ".join(parts)


def _image(media: MediaStore, ref: dict[str, Any]) -> types.Image:
    return types.Image(
        image_bytes=media.path(ref["media_key"]).read_bytes(), mime_type=ref["mime_type"]
    )


def build_request(
    params: dict[str, Any],
    takes: int,
    media: MediaStore,
    continuity: Continuity,
    output_gcs_uri: str | None = None,
) -> tuple[types.GenerateVideosSource, types.GenerateVideosConfig]:
    spec = catalog.MODELS[params["model"]]
    image = None
    if continuity.first_frame_png is not None:
        image = types.Image(image_bytes=continuity.first_frame_png, mime_type="image/png")
    elif params.get("first_frame"):
        image = _image(media, params["first_frame"])
    video = None
    if continuity.video_mp4 is not None:
        video = types.Video(video_bytes=continuity.video_mp4, mime_type="video/mp4")
    source = types.GenerateVideosSource(prompt=compose_prompt(params), image=image, video=video)
    references = [
        types.VideoGenerationReferenceImage(
            image=_image(media, ref), reference_type=ref["reference_type"]
        )
        for ref in params.get("references") or []
    ]
    config = types.GenerateVideosConfig(
        number_of_videos=takes,
        duration_seconds=params["duration"],
        aspect_ratio=params["aspect_ratio"],
        resolution=params["resolution"],
        seed=params.get("seed"),
        negative_prompt=params.get("negative_prompt") or None,
        person_generation=params.get("person_generation"),
        enhance_prompt=params.get("enhance_prompt"),
        generate_audio=bool(params.get("generate_audio")) if spec.audio else None,
        last_frame=_image(media, params["last_frame"]) if params.get("last_frame") else None,
        reference_images=references or None,
        output_gcs_uri=output_gcs_uri,
    )
    return source, config
