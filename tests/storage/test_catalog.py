"""The model catalog: providers' models, prices by resolution and sound, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.catalog import (
    DRAFTS,
    VEO,
    Billing,
    Catalog,
    ModelSpec,
    Price,
    ProviderSpec,
    frame_size,
)
from storage.errors import NotFound, SettingsError
from storage.settings import load_settings


def test_veo_3_1_offers_4k_and_lite_offers_up_to_1080p_at_its_own_price() -> None:
    catalog = Catalog()
    full, fast, lite = (
        catalog.model(f"veo-3.1-{kind}generate-001") for kind in ("", "fast-", "lite-")
    )
    assert full.resolutions == fast.resolutions == ("720p", "1080p", "4k")
    assert lite.resolutions == ("720p", "1080p") and not lite.extension
    assert lite.price_per_second("1080p", audio=True) == 0.08
    assert lite.price_per_second("720p", audio=False) == 0.03
    assert full.price_per_second("4k", audio=True) == 0.60
    assert catalog.estimate("veo-3.1-fast-generate-001", "4k", 8, 2, True) == pytest.approx(4.8)
    assert frame_size("4k", "16:9") == (3840, 2160) and frame_size("4k", "9:16") == (2160, 3840)


def test_each_model_names_its_provider_and_drafts_bill_nothing() -> None:
    catalog = Catalog()
    assert catalog.backend_for("veo-3.1-generate-001", drafts=False) == VEO
    assert catalog.backend_for("veo-3.1-generate-001", drafts=True) == DRAFTS
    assert VEO.billing.billed and "safety" in VEO.billing.unbilled_stages
    assert not DRAFTS.billing.billed and DRAFTS.drafts
    with pytest.raises(NotFound, match="model 'sora-2' is not in the catalog"):
        catalog.model("sora-2")


def test_prices_are_overridden_per_model_and_resolution_or_refused_by_name(
    tmp_path: Path,
) -> None:
    base = {"VEOGEN_DATA_DIR": str(tmp_path)}
    (tmp_path / "veogen.toml").write_text(
        '[prices."veo-3.1-generate-001"]\nvideo = 0.35\n[prices."veo-3.1-generate-001".4k]\naudio = 0.5\n'
    )
    prices = load_settings(base).prices
    assert prices == {"veo-3.1-generate-001": {"video": 0.35, "4k": {"audio": 0.5}}}
    catalog = Catalog(prices=prices)
    spec = catalog.model("veo-3.1-generate-001")
    assert spec.prices["720p"] == Price(0.35, 0.40) and spec.prices["4k"] == Price(0.60, 0.5)
    assert Catalog(prices={"veo-2.0-generate-001": {"audio": 9}}).model(
        "veo-2.0-generate-001"
    ).prices["720p"] == Price(0.50, None)  # a silent model stays silent
    assert Catalog().model("veo-3.1-generate-001").prices["720p"] == Price(0.20, 0.40)
    for raw, message in [
        ({"veo-9": {"video": 1}}, "'veo-9' is not a model; known: veo-2.0-generate-001"),
        ({"veo-2.0-generate-001": {"video": -1}}, "veo-2.0-generate-001.video: -1 is not a price"),
        ({"veo-2.0-generate-001": {"4k": {"video": 1}}}, "4k unknown; allowed: video, audio, 720p"),
        (
            {"veo-3.1-generate-001": {"audio": 0.3}},  # would make 4K as cheap as 720p
            "720p, 1080p, 4k are listed at different prices; give each its own",
        ),
    ]:
        with pytest.raises(SettingsError, match=message):
            Catalog(prices=raw)


def test_a_provider_brings_its_own_models_and_no_two_offer_one() -> None:
    model = ModelSpec(
        "echo-1", "Echo", "", (2,), ("16:9",), 1, {"720p": Price(0.01)}, False, False, 0, False
    )
    echo = ProviderSpec("echo", "Echo", Billing(True), (model,))
    catalog = Catalog([DRAFTS, VEO, echo])
    assert catalog.model("echo-1").provider == "echo" and catalog.provider("echo") == echo
    with pytest.raises(SettingsError, match="model 'echo-1' is offered by two providers"):
        Catalog([echo, ProviderSpec("copy", "Copy", Billing(False), (model,))])


def test_each_model_is_named_in_words_with_its_price() -> None:
    catalog = Catalog(prices={"veo-3.0-fast-generate-001": {"video": 0, "audio": 0}})
    assert catalog.label("veo-3.0-generate-001") == "Veo 3 · $0.20/s (with sound $0.40/s)"
    assert catalog.label("veo-3.1-generate-001") == "Veo 3.1 · from $0.20/s (with sound $0.40/s)"
    assert catalog.label("veo-3.1-fast-generate-001") == (
        "Veo 3.1 Fast · from $0.10/s with or without sound"
    )
    assert catalog.label("veo-2.0-generate-001") == "Veo 2 · $0.50/s, no sound"
    assert catalog.label("veo-3.0-fast-generate-001") == "Veo 3 Fast · free"
    assert catalog.label("veo-3.1-generate-001", drafts=True) == "Animatic draft of Veo 3.1 · free"
    assert catalog.label("retired-model-1") == "retired-model-1"  # an old job keeps its name
