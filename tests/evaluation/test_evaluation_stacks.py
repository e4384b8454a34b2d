import numpy as np
import pytest
from scipy import ndimage

from sam2_autotrack.errors import EvaluationError
from sam2_autotrack.evaluation.metrics import boundary_f, jaccard, tolerance_disk
from sam2_autotrack.evaluation.stacks import pair_per_frame, prepare_sequence

# -- sequences -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_pair_per_frame_equals_the_frame_metrics(seed: int) -> None:
    # blobs near and far apart, empty frames, full frames and void: the cropped, shortcut
    # sequence computation gives exactly the one-frame functions' values
    rng = np.random.default_rng(seed)
    frames, shape = 12, (36, 52)
    noise = ndimage.gaussian_filter(rng.random((2, frames, *shape)), (0, 0, 2, 2))
    pred = noise[0] > np.quantile(noise[0], 0.85)
    gt = noise[1] > np.quantile(noise[1], 0.8)
    pred[0] = False
    gt[0] = False  # both empty
    pred[1] = False  # one empty
    gt[2] = True  # full frame: no boundary
    pred[3] = np.roll(gt[3], 25, axis=1)  # far apart
    void = rng.random((frames, *shape)) < 0.05
    for v in (None, void):
        disk = tolerance_disk(shape, 0.04)
        j, f = pair_per_frame(prepare_sequence(pred, void=v), prepare_sequence(gt, void=v), disk)
        for t in range(frames):
            vt = None if v is None else v[t]
            assert j[t] == jaccard(pred[t], gt[t], void=vt)
            assert f[t] == boundary_f(pred[t], gt[t], void=vt, bound_th=0.04)


def test_prepare_sequence_never_modifies_its_input() -> None:
    masks = np.ones((2, 4, 4), bool)
    void = np.zeros((2, 4, 4), bool)
    void[:, 0, 0] = True
    geometry = prepare_sequence(masks, void=void)
    assert masks.all()
    assert geometry.areas.tolist() == [15, 15]
    assert not geometry.is_empty
    with pytest.raises(EvaluationError, match=r"\(T, H, W\)"):
        prepare_sequence(np.zeros((4, 4), bool))
