"""The evaluation reads frame by frame: sequences score exactly like arrays, memory stays flat."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy import ndimage

from memory_probe import peak_traced
from sam2_autotrack.evaluation import evaluate, evaluate_dirs
from sam2_autotrack.masks import MaskSequence

SHORT, LONG = 10, 40
SHAPE = (120, 160)  # one (T, H, W) stack: 19 KB per frame


def blobs(rng: np.random.Generator, frames: int, shape: tuple[int, int]) -> np.ndarray:
    noise = ndimage.gaussian_filter(rng.random((frames, *shape)), (0, 2, 2))
    masks = noise > np.quantile(noise, rng.uniform(0.7, 0.9))
    masks[0] = False  # an empty frame
    return masks


@pytest.mark.parametrize("protocol", ["davis-unsupervised", "davis-semi-supervised"])
@pytest.mark.parametrize("seed", range(4))
def test_sequences_score_exactly_like_arrays(protocol: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    gt = {f"g{i}": blobs(rng, 6, (30, 40)) for i in range(3)}
    pred = {"g0": blobs(rng, 6, (30, 40)), "g2": gt["g2"] ^ blobs(rng, 6, (30, 40))}
    void = rng.random((6, 30, 40)) < 0.05
    arrays = evaluate(pred, gt, protocol=protocol, void=void)  # type: ignore[arg-type]
    sequences = evaluate(
        {k: MaskSequence.from_array(v) for k, v in pred.items()},
        {k: MaskSequence.from_array(v) for k, v in gt.items()},
        protocol=protocol,  # type: ignore[arg-type]
        void=MaskSequence.from_array(void),
    )
    assert sequences.to_dict() == arrays.to_dict()


def _write_folder(root: Path, masks: dict[str, np.ndarray]) -> None:
    for oid, stack in masks.items():
        (root / oid).mkdir(parents=True)
        for t, frame in enumerate(stack):
            cv2.imwrite(str(root / oid / f"frame_{t:05d}.png"), frame.astype(np.uint8) * 255)


def _clip(frames: int) -> dict[str, np.ndarray]:
    yy, xx = np.mgrid[: SHAPE[0], : SHAPE[1]]
    masks = {}
    for k in range(3):
        stack = np.zeros((frames, *SHAPE), bool)
        for t in range(frames):
            cx = 30 + 40 * k + (t % 9)
            stack[t] = (yy - 60) ** 2 + (xx - cx) ** 2 < 15**2
        masks[f"obj_{k}"] = stack
    return masks


def test_scoring_longer_folders_and_sequences_allocates_the_same_peak(tmp_path: Path) -> None:
    folders, sequences = {}, {}
    for frames in (SHORT, LONG):
        clip = _clip(frames)
        _write_folder(tmp_path / f"gt_{frames}", clip)
        _write_folder(tmp_path / f"pred_{frames}", {k: np.roll(v, 2, 2) for k, v in clip.items()})
        folders[frames] = (tmp_path / f"pred_{frames}", tmp_path / f"gt_{frames}")
        sequences[frames] = {k: MaskSequence.from_array(v) for k, v in clip.items()}
    evaluate_dirs(*folders[SHORT])  # imports, caches
    dirs_peaks, seq_peaks = {}, {}
    for frames in (SHORT, LONG):
        dirs_peaks[frames], report = peak_traced(lambda f=frames: evaluate_dirs(*folders[f]))
        assert 0.5 < report.jf_mean < 1.0
        seq = sequences[frames]
        seq_peaks[frames], report = peak_traced(lambda s=seq: evaluate(s, s))
        assert report.jf_mean == 1.0
    # the stacks of both sides would grow by 2 x 3 x 30 frames x 19 KB = 3.5 MB
    stack = (LONG - SHORT) * SHAPE[0] * SHAPE[1]
    for peaks in (dirs_peaks, seq_peaks):
        assert peaks[LONG] - peaks[SHORT] < stack // 4, peaks
