"""The scene form's model picker speaks of models in words, with their price."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def form() -> None:
    from storage.catalog import Catalog
    from studio.scene_form import scene_form

    scene_form("scene", {"model": "veo-3.0-generate-001"}, Catalog(), [])


def test_the_model_picker_names_each_model_with_its_price() -> None:
    app = AppTest.from_function(form, default_timeout=30).run()
    picker = next(s for s in app.selectbox if s.label == "Model")
    assert picker.value == "veo-3.0-generate-001"
    assert "Veo 3 · $0.20/s (with sound $0.40/s)" in picker.options
    assert "Veo 3.1 · from $0.20/s (with sound $0.40/s)" in picker.options
    assert not app.exception
