"""Subject cues of the proposal generator: motion unlike the camera, saliency, subject masks.

`subject_cues` measures, at about 320 px, what the candidates' scores need beyond colour
and edges (which pixels move unlike the camera, how salient each pixel is) and the whole-subject
candidates (moving blobs and their figure-ground cuts, the close-up subject, optionally the centre
and salient cuts),
and brings them back to the working resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.alignment import aligned_difference
from sam2_autotrack.backends.local.closeup import closeup_subject
from sam2_autotrack.backends.local.difference_segments import difference_segments
from sam2_autotrack.backends.local.features import REPEAT_BIN_COUNT, colour_bins
from sam2_autotrack.backends.local.flow_segments import flow_segments
from sam2_autotrack.backends.local.motion import camera_residual_flow, residual_motion
from sam2_autotrack.backends.local.motion_segments import motion_map, motion_segments
from sam2_autotrack.backends.local.options import ProposalOptions
from sam2_autotrack.backends.local.subjects import (
    border_contrast_saliency,
    centre_subject,
    moving_subjects,
)
from sam2_autotrack.video.cuts import first_cut

__all__ = ["SubjectCues", "subject_cues"]


@dataclass(frozen=True)
class SubjectCues:
    """Subject cues at the working resolution of the proposal generator.

    Attributes
    ----------
    moving
        ``(h, w)`` bool: pixels moving unlike the camera (motion evidence at least
        ``ProposalOptions.moving_evidence``), ``None`` without later frames.
    saliency
        ``(h, w)`` float32 border-contrast saliency in ``[0, 1]``.
    colour_bins
        ``(h, w)`` coarse colour bin of every pixel
        (`colour_bins`).
    colour_histogram
        How many pixels of the frame fall in each bin (the colour-repeat term).
    evidence
        ``(h, w)`` float32 motion evidence (residual flow over its noise level,
        `residual_motion`), ``None`` without later frames.
    difference
        ``(h, w)`` float32 camera-compensated frame difference over its noise level
        (`aligned_difference`), ``None`` without later frames or ``motion_segments``.
    probability
        ``(h, w)`` float32 per-superpixel probability of moving independently
        (`motion_map`), ``None`` without later frames or ``motion_segments``.
    flow
        ``(h, w, 2)`` float32 flow from frame 0 to frame ``ProposalOptions.motion_offset``
        minus the camera's (`camera_residual_flow`), NaN where untrusted; ``None`` without
        later frames. Set by the proposal generator, which measures it at this resolution.
    """

    moving: NDArray[np.bool_] | None
    saliency: NDArray[np.float32]
    colour_bins: NDArray[np.int64]
    colour_histogram: NDArray[np.int64]
    evidence: NDArray[np.float32] | None = None
    difference: NDArray[np.float32] | None = None
    probability: NDArray[np.float32] | None = None
    flow: NDArray[np.float32] | None = None


def subject_cues(
    work: NDArray[np.uint8],
    lab_image: NDArray[np.uint8],
    video_frames: NDArray[np.uint8] | None,
    opts: ProposalOptions,
) -> tuple[SubjectCues, list[NDArray[np.bool_]]]:
    """Motion evidence, saliency and whole-subject candidates, at the working resolution.

    The cues are measured on a copy of ``work`` (frame 0 at the working resolution, its 8-bit
    Lab version ``lab_image``) at most 320 px on its longest side: saliency always; with
    ``video_frames`` (the frames after frame 0, any size), the motion evidence of the frames up
    to the first scene cut and the moving subjects it gives (with ``motion_segments``, the
    superpixels moving unlike the camera, `motion_segments`,
    give the ``moving`` cue and candidates too, and with ``flow_segments`` the differently
    moving groups of each moving blob, `flow_segments`); with ``closeup_subjects``, the close-up
    subject cut from the open-bottom frame (`closeup`); with ``centre_subject`` and
    ``salient_subjects``, those candidates too. The colour bins are taken at the working
    resolution.

    Returns
    -------
    tuple
        ``(cues, candidates)``: the cues and the ``(h, w)`` bool subject candidates, both at
        ``work``'s size.
    """
    wh, ww = work.shape[:2]
    scale = min(1.0, 320 / max(wh, ww))
    small_wh = (max(8, round(ww * scale)), max(8, round(wh * scale)))
    small = work
    if scale < 1:
        small = np.asarray(cv2.resize(work, small_wh, interpolation=cv2.INTER_AREA), np.uint8)
    saliency = border_contrast_saliency(small)
    candidates: list[NDArray[np.bool_]] = []
    moving: NDArray[np.bool_] | None = None
    maps: dict[str, NDArray[np.float32]] = {}
    if video_frames is not None and len(video_frames):
        follow = np.asarray(video_frames)
        shots = [small] + [
            np.asarray(cv2.resize(f, small_wh, interpolation=cv2.INTER_AREA), np.uint8)
            for f in follow
        ]
        stack = np.stack(shots)
        shot = stack[: first_cut(stack)]
        motion = residual_motion(shot)
        if motion is not None:
            candidates += moving_subjects(small, motion.evidence, saliency)
            moving = _up(motion.evidence >= opts.moving_evidence, (ww, wh))
            maps["evidence"] = motion.evidence
            if opts.motion_segments:
                difference = aligned_difference(shot)
                superpixels = motion_map(small, motion.evidence, difference)
                maps["difference"] = difference
                maps["probability"] = superpixels.probability
                if opts.difference_segments:
                    candidates += difference_segments(difference, superpixels.labels)
                if opts.flow_segments:
                    later = shot[min(opts.flow_offset, len(shot) - 1)]
                    flow, valid = camera_residual_flow(shot[0], later)
                    candidates += flow_segments(superpixels, flow, valid)
                # a segment the flow does not see moving is the aligned difference's false alarm
                # (background an object is about to cover, a lighting change)
                candidates += [
                    segment
                    for segment in motion_segments(small, superpixels)
                    if float(np.median(motion.evidence[segment])) >= opts.moving_evidence
                ]
                # moving: the superpixel model says so and the flow does not say static
                # (background that an object is about to cover differs, but has no flow)
                half = motion.evidence >= 0.5 * opts.moving_evidence
                moving = _up((superpixels.probability >= 0.5) & half, (ww, wh))
    if opts.closeup_subjects:
        closeup = closeup_subject(small)
        if closeup is not None:
            candidates.append(closeup)
    if opts.centre_subject:
        centre = centre_subject(small)
        if centre is not None:
            candidates.append(centre)
    if opts.salient_subjects:
        # salient blobs (saliency 0.75 seeds a blob, 0.5 grows it), same figure-ground
        candidates += moving_subjects(small, (4.0 * saliency).astype(np.float32), None)
    bins = colour_bins(lab_image)
    cues = SubjectCues(
        moving=moving,
        saliency=_upf(saliency, (ww, wh)),
        colour_bins=bins,
        colour_histogram=np.bincount(bins.ravel(), minlength=REPEAT_BIN_COUNT),
        **{name: _upf(np.nan_to_num(values), (ww, wh)) for name, values in maps.items()},
    )
    return cues, [_up(c, (ww, wh)) for c in candidates]


def _up(mask: NDArray[np.bool_], wh: tuple[int, int]) -> NDArray[np.bool_]:
    if (mask.shape[1], mask.shape[0]) == wh:
        return mask
    out: NDArray[np.bool_] = (
        cv2.resize(mask.astype(np.float32), wh, interpolation=cv2.INTER_LINEAR) >= 0.5
    )
    return out


def _upf(values: NDArray[np.float32], wh: tuple[int, int]) -> NDArray[np.float32]:
    if (values.shape[1], values.shape[0]) == wh:
        return values
    return np.asarray(cv2.resize(values, wh, interpolation=cv2.INTER_LINEAR), np.float32)
