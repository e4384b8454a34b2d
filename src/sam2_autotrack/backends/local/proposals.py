"""Automatic object proposals on one image with classical CPU segmentation (no model weights).

The embedded engine's answer to SAM 2's automatic mask generator:

1. SLIC superpixels on a working copy of the image (longest side ``work_max_side``), at several
   superpixel counts (greedy merging depends on the starting partition; pooling several makes
   the proposals robust, much as SAM pools crops).
2. Per partition, superpixels are merged greedily on a region adjacency graph. The distance of
   two neighbours is the difference of their colour statistics (Lab mean and spread, so a
   striped or checkered object reads as one texture) plus the mean edge strength along their
   shared boundary (edges of a texture-smoothed Lab image: high on object outlines, low inside
   textures). Every region formed along the way is a candidate.
3. Candidates are scored by how an *object* looks: it differs from the ring of pixels around it
   all the way round (a low percentile of the ring's colour differences) and has a strong
   outline nearly everywhere (a low percentile of the edge strength along it). Parts of objects
   and pieces of background next to objects fail one or both. Candidates below ``min_score``
   are dropped, like SAM's predicted-IoU threshold.
4. When later frames of the video are at hand, DIS optical flow from frame 0 to frame ``k`` (and
   back, to discard pixels occluded in frame ``k``) minus the camera motion (a similarity fit
   with RANSAC) gives each candidate a motion contrast that can nudge its score
   (``motion_weight``) and, optionally, the merge distance (``motion_merge_weight``). Both
   default low: flow in weakly textured background next to a moving object is dragged along
   with it, which misleads more often than it helps.
5. With ``subjects`` (the default), *subject cues* are measured on up to the first scene cut of
   the frames that follow (`cues`): which pixels move
   unlike the camera over several frame offsets, colour saliency; whole-subject candidates
   (moving blobs and their figure-ground cuts) join the superpixel ones, and every candidate's
   score gains from moving unlike its surroundings and loses when it is a static pattern
   element (colour repeat) or a static backdrop reaching two borders
   (`scoring`). With ``motion_segments`` (the default),
   the superpixels that move unlike the camera are cut into segments that join the subject
   candidates and give the motion cue (`motion_segments`); with ``flow_segments``, a moving
   blob whose superpixels move two or more ways gives each way's group as a candidate
   (`flow_segments`: touching objects that look alike). With the learned score, a blob
   holding a candidate that looks and moves unlike the rest of it, when that rest scores as an
   object on its own, is two things: it is dropped and the rest proposed (`remainders`).
6. Best first, a candidate nested in a better one (a part or duplicate) or swallowing a clearly
   better one (object plus background) is dropped; one swallowing a barely better one replaces
   it (the whole of which it is a part). The proposals are nearly disjoint, except the subject
   candidates, which overlap their parts on purpose: the selection decides
   (`pruning`). With motion measured, a candidate holding
   two candidates that move unlike each other is a group of objects, not one, and is dropped.

One job per module: `features` (per-pixel features),
`superpixels` (merging), ``scoring``, ``cues``, ``remainders``, ``pruning``;
this module composes them. Everything is deterministic (SLIC, DIS and the seeded RANSAC, k-means
and GrabCut have no free randomness here).
"""

from __future__ import annotations

import time
from dataclasses import replace

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage.segmentation import slic

from sam2_autotrack.backends.base import MaskProposals
from sam2_autotrack.backends.local.cues import SubjectCues, subject_cues
from sam2_autotrack.backends.local.features import MIN_EDGE_REF, edge_strength, texture_features
from sam2_autotrack.backends.local.motion import camera_residual_flow
from sam2_autotrack.backends.local.options import ProposalOptions
from sam2_autotrack.backends.local.pruning import prune
from sam2_autotrack.backends.local.remainders import split_groups
from sam2_autotrack.backends.local.rescoring import rescore
from sam2_autotrack.backends.local.scoring import (
    Candidate,
    score_candidates,
    score_subject_masks,
)
from sam2_autotrack.backends.local.superpixels import merge_superpixels
from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.validate import as_rgb_image

__all__ = ["propose_masks", "superpixel_count"]


_MIN_SUPERPIXEL_PX = 36.0
"""Smallest mean superpixel area the density rule of `superpixel_count` goes down to."""


def superpixel_count(n_segments: int, area: float, opts: ProposalOptions) -> int:
    """Return the SLIC superpixel count for a partition of ``n_segments`` on ``area`` pixels.

    Working images smaller than ``superpixel_reference_area`` get proportionally more
    superpixels, up to twice the count, but never smaller than 36 pixels on average by this
    rule, and never fewer than ``n_segments``.

    Examples
    --------
    >>> opts = ProposalOptions()
    >>> superpixel_count(600, 320 * 240, opts), superpixel_count(1000, 320 * 240, opts)
    (1200, 2000)
    >>> superpixel_count(600, 640 * 360, opts), superpixel_count(600, 176 * 144, opts)
    (600, 704)
    """
    reference = opts.superpixel_reference_area
    if reference <= 0 or area >= reference:
        return n_segments
    denser = n_segments * min(2.0, reference / area)
    return max(n_segments, round(min(denser, area / _MIN_SUPERPIXEL_PX)))


def propose_masks(
    image_rgb: NDArray[np.uint8],
    *,
    video_frames: NDArray[np.uint8] | None = None,
    options: ProposalOptions | None = None,
) -> MaskProposals:
    """Propose object masks on an RGB image with superpixels, colour and (optionally) motion.

    Parameters
    ----------
    image_rgb
        ``(H, W, 3)`` uint8 RGB image (frame 0 of the video).
    video_frames
        Optional ``(T, H, W, 3)`` uint8 RGB frames that *follow* ``image_rgb`` (frame 1, 2, ...).
        When given, regions moving differently from the camera become strong candidates.
    options
        Generator parameters; [`ProposalOptions`][sam2_autotrack.backends.local.ProposalOptions]
        defaults when ``None``.

    Returns
    -------
    MaskProposals
        Overlapping candidate masks at the image's own size with scores in ``[0, 1]``, best first.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((120, 160, 3), 40, np.uint8)
    >>> img[40:80, 60:110] = (220, 60, 30)
    >>> props = propose_masks(img)
    >>> best = props.masks[0]
    >>> bool(best[60, 85]), bool(best[10, 10])
    (True, False)
    """
    started = time.perf_counter()
    opts = options if options is not None else ProposalOptions()
    image = as_rgb_image(image_rgb)
    if image.shape[0] < 8 or image.shape[1] < 8:
        raise MaskError(f"image_rgb is {image.shape[1]}x{image.shape[0]}; need at least 8x8 pixels")
    height, width = image.shape[:2]
    scale = min(1.0, opts.work_max_side / max(height, width))
    work_wh = (max(8, round(width * scale)), max(8, round(height * scale)))
    work: NDArray[np.uint8] = image
    if scale < 1:
        work = np.asarray(cv2.resize(image, work_wh, interpolation=cv2.INTER_AREA), np.uint8)
    wh, ww = work.shape[:2]

    lab_image = np.asarray(cv2.cvtColor(work, cv2.COLOR_RGB2LAB), dtype=np.uint8)
    features = texture_features(lab_image, opts)
    lab_px = lab_image.astype(np.float64).reshape(-1, 3)
    edge = edge_strength(features)
    edge_ref = max(float(np.percentile(edge, 90)), MIN_EDGE_REF)
    residual: NDArray[np.float32] | None = None
    valid: NDArray[np.bool_] | None = None
    if video_frames is not None:
        frames = np.asarray(video_frames)
        if frames.ndim != 4 or frames.shape[1:] != image.shape:
            raise MaskError(
                f"video_frames must have shape (T, {height}, {width}, 3) like the image; got "
                f"{frames.shape} (pass the frames that follow image_rgb, at the same size)"
            )
        if len(frames):
            later = frames[min(opts.motion_offset, len(frames)) - 1]
            later_w = np.asarray(
                cv2.resize(later, work_wh, interpolation=cv2.INTER_AREA) if scale < 1 else later,
                dtype=np.uint8,
            )
            residual, valid = camera_residual_flow(work, later_w)
            residual[~valid] = np.nan
    total = float(wh * ww)
    scored: list[Candidate] = []
    cues: SubjectCues | None = None
    subject_masks: list[NDArray[np.bool_]] = []
    if opts.subjects:
        cues, subject_masks = subject_cues(work, lab_image, video_frames, opts)
        if residual is not None:
            cues = replace(cues, flow=residual)
    # the learned score needs the motion maps, and something that moves to tell objects by;
    # it re-ranks the candidates, so more of them are let in
    learned = (
        opts.learned_score
        and cues is not None
        and cues.probability is not None
        and bool((cues.probability >= 0.5).any())
    )
    if learned:
        opts = opts.model_copy(update={"min_score": min(opts.min_score, opts.candidate_floor)})
    if cues is not None:
        scored += score_subject_masks(subject_masks, features, edge, cues, opts)
    for n_segments in opts.superpixels:
        count = superpixel_count(n_segments, total, opts)
        # a hierarchy of more superpixels forms proportionally more regions: score as many more
        partition_opts = opts
        if count != n_segments:
            scored_count = round(opts.max_scored * count / n_segments)
            partition_opts = opts.model_copy(update={"max_scored": scored_count})
        labels = slic(
            work,
            n_segments=count,
            compactness=opts.compactness,
            start_label=0,
            channel_axis=-1,
            enforce_connectivity=True,
            max_num_iter=opts.slic_iterations,
        ).astype(np.int64)
        candidates = merge_superpixels(
            labels, lab_px, edge, edge_ref, residual, valid, partition_opts, total_area=total
        )
        scored += score_candidates(
            candidates, labels, int(labels.max()) + 1, features, edge, residual, opts, cues
        )
    if learned and cues is not None:
        scored = rescore(scored, cues, opts.score_model)
        if opts.remainders and residual is not None:
            scored = split_groups(scored, residual, features, edge, cues, opts)
    masks_work, scores = prune(scored, opts, (wh, ww), residual, calibrated=learned)
    if masks_work:
        stack = np.stack(masks_work)
        if scale < 1:
            up = np.empty((len(stack), height, width), dtype=bool)
            for idx, m in enumerate(stack):
                up[idx] = (
                    cv2.resize(
                        m.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
                    )
                    >= 0.5
                )
            stack = up
        result_scores = np.asarray(scores, dtype=np.float64)
    else:
        stack = np.zeros((0, height, width), dtype=bool)
        result_scores = np.zeros(0, dtype=np.float64)
    return MaskProposals(masks=stack, scores=result_scores, seconds=time.perf_counter() - started)
