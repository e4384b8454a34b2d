"""The embedded engine's tracker: clicks → initial regions → label-map propagation.

Initial regions
    Each object's region on frame 0 is the proposal that holds all its positive clicks and none of
    the negatives (or other objects' positives); without one, GrabCut on a crop, seeded by the
    clicks (positives sure-foreground, negatives and the crop border sure-background).

Propagation (:class:`LabelPropagator`)
    One label map (0 = background, ``k`` = object ``k``) at a working resolution. Per frame:

    1. DIS optical flow from the new frame back to the previous one; the previous label map is
       pulled along it (backward warping leaves no holes).
    2. The warped map becomes soft per-label priors by a small Gaussian blur: deep inside a region
       the prior is certain, in a narrow band around each boundary it is not.
    3. Colour appearance models (smoothed 3-D RGB histograms per object and for the background,
       fit on frame 0 and updated slowly from confident interior pixels) give per-pixel
       likelihoods; label = argmax(prior × likelihood^β). So boundaries are re-decided every
       frame by appearance, which stops the drift that pure flow warping accumulates.
    4. Occlusion: an object whose visible area falls well below its reference area keeps its
       model and its last full shape; that shape is carried along with the object's
       constant-velocity prediction and added as a weak prior, so the object is re-acquired
       where its colours reappear near the predicted position. Labels never swap identities
       because each label only grows from its own warped region or its own template.
    5. Leak control: appearance alone cannot tell two grey things apart, and a leaked pixel is
       then carried along by the flow with whatever it really belongs to. So an object only
       gains pixels close to its warped region that move like it (an affine model of the flow
       over its warped region); newly uncovered pixels, whose flow is unreliable, are exempt.
    6. The final soft posteriors are resized to the full frame before the argmax, so output
       boundaries are smooth at full resolution.

Everything is deterministic (no randomness at all).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Literal

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import Field
from scipy.ndimage import gaussian_filter

from sam2_autotrack._options import Options
from sam2_autotrack.backends.base import MaskProposals
from sam2_autotrack.backends.local.grabcut import grabcut_clicks
from sam2_autotrack.clicks import Click, ClickSet
from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.validate import as_mask, as_mask_stack, as_rgb_image

__all__ = ["LabelPropagator", "TrackerOptions", "initial_masks_from_clicks"]

_PRESETS = {
    "ultrafast": cv2.DISOpticalFlow_PRESET_ULTRAFAST,
    "fast": cv2.DISOpticalFlow_PRESET_FAST,
    "medium": cv2.DISOpticalFlow_PRESET_MEDIUM,
}


class TrackerOptions(Options):
    """Parameters of the propagation (one fixed set for every clip).

    Parameters
    ----------
    work_max_side
        Longest side of the working resolution of flow and label map (a 854×480 video is tracked
        at 480×270 by default); outputs are at the video's own size.
    flow_preset
        DIS optical-flow preset: ``"ultrafast"``, ``"fast"`` or ``"medium"``.
    boundary_sigma
        Gaussian blur (working pixels) turning the warped label map into soft priors; it sets the
        width of the band where appearance can move a boundary each frame.
    appearance_power
        Exponent β of the colour likelihood (``0`` ignores appearance, ``1`` trusts it fully).
    hist_bins
        Histogram bins per RGB channel of the appearance models.
    model_update_rate
        Weight of the current frame when the appearance models are updated.
    occluded_area_ratio
        An object whose visible area is below this fraction of its reference area is treated as
        (partly) occluded: its template prior is switched on.
    template_prior
        Strength of the occluded object's template prior at its predicted position.
    prior_floor
        Every label keeps at least this prior everywhere, so strong appearance evidence can
        undo a leak of the flow warp (e.g. background uncovered behind a moving object).
    disocclusion_check
        Also compute the forward flow and, where it does not lead back (background uncovered
        behind a moving object), weaken the label the pixel copied through the backward warp, so
        objects do not grow a tail of background. Costs a second flow per frame.
    uncovered_weight
        Factor applied to the copied label's prior on uncovered pixels.
    posterior_sigma
        Gaussian smoothing (working pixels) of the per-label posteriors before the argmax:
        removes isolated pixels that the per-pixel colour evidence would otherwise flip.
    model_anchor
        Weight of the frame-0 appearance model in the model used on every frame (the rest is
        the slowly updated one), so the models cannot drift away from the object's first look.
    leak_control
        Stop objects from swallowing neighbours of similar colour: an object's prior is zero
        farther than ``growth_radius`` (plus its own speed) from its flow-warped region, and
        pixels next to it whose flow disagrees with the object's affine motion (fit on its
        warped region) get their prior for it scaled by ``motion_gate``. Newly uncovered pixels
        (see ``disocclusion_check``) have no reliable flow and are exempt.
    growth_radius
        Farthest (working pixels, plus the object's speed) an object can grow from its warped
        region in one frame.
    motion_tolerance
        Flow difference (working pixels, plus 25 % of the object's speed) from the object's
        motion model above which a neighbouring pixel is not moving with the object.
    motion_gate
        Factor applied to an object's prior on neighbouring pixels that move differently.

    Examples
    --------
    >>> TrackerOptions(flow_preset="ultrafast").work_max_side
    480
    """

    work_max_side: Annotated[int, Field(ge=64)] = 480
    flow_preset: Literal["ultrafast", "fast", "medium"] = "fast"
    boundary_sigma: Annotated[float, Field(gt=0)] = 1.5
    appearance_power: Annotated[float, Field(ge=0, le=2)] = 0.5
    hist_bins: Annotated[int, Field(ge=4, le=64)] = 16
    model_update_rate: Annotated[float, Field(ge=0, le=1)] = 0.05
    occluded_area_ratio: Annotated[float, Field(gt=0, le=1)] = 0.8
    template_prior: Annotated[float, Field(ge=0, le=1)] = 0.5
    prior_floor: Annotated[float, Field(ge=0, lt=1)] = 0.05
    disocclusion_check: bool = True
    uncovered_weight: Annotated[float, Field(ge=0, le=1)] = 0.2
    posterior_sigma: Annotated[float, Field(ge=0)] = 1.0
    model_anchor: Annotated[float, Field(ge=0, le=1)] = 0.5
    leak_control: bool = True
    growth_radius: Annotated[float, Field(ge=0)] = 12.0
    motion_tolerance: Annotated[float, Field(gt=0)] = 1.5
    motion_gate: Annotated[float, Field(ge=0, le=1)] = 0.05


# -- initial regions -------------------------------------------------------------------------


def _points(clicks: Sequence[Click]) -> NDArray[np.int64]:
    return np.array([[c.x, c.y] for c in clicks], dtype=np.int64).reshape(-1, 2)


def initial_masks_from_clicks(
    image_rgb: NDArray[np.uint8],
    clicks: ClickSet,
    *,
    proposals: MaskProposals | None = None,
) -> dict[str, NDArray[np.bool_]]:
    """Turn each object's frame-0 clicks into an initial mask.

    Parameters
    ----------
    image_rgb
        ``(H, W, 3)`` uint8 RGB frame the clicks are on.
    clicks
        The click set; only clicks on frame 0 are used (an object without any gets an empty mask
        and is picked up by nothing: the local engine seeds on frame 0 only).
    proposals
        Candidate masks of this frame. The chosen one holds all of the object's positive clicks,
        none of its negative clicks and none of the other objects' positive clicks; among those
        that score within 80 % of the best, the largest wins (selection keeps whole objects, and
        the proposals hold few nested candidates). Without a match, GrabCut.

    Returns
    -------
    dict
        ``{object_id: (H, W) bool}`` in the click set's object order.

    Examples
    --------
    >>> import numpy as np
    >>> from sam2_autotrack.clicks import Click, ClickSet
    >>> img = np.zeros((60, 80, 3), np.uint8)
    >>> masks = np.zeros((1, 60, 80), bool); masks[0, 10:30, 20:50] = True
    >>> cs = ClickSet(clicks=(Click(x=30, y=20),))
    >>> out = initial_masks_from_clicks(img, cs, proposals=MaskProposals(masks=masks))
    >>> int(out["obj_1"].sum())
    600
    """
    image = as_rgb_image(image_rgb)
    height, width = image.shape[:2]
    if proposals is not None and proposals.resolution_wh != (width, height):
        raise MaskError(
            f"proposals are {proposals.resolution_wh[0]}x{proposals.resolution_wh[1]} but the "
            f"frame is {width}x{height}; propose on the same frame you track"
        )
    groups = clicks.by_object()
    positives_of = {
        oid: _points([c for c in group if c.frame == 0 and c.is_positive])
        for oid, group in groups.items()
    }
    result: dict[str, NDArray[np.bool_]] = {}
    for oid, group in groups.items():
        pos = positives_of[oid]
        for point in pos:
            if point[0] >= width or point[1] >= height:
                raise MaskError(
                    f"click ({point[0]}, {point[1]}) of {oid!r} is outside the {width}x{height} "
                    "frame; clicks must be in the video's own pixel space"
                )
        neg = _points([c for c in group if c.frame == 0 and not c.is_positive])
        neg = neg[(neg[:, 0] < width) & (neg[:, 1] < height)]
        others = [positives_of[o] for o in groups if o != oid and len(positives_of[o])]
        forbidden = np.concatenate([neg, *others]) if others or len(neg) else neg
        if len(pos) == 0:
            result[oid] = np.zeros((height, width), dtype=bool)
            continue
        chosen: NDArray[np.bool_] | None = None
        if proposals is not None and len(proposals):
            masks = proposals.masks
            hold = masks[:, pos[:, 1], pos[:, 0]].all(axis=1)
            if len(forbidden):
                hold &= ~masks[:, forbidden[:, 1], forbidden[:, 0]].any(axis=1)
            idx = np.flatnonzero(hold)
            if len(idx):
                scores = (
                    proposals.scores[idx]
                    if proposals.scores is not None
                    else np.ones(len(idx), dtype=np.float64)
                )
                good = idx[scores >= 0.8 * scores.max()]
                areas = masks[good].sum(axis=(1, 2))
                chosen = masks[good[int(np.argmax(areas))]].copy()
        if chosen is None:
            chosen = grabcut_clicks(image, pos, neg)
        result[oid] = chosen
    return result


# -- propagation -----------------------------------------------------------------------------


@dataclass
class _ObjectState:
    ref_area: float
    template: NDArray[np.float32]
    offset: NDArray[np.float64] = field(default_factory=lambda: np.zeros(2))
    velocity: NDArray[np.float64] = field(default_factory=lambda: np.zeros(2))


def _argmax_labels(channels: Iterable[NDArray[np.float32]]) -> NDArray[np.uint8]:
    """Per-pixel index of the largest channel (ties: the lower index), as uint8.

    Folding channel by channel is several times faster than ``np.argmax(stack, axis=0)``, whose
    reduction runs across the slow axis, and needs no stacked copy.
    """
    iterator = iter(channels)
    best = np.array(next(iterator), dtype=np.float32, copy=True)
    labels = np.zeros(best.shape, dtype=np.uint8)
    for k, channel in enumerate(iterator, start=1):
        better = channel > best
        labels[better] = k
        np.maximum(best, channel, out=best)
    return labels


def _fit_affine_motion(
    xs: NDArray[np.intp], ys: NDArray[np.intp], flow: NDArray[np.float32], tolerance: float
) -> NDArray[np.float64]:
    """Least-squares affine model ``flow ≈ [x, y, 1] @ model`` of a region's motion, ``(3, 2)``.

    Fit on at most 4000 of the region's pixels, then refit without the pixels that deviate by
    more than ``2 × tolerance`` (a few leaked or badly-flowed pixels must not bend the model).
    """
    step = max(1, len(xs) // 4000)
    px, py = xs[::step], ys[::step]
    design = np.stack([px, py, np.ones_like(px)], axis=1).astype(np.float64)
    target = flow[py, px].astype(np.float64)
    model = np.asarray(np.linalg.lstsq(design, target, rcond=None)[0], dtype=np.float64)
    residual = np.hypot(*(design @ model - target).T)
    inliers = residual <= 2.0 * tolerance
    if 10 <= np.count_nonzero(inliers) < len(px):
        model = np.asarray(
            np.linalg.lstsq(design[inliers], target[inliers], rcond=None)[0], dtype=np.float64
        )
    return model


def _smoothed_hist(
    index: NDArray[np.int64], where: NDArray[np.bool_], bins: int
) -> NDArray[np.float64]:
    counts = np.bincount(index[where], minlength=bins**3).astype(np.float64)
    counts = gaussian_filter(counts.reshape(bins, bins, bins), sigma=0.8, mode="nearest").ravel()
    counts += 1e-3 * max(1.0, float(counts.sum())) / counts.size
    result: NDArray[np.float64] = counts / counts.sum() * counts.size
    return result


class LabelPropagator:
    """Propagate a multi-object label map through video frames (see the module docstring).

    Parameters
    ----------
    first_rgb
        ``(H, W, 3)`` uint8 RGB frame 0.
    masks
        ``(K, H, W)`` bool initial masks, one per object (overlaps go to the later object).
    options
        Tracking parameters; :class:`TrackerOptions` defaults when ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> frame = np.zeros((48, 64, 3), np.uint8); frame[10:30, 10:30] = (255, 0, 0)
    >>> masks = np.zeros((1, 48, 64), bool); masks[0, 10:30, 10:30] = True
    >>> prop = LabelPropagator(frame, masks)
    >>> nxt = np.zeros_like(frame); nxt[10:30, 12:32] = (255, 0, 0)
    >>> out = prop.step(nxt)
    >>> out.shape, bool(out[0, 20, 31]), bool(out[0, 20, 10])
    ((1, 48, 64), True, False)
    """

    def __init__(
        self,
        first_rgb: NDArray[np.uint8],
        masks: NDArray[np.bool_],
        *,
        options: TrackerOptions | None = None,
    ) -> None:
        self.options = options if options is not None else TrackerOptions()
        frame = as_rgb_image(first_rgb, name="first_rgb")
        stack = as_mask_stack(masks, axes="(K, H, W)", expected_hw=frame.shape[:2])
        self.height, self.width = frame.shape[:2]
        self.count = stack.shape[0]
        scale = min(1.0, self.options.work_max_side / max(self.height, self.width))
        self.work_wh = (max(8, round(self.width * scale)), max(8, round(self.height * scale)))
        self._dis = cv2.DISOpticalFlow.create(_PRESETS[self.options.flow_preset])
        ww, wh = self.work_wh
        self._flow = np.zeros((wh, ww, 2), np.float32)
        self._dis_forward = cv2.DISOpticalFlow.create(_PRESETS[self.options.flow_preset])
        self._flow_forward = np.zeros((wh, ww, 2), np.float32)
        self._grid_x, self._grid_y = np.meshgrid(
            np.arange(ww, dtype=np.float32), np.arange(wh, dtype=np.float32)
        )
        small, gray = self._prepare(frame)
        labels = np.zeros((wh, ww), dtype=np.uint8)
        for k in range(self.count):
            small_mask = (
                cv2.resize(stack[k].astype(np.float32), self.work_wh, interpolation=cv2.INTER_AREA)
                >= 0.5
            )
            labels[small_mask] = k + 1
        self._labels = labels
        self._gray = gray
        index = self._colour_index(small)
        bins = self.options.hist_bins
        self._hists = np.stack(
            [_smoothed_hist(index, labels == k, bins) for k in range(self.count + 1)]
        )
        self._hists_first = self._hists.copy()
        self._objects = []
        for k in range(self.count):
            region = (labels == k + 1).astype(np.float32)
            self._objects.append(_ObjectState(ref_area=float(region.sum()), template=region))

    # -- helpers ---------------------------------------------------------------------------

    def _prepare(self, frame: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
        small: NDArray[np.uint8] = frame
        if (frame.shape[1], frame.shape[0]) != self.work_wh:
            small = np.asarray(
                cv2.resize(frame, self.work_wh, interpolation=cv2.INTER_AREA), dtype=np.uint8
            )
        gray = np.asarray(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
        return small, gray

    def _colour_index(self, small: NDArray[np.uint8]) -> NDArray[np.int64]:
        bins = self.options.hist_bins
        q = (small.astype(np.int64) * bins) >> 8
        index: NDArray[np.int64] = (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]
        return index

    # -- one frame -------------------------------------------------------------------------

    def step(
        self, frame_rgb: NDArray[np.uint8], *, foreground: NDArray[np.bool_] | None = None
    ) -> NDArray[np.bool_]:
        """Advance to the next frame and return its ``(K, H, W)`` bool masks at full size.

        Parameters
        ----------
        frame_rgb
            ``(H, W, 3)`` uint8 RGB frame following the previous one.
        foreground
            Optional ``(H, W)`` bool mask of where the objects are on this frame (e.g. the union
            mask of a segmentation model). Given, the propagation only decides *whose* each
            foreground pixel is: the returned masks partition ``foreground`` exactly, and inside
            it every object keeps ``prior_floor``, so clear colour evidence can claim a part that
            no object's warped region reaches (an object coming out from behind another).
        """
        frame = np.asarray(frame_rgb)
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise MaskError(
                f"frame must be ({self.height}, {self.width}, 3) uint8 like frame 0; got "
                f"{frame.shape} {frame.dtype} (every frame of a video has the same size)"
            )
        opts = self.options
        small, gray = self._prepare(frame)
        # flow from the new frame to the previous one (backward warping leaves no holes)
        flow = np.asarray(self._dis.calc(gray, self._gray, self._flow), dtype=np.float32)
        map_x = self._grid_x + flow[..., 0]
        map_y = self._grid_y + flow[..., 1]
        warped = np.asarray(
            cv2.remap(
                self._labels, map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE
            ),
            dtype=np.uint8,
        )
        n_labels = self.count + 1
        priors = np.empty((n_labels, *warped.shape), dtype=np.float32)
        floor = opts.prior_floor
        for k in range(n_labels):
            blurred = cv2.GaussianBlur(
                (warped == k).astype(np.float32), (0, 0), opts.boundary_sigma
            )
            priors[k] = (1.0 - floor) * blurred + floor
        uncovered = None
        if opts.disocclusion_check:
            uncovered = self._weaken_uncovered(priors, warped, flow, gray, map_x, map_y)
        if opts.leak_control:
            self._limit_growth(priors, warped, flow, uncovered)
        # objects hidden (partly or fully): template prior at the predicted position
        for k, state in enumerate(self._objects):
            moved = flow[warped == k + 1]
            if len(moved) >= 10:
                state.velocity = 0.7 * state.velocity + 0.3 * (-moved.mean(axis=0))
            area = float(np.count_nonzero(warped == k + 1))
            state.offset += state.velocity
            if area < opts.occluded_area_ratio * state.ref_area and opts.template_prior > 0:
                shift = np.array(
                    [[1, 0, state.offset[0]], [0, 1, state.offset[1]]], dtype=np.float32
                )
                template = cv2.warpAffine(state.template, shift, self.work_wh)
                template = cv2.GaussianBlur(template, (0, 0), 2.0 * opts.boundary_sigma)
                np.maximum(priors[k + 1], opts.template_prior * template, out=priors[k + 1])
        index = self._colour_index(small)
        anchor = opts.model_anchor
        models = anchor * self._hists_first + (1.0 - anchor) * self._hists
        likelihood = models[:, index].astype(np.float32)
        if opts.appearance_power != 1:
            np.power(likelihood, opts.appearance_power, out=likelihood)
        inside = None if foreground is None else self._inside(foreground)
        if inside is not None:
            # the foreground is given: no background inside it, and there every object keeps the
            # floor prior (leak control guards against grabbing *background*), so clear colour
            # evidence can claim a part that no object's warped region reaches
            priors[0][inside] = 0.0
            np.maximum(priors[1:], floor * inside.astype(np.float32), out=priors[1:])
        posterior = priors * likelihood
        if inside is not None:
            unreached = inside & (posterior[1:].sum(axis=0) <= 1e-20)  # prior_floor=0
            posterior[1:, unreached] = likelihood[1:, unreached]
        posterior /= np.maximum(posterior.sum(axis=0, keepdims=True), 1e-20)
        if opts.posterior_sigma > 0:
            for k in range(n_labels):
                posterior[k] = cv2.GaussianBlur(posterior[k], (0, 0), opts.posterior_sigma)
        if inside is None:
            labels = _argmax_labels(posterior)
        else:
            labels = np.where(inside, _argmax_labels(posterior[1:]) + 1, 0).astype(np.uint8)
        self._update(labels, index, warped)
        self._labels = labels
        self._gray = gray
        return self._full_masks(posterior, foreground)

    def _inside(self, foreground: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """Return the working-resolution foreground (pixels at least half covered)."""
        full = as_mask(foreground, name="foreground")
        if full.shape != (self.height, self.width):
            raise MaskError(
                f"foreground is {full.shape[1]}x{full.shape[0]} but the frames are "
                f"{self.width}x{self.height}; pass the union mask of this frame at its own size"
            )
        if (self.width, self.height) == self.work_wh:
            return full
        small = cv2.resize(full.astype(np.float32), self.work_wh, interpolation=cv2.INTER_AREA)
        inside: NDArray[np.bool_] = small >= 0.5
        return inside

    def _limit_growth(
        self,
        priors: NDArray[np.float32],
        warped: NDArray[np.uint8],
        flow: NDArray[np.float32],
        uncovered: NDArray[np.bool_] | None,
    ) -> None:
        """Stop objects from growing onto neighbours of similar colour.

        Appearance alone cannot tell two grey things apart, and once a pixel is taken the flow
        carries it along with whatever it belongs to. So an object may only gain pixels that are
        close to its flow-warped region and move like the object itself.
        """
        opts = self.options
        for k in range(self.count):
            region = warped == k + 1
            ys, xs = np.nonzero(region)
            if len(xs) < 20:
                continue
            prior = priors[k + 1]
            model = _fit_affine_motion(xs, ys, flow, opts.motion_tolerance)
            centre = np.array([xs.mean(), ys.mean(), 1.0])
            speed = float(np.hypot(*(centre @ model)))
            radius = int(np.ceil(opts.growth_radius + speed))
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
            near = cv2.dilate(region.astype(np.uint8), kernel) > 0
            # no appearance-only jumps far from the object
            prior[~near] = 0.0
            band = near & ~region
            if uncovered is not None:
                # newly uncovered pixels have no reliable flow: appearance decides there
                band &= ~uncovered
            by, bx = np.nonzero(band)
            if len(bx) == 0:
                continue
            predicted = np.stack([bx, by, np.ones_like(bx)], axis=1).astype(np.float64) @ model
            observed = flow[by, bx]
            deviation = np.hypot(observed[:, 0] - predicted[:, 0], observed[:, 1] - predicted[:, 1])
            foreign = deviation > opts.motion_tolerance * (1.0 + 0.25 * speed)
            prior[by[foreign], bx[foreign]] *= opts.motion_gate

    def _weaken_uncovered(
        self,
        priors: NDArray[np.float32],
        warped: NDArray[np.uint8],
        flow: NDArray[np.float32],
        gray: NDArray[np.uint8],
        map_x: NDArray[np.float32],
        map_y: NDArray[np.float32],
    ) -> NDArray[np.bool_]:
        """Weaken the copied label where the forward flow does not lead back (uncovered pixels).

        Background uncovered behind a moving object cannot belong to the object that moved away,
        but the backward warp copies that object's label onto it; left alone, objects grow a
        tail of background.
        """
        forward = np.asarray(
            self._dis_forward.calc(self._gray, gray, self._flow_forward), dtype=np.float32
        )
        back = cv2.remap(forward, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        error = np.hypot(flow[..., 0] + back[..., 0], flow[..., 1] + back[..., 1])
        speed = np.hypot(flow[..., 0], flow[..., 1])
        uncovered: NDArray[np.bool_] = error > 1.0 + 0.2 * speed
        if not uncovered.any():
            return uncovered
        index = warped[None].astype(np.int64)
        copied = np.take_along_axis(priors, index, axis=0)
        weakened = np.where(uncovered[None], self.options.uncovered_weight * copied, copied)
        np.put_along_axis(priors, index, weakened.astype(np.float32), axis=0)
        return uncovered

    def _update(
        self, labels: NDArray[np.uint8], index: NDArray[np.int64], warped: NDArray[np.uint8]
    ) -> None:
        opts = self.options
        rate = opts.model_update_rate
        kernel = np.ones((3, 3), np.uint8)
        for k in range(self.count + 1):
            region = labels == k
            # confident pixels only: inside the region and where the flow agrees
            interior = (cv2.erode(region.astype(np.uint8), kernel) > 0) & (warped == k)
            if k == 0:
                if rate > 0 and interior.any():
                    self._hists[0] = (1 - rate) * self._hists[0] + rate * _smoothed_hist(
                        index, interior, opts.hist_bins
                    )
                continue
            state = self._objects[k - 1]
            area = float(region.sum())
            if area >= opts.occluded_area_ratio * state.ref_area:
                # fully visible: refresh the reference shape and area
                state.ref_area = 0.9 * state.ref_area + 0.1 * area
                state.template = region.astype(np.float32)
                state.offset = np.zeros(2)
                if rate > 0 and np.count_nonzero(interior) >= 20:
                    self._hists[k] = (1 - rate) * self._hists[k] + rate * _smoothed_hist(
                        index, interior, opts.hist_bins
                    )

    def _full_masks(
        self, posterior: NDArray[np.float32], foreground: NDArray[np.bool_] | None = None
    ) -> NDArray[np.bool_]:
        full_wh = (self.width, self.height)
        if foreground is not None:
            objects: Iterable[NDArray[np.float32]] = posterior[1:]
            if full_wh != self.work_wh:
                objects = (
                    np.asarray(cv2.resize(p, full_wh, interpolation=cv2.INTER_LINEAR), np.float32)
                    for p in posterior[1:]
                )
            owner = _argmax_labels(objects)
            within = as_mask(foreground, name="foreground")
            return np.stack([(owner == k) & within for k in range(self.count)])
        if full_wh == self.work_wh:
            labels = _argmax_labels(posterior)
        else:
            labels = _argmax_labels(
                np.asarray(cv2.resize(p, full_wh, interpolation=cv2.INTER_LINEAR), np.float32)
                for p in posterior
            )
        masks: NDArray[np.bool_] = np.stack([labels == k + 1 for k in range(self.count)])
        return masks
