"""Library: the project's uploaded images — ingredients (characters, objects, styles)
that scenes reuse as Veo reference images, and frames a scene starts or ends on."""

from __future__ import annotations

import streamlit as st

from storage import assets as store
from storage.assets import SOUND_NAMES
from storage.models import Asset, AssetKind, Role
from studio.ui import act, may, offer_undo, open_project, plain, remember_deleted, services, user

IMAGE_TYPES = ("jpg", "jpeg", "png")
SOUND_TYPES = ("mp3", "wav", "aac", "flac", "m4a")
HEADINGS = {
    AssetKind.character: "Characters",
    AssetKind.object: "Objects",
    AssetKind.style: "Styles",
    AssetKind.frame: "Frames",
    AssetKind.music: "Music beds",
}
KIND_HELP = {
    AssetKind.character: "a person or creature to keep consistent across scenes",
    AssetKind.object: "a prop, vehicle or place to keep consistent",
    AssetKind.style: "a look (palette, texture, medium) for scenes to follow",
    AssetKind.frame: "a still a scene starts or ends on (first / last frame)",
    AssetKind.music: f"a music bed for the movie ({SOUND_NAMES})",
}


def _upload(project_id: int) -> None:
    # The form keeps what was chosen when it is refused; a new key empties it once added.
    form = st.session_state.setdefault("upload-form", 0)
    with st.form(f"upload-{form}"):
        cols = st.columns([1, 2])
        kind = cols[0].selectbox(
            "Kind",
            list(AssetKind),
            format_func=lambda k: f"{k.value} — {KIND_HELP[k]}",
        )
        name = cols[1].text_input(
            "Name", help="A character or object is attached to every scene whose prompt names it."
        )
        description = st.text_input("Description (optional)")
        file = st.file_uploader(
            f"File: an image (JPEG or PNG, up to 20 MB), or for a music bed a sound "
            f"({SOUND_NAMES}, up to 200 MB)",
            type=[*IMAGE_TYPES, *SOUND_TYPES],
        )
        if not st.form_submit_button("Upload", type="primary"):
            return
    if file is None or kind is None:
        st.error("file: choose a file to upload")
        return
    data = file.getvalue()

    def add() -> None:
        store.add_asset(
            services().db, services().media, user(), project_id, kind, name, data, description
        )
        st.session_state["upload-form"] = form + 1

    act(add, f"Added {kind.value} '{name.strip()}'")


def _card(asset: Asset) -> None:
    with st.container(border=True):
        media = services().media
        if media.exists(asset.media_key) and asset.kind == AssetKind.music:
            st.audio(media.playback(asset.media_key))
        elif media.exists(asset.media_key):
            st.image(media.playback(asset.media_key), width="stretch")
        st.markdown(f"**{plain(asset.name)}** · {asset.kind}")
        size = f"{asset.seconds:.0f} s" if asset.seconds else f"{asset.width}×{asset.height}"
        st.caption(
            f"{size} · {asset.bytes / 1e6:.2f} MB"
            + (f" · {plain(asset.description)}" if asset.description else "")
        )
        if may(Role.editor) and st.button(
            "Delete", key=f"delete-asset-{asset.id}", icon=":material/delete:"
        ):
            act(lambda: _delete(asset.id))


def _delete(asset_id: int) -> None:
    deleted = store.delete_asset(services().db, services().media, user(), asset_id)
    remember_deleted("asset", deleted.project_id, deleted.id, deleted.name)


def render() -> None:
    st.title("Library")
    project = open_project()
    if project is None:
        return
    offer_undo("asset", project.id, lambda i: store.restore_asset(services().db, user(), i))
    if may(Role.editor):
        with st.expander("Upload to the library", expanded=False):
            _upload(project.id)
    library = store.list_assets(services().db, user(), project.id)
    if not library:
        st.info(
            "Nothing in the library yet. Upload characters, objects and styles to reuse across "
            "scenes, frames for scenes to start or end on, and music beds for the movie."
        )
        return
    for kind in AssetKind:
        own = [a for a in library if a.kind == kind]
        if not own:
            continue
        st.subheader(HEADINGS[kind])
        cols = st.columns(4)
        for index, asset in enumerate(own):
            with cols[index % 4]:
                _card(asset)
