"""Quality regression of the embedded engine on the generated suite (issue target: J&F ≥ 0.85).

The whole user path — ``AutoTracker("local").track`` on the encoded clip, objects selected
automatically with one fixed parameter set — is scored against the generator's exact truth.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sam2_autotrack import AutoTracker, SelectionOptions
from sam2_autotrack.testing import SYNTHETIC_SUITE, make_clip

# The one parameter set of the benchmark: the busiest clip has 8 objects at frame 0.
SUITE_SELECTION = SelectionOptions(max_objects=8)


@pytest.mark.slow
def test_suite_mean_jf_reaches_the_target(tmp_path: Path) -> None:
    assert len(SYNTHETIC_SUITE) >= 6
    tracker = AutoTracker("local", selection=SUITE_SELECTION)
    scores: dict[str, float] = {}
    for name in SYNTHETIC_SUITE:
        clip = make_clip(name, frame_count=60)
        files = clip.write(tmp_path / name)
        result = tracker.track(files.video_path)
        report = result.evaluate(clip.masks)
        scores[name] = report.jf_mean
        # identities hold: every matched object is a distinct prediction
        matched = [s.pred_id for s in report.per_object.values() if s.pred_id is not None]
        assert len(matched) == len(set(matched))
    mean = float(np.mean(list(scores.values())))
    assert mean >= 0.85, scores
    # no clip collapses even where the proposals miss small objects
    assert min(scores.values()) >= 0.6, scores
