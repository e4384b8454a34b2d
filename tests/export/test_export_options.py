from pathlib import Path

import pytest

from sam2_autotrack import ConfigError, MaskCleanup
from sam2_autotrack.export import ExportOptions, OverlayStyle


def test_alpha_accepts_one_codec_or_several_and_normalises_to_a_tuple() -> None:
    assert ExportOptions(alpha="webm").alpha == ("webm",)
    assert ExportOptions(alpha=["prores", "webm"]).alpha == ("prores", "webm")
    assert ExportOptions(alpha=("webm", "prores", "webm")).alpha == ("webm", "prores")
    assert ExportOptions().alpha == ()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"alpha": "gif"}, r"alpha\.0='gif': must be 'webm' or 'prores'"),
        ({"alpha": ["webm", "mp4"]}, r"alpha\.1='mp4'"),
        ({"alpha": 3}, "alpha=3"),
        ({"per_object": True}, "per_object=True: .*alpha is empty"),
        ({"cleanup": {"feather_px": -1}}, "feather_px=-1"),
        ({"overlay_style": {"fill_alpha": 2}}, "fill_alpha=2"),
        ({"overlay": True, "coco_json": True}, "coco_json: unknown option"),
    ],
)
def test_invalid_options_are_refused_when_built(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        ExportOptions(**fields)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_cleanup_and_overlay_style_nest_as_objects_or_dicts() -> None:
    as_dict = ExportOptions(cleanup={"feather_px": 2}, overlay_style={"draw_ids": False})
    as_objects = ExportOptions(
        cleanup=MaskCleanup(feather_px=2), overlay_style=OverlayStyle(draw_ids=False)
    )
    assert as_dict == as_objects
    assert as_dict.cleanup == MaskCleanup(feather_px=2)
    assert ExportOptions().cleanup.is_noop


def test_what_the_options_need() -> None:
    assert not ExportOptions().wants_files
    assert ExportOptions(coco=True).wants_files
    assert ExportOptions(coco=True, palette=True).encoders == ()
    assert ExportOptions(alpha=("prores", "webm"), overlay=True, quality="best").encoders == (
        "prores_ks",
        "libvpx-vp9",
        "libx264",
    )


def test_quality_presets_pick_the_encoders_and_refuse_unknown_names() -> None:
    assert ExportOptions().quality == "good"
    assert ExportOptions(alpha="prores", quality="draft").encoders == ("prores_aw",)
    assert ExportOptions(alpha="prores").encoders == ("prores_ks",)
    with pytest.raises(ConfigError, match=r"quality='fast'.*'draft', 'good' or 'best'"):
        ExportOptions(quality="fast")  # type: ignore[arg-type]


def test_frozen_replace_coerce_and_json_round_trip() -> None:
    options = ExportOptions(alpha="webm", per_object=True, ffmpeg="/usr/bin/ffmpeg")
    assert options.ffmpeg == Path("/usr/bin/ffmpeg")
    with pytest.raises(ConfigError, match="frozen"):
        options.coco = True  # type: ignore[misc]
    assert options.replace(coco=True).coco
    assert not options.coco
    with pytest.raises(ConfigError, match="per_object"):
        options.replace(alpha=())
    assert ExportOptions.coerce({"coco": True}) == ExportOptions(coco=True)
    assert ExportOptions.coerce(None) is None
    with pytest.raises(ConfigError, match="ExportOptions"):
        ExportOptions.coerce("webm")  # type: ignore[arg-type]
    dumped = options.model_dump(mode="json")
    assert dumped["alpha"] == ["webm"]
    assert dumped["ffmpeg"] == "/usr/bin/ffmpeg"
    assert ExportOptions(**dumped) == options
