"""The scene form: every option a scene can use, offering only what its model allows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from storage import catalog
from storage.models import Asset, AssetKind
from studio.ui import plain

CONTINUITY_LABELS = {
    "none": "none",
    "previous": "start from the previous scene's last frame",
    "extend": "extend the previous scene's Veo take",
}


def _index(options: Sequence[Any], value: Any) -> int:
    return list(options).index(value) if value in options else 0


def model_summary(spec: catalog.ModelSpec) -> str:
    """What the model does and costs, in one line for the form."""
    prices = []
    for resolution, price in spec.prices.items():
        each = f"${price.video:.2f}/s"
        if price.audio is not None and price.audio != price.video:
            each = f"${price.audio:.2f}/s with sound, {each} without"
        elif price.audio is not None:
            each = f"${price.audio:.2f}/s with or without sound"
        prices.append(f"{resolution} {each}")
    features = ", ".join(spec.features()) or "prompt only"
    return f"{spec.label}: {features} · {'; '.join(prices)} · up to {spec.max_samples} takes"


def _asset_choice(label: str, frames: list[Asset], current: int | None, key: str) -> int | None:
    options: list[int | None] = [None, *(a.id for a in frames)]
    names = {a.id: a.name for a in frames}
    return st.selectbox(
        label,
        options,
        index=_index(options, current),
        format_func=lambda i: "none" if i is None else names[i],
        key=key,
    )


def scene_form(
    key: str,
    values: dict[str, Any],
    models: catalog.Catalog,
    library: list[Asset],
    references: list[int] | None = None,
    extendable: dict[int, str] | None = None,
) -> dict[str, Any] | None:
    """The scene's fields (and ``references``, the ingredient ids), or None until saved.

    ``extendable`` names the project's Veo takes a scene may continue with extension.
    """
    names = list(models.models)
    model = st.selectbox(
        "Model",
        names,
        index=_index(names, values["model"]),
        format_func=models.label,
        key=f"{key}-model",
    )
    spec = models.model(model)
    st.caption(plain(model_summary(spec)))  # its dollars are not LaTeX
    frames = [a for a in library if a.kind == AssetKind.frame]
    ingredients = [a for a in library if AssetKind(a.kind).ingredient]
    continuity_modes = [
        m
        for m in catalog.CONTINUITY_MODES
        if m == "none"
        or (m == "previous" and spec.first_frame)
        or (m == "extend" and spec.extension)
    ]
    with st.form(key):
        title = st.text_input(
            "Title", value=values.get("title", ""), max_chars=catalog.MAX_TITLE_CHARS
        )
        prompt = st.text_area(
            # no max_chars: a longer paste would be cut or dropped without a word; the
            # data layer refuses it naming the limit, and the form keeps the text
            "Prompt",
            value=values.get("prompt", ""),
            help=f"Up to {spec.max_prompt_chars:,} characters for {spec.label}",
        )
        negative = st.text_input("Negative prompt", value=values.get("negative_prompt", ""))
        cols = list(st.columns(4))
        duration = cols[0].selectbox(
            "Duration (s)", spec.durations, index=_index(spec.durations, values.get("duration"))
        )
        aspect = cols[1].selectbox(
            "Aspect ratio",
            spec.aspect_ratios,
            index=_index(spec.aspect_ratios, values.get("aspect_ratio")),
        )
        resolution = cols[2].selectbox(
            "Resolution", spec.resolutions, index=_index(spec.resolutions, values.get("resolution"))
        )
        takes = cols[3].number_input("Takes", 1, spec.max_samples, int(values.get("takes") or 1))
        cols = list(st.columns(4))
        style = cols[0].selectbox(
            "Style", catalog.STYLES, index=_index(catalog.STYLES, values.get("style"))
        )
        camera = cols[1].selectbox(
            "Camera", catalog.CAMERA_MOVES, index=_index(catalog.CAMERA_MOVES, values.get("camera"))
        )
        seed = cols[2].text_input(
            "Seed (blank: random)", value="" if values.get("seed") is None else str(values["seed"])
        )
        continuity = cols[3].selectbox(
            "Continuity",
            continuity_modes,
            index=_index(continuity_modes, values.get("continuity")),
            format_func=lambda m: CONTINUITY_LABELS[m],
        )
        cols = list(st.columns(3))
        people = cols[0].selectbox(
            "People",
            catalog.PERSON_GENERATION,
            index=_index(catalog.PERSON_GENERATION, values.get("person_generation")),
            format_func=lambda p: "adults allowed" if p == "allow_adult" else "no people",
        )
        audio = (
            cols[1].checkbox("Generate sound", value=bool(values.get("generate_audio", True)))
            if spec.audio
            else False
        )
        if not spec.audio:
            cols[1].caption(f"{spec.label} makes no sound")
        enhance = cols[2].checkbox(
            "Let Veo enhance the prompt", value=bool(values.get("enhance_prompt", True))
        )
        first = last = None
        cols = list(st.columns(2))
        if spec.first_frame:
            with cols[0]:
                first = _asset_choice(
                    "First frame", frames, values.get("first_frame_id"), f"{key}-first"
                )
        if spec.last_frame:
            with cols[1]:
                last = _asset_choice(
                    "Last frame", frames, values.get("last_frame_id"), f"{key}-last"
                )
        extend = None
        if spec.extension and extendable:
            options: list[int | None] = [None, *extendable]
            extend = st.selectbox(
                "Extend a take (continue an earlier Veo take)",
                options,
                index=_index(options, values.get("extend_take_id")),
                format_func=lambda i: "none" if i is None else extendable[i],
            )
        chosen: list[int] = []
        if spec.reference_images and ingredients:
            labels = {a.id: f"{a.name} ({a.kind})" for a in ingredients}
            chosen = st.multiselect(
                f"Reference images (up to {spec.reference_images}; ingredients the prompt "
                "names are added by themselves)",
                list(labels),
                default=[i for i in references or [] if i in labels],
                format_func=lambda i: labels[i],
                max_selections=spec.reference_images,
            )
        notes = st.text_area("Notes", value=values.get("notes", ""))
        if not st.form_submit_button("Save scene", type="primary"):
            return None
    return {
        "title": title,
        "prompt": prompt,
        "negative_prompt": negative,
        "duration": duration,
        "aspect_ratio": aspect,
        "resolution": resolution,
        "takes": takes,
        "style": style,
        "camera": camera,
        "seed": seed.strip() or None,
        "continuity": continuity,
        "notes": notes,
        "model": model,
        "person_generation": people,
        "generate_audio": audio,
        "enhance_prompt": enhance,
        "first_frame_id": first,
        "last_frame_id": last,
        "extend_take_id": extend,
        "references": chosen,
    }
