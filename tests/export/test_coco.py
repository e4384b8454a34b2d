import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from sam2_autotrack import MaskSizeError
from sam2_autotrack.export.coco import write_coco_json


def _blobs(count: int, height: int, width: int, seed: int) -> NDArray[np.bool_]:
    rng = np.random.default_rng(seed)
    noise = rng.random((count, height + 4, width + 4))
    smooth = cv2.blur(noise.transpose(1, 2, 0), (5, 5)).reshape(height + 4, width + 4, count)
    return np.ascontiguousarray(smooth.transpose(2, 0, 1)[:, 2:-2, 2:-2] > 0.52)


# pycocotools' Cython decoder trips a numpy 2 DeprecationWarning inside pycocotools itself.
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy:DeprecationWarning"
)
def test_coco_json_loads_in_pycocotools_and_matches_masks(tmp_path: Path) -> None:
    coco_module = pytest.importorskip("pycocotools.coco")
    coco_mask = pytest.importorskip("pycocotools.mask")
    car = _blobs(3, 21, 30, seed=6)
    dog = _blobs(3, 21, 30, seed=7)
    dog[1] = False  # absent on the middle frame: no annotation
    path = write_coco_json(
        {"car": car, "dog": dog}, frame_indices=[0, 5, 10], out_path=tmp_path / "coco.json",
        video_name="street.mp4", resolution_wh=(30, 21),
    )  # fmt: skip
    document = json.loads(path.read_text())
    assert [im["frame_index"] for im in document["images"]] == [0, 5, 10]
    assert [o["name"] for o in document["objects"]] == ["car", "dog"]
    assert len(document["annotations"]) == 5
    coco = coco_module.COCO()
    coco.dataset = document
    coco.createIndex()
    by_object = {"car": car, "dog": dog}
    for ann in document["annotations"]:
        t = [0, 5, 10].index(ann["frame_index"])
        mask = by_object[ann["object_name"]][t]
        assert ann["image_id"] == document["images"][t]["id"]
        assert np.array_equal(coco.annToMask(ann).astype(bool), mask)
        assert ann["area"] == int(mask.sum())
        rle = dict(ann["segmentation"], counts=ann["segmentation"]["counts"].encode("ascii"))
        assert ann["bbox"] == coco_mask.toBbox(rle).tolist()
    present = {(a["object_name"], a["frame_index"]) for a in document["annotations"]}
    assert ("dog", 5) not in present
    assert ("car", 5) in present


def test_coco_json_checks_resolution(tmp_path: Path) -> None:
    masks = {"a": np.ones((1, 4, 6), dtype=bool)}
    with pytest.raises(MaskSizeError, match="6x4") as info:
        write_coco_json(
            masks, frame_indices=[0], out_path=tmp_path / "c.json", video_name="v",
            resolution_wh=(4, 6),
        )  # fmt: skip
    assert info.value.actual_wh == (6, 4)
    assert list(tmp_path.iterdir()) == []
