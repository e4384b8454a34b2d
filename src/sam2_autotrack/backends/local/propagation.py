"""The embedded engine's tracker: initial regions → label-map propagation through the video.

The initial regions come from
`initial_masks_from_clicks`.

Propagation (`LabelPropagator`)
    One label map (0 = background, ``k`` = object ``k``) at a working resolution. Per frame:

    1. DIS optical flow from the new frame back to the previous one; the previous label map is
       pulled along it (backward warping leaves no holes). Small objects, whose motion a smooth
       flow averages with their surroundings', are then re-placed where their own pixels match
       best (`template_shift`).
    2. The warped map becomes soft per-label priors by a small Gaussian blur: deep inside a region
       the prior is certain, in a narrow band around each boundary it is not.
    3. Colour appearance models (`appearance`: smoothed 3-D RGB histograms per object and for
       the background, fit on frame 0 and updated slowly from confident interior pixels) give
       per-pixel likelihoods; label = argmax(prior × likelihood^β). So boundaries are re-decided
       every frame by appearance, which stops the drift that pure flow warping accumulates.
    4. Occlusion (`hidden`): an object whose visible area falls well below its reference area
       keeps its model and its last full shape; that shape is carried along with the object's
       constant-velocity prediction and added as a weak prior, so the object is re-acquired
       where its colours reappear near the predicted position. Labels never swap identities
       because each label only grows from its own warped region or its own template.
    5. Leak control (`leak_control`): appearance alone cannot tell two grey things apart, and a
       leaked pixel is then carried along by the flow with whatever it really belongs to. So an
       object only gains pixels close to its warped region that move like it (an affine model of
       the flow over its warped region); newly uncovered pixels, whose flow is unreliable, are
       exempt.
    6. Static remnants (`RemnantShedder`, ``remnant_*`` options): parts of an object's region
       that stay put while the object moves and look unlike its moving parts (a shadow its
       frame-0 region took in, a rock an arm dragged the label over) go back to the background,
       and the object's colour model is refit on what it keeps.
    7. The final soft posteriors are resized to the full frame before the argmax, so output
       boundaries are smooth at full resolution.

Everything is deterministic (no randomness at all).
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.appearance import argmax_labels, colour_density
from sam2_autotrack.backends.local.hidden import ObjectState, add_template_priors
from sam2_autotrack.backends.local.leak_control import limit_growth, weaken_uncovered
from sam2_autotrack.backends.local.options import TrackerOptions
from sam2_autotrack.backends.local.photometric import compensate, lighting_gain
from sam2_autotrack.backends.local.remnants import RemnantShedder, Shed, relative_motion
from sam2_autotrack.backends.local.template_shift import follow_small_objects
from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.validate import as_mask, as_mask_stack, as_rgb_image

__all__ = ["LabelPropagator"]

_PRESETS = {
    "ultrafast": cv2.DISOpticalFlow_PRESET_ULTRAFAST,
    "fast": cv2.DISOpticalFlow_PRESET_FAST,
    "medium": cv2.DISOpticalFlow_PRESET_MEDIUM,
}


_SHED_WEIGHT = 0.2
"""Weight of a shed remnant's colours in the background's appearance models."""


class LabelPropagator:
    """Propagate a multi-object label map through video frames (see the module docstring).

    Parameters
    ----------
    first_rgb
        ``(H, W, 3)`` uint8 RGB frame 0.
    masks
        ``(K, H, W)`` bool initial masks, one per object. Where masks overlap, the smaller one
        wins: an object in front of a region (a ball on a wall) is the more specific of the two,
        and a large region must not take a small object's pixels.
    options
        Tracking parameters; [`TrackerOptions`][sam2_autotrack.backends.local.TrackerOptions]
        defaults when ``None``.

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
        self._dis = self._create_flow()
        ww, wh = self.work_wh
        self._flow = np.zeros((wh, ww, 2), np.float32)
        self._dis_forward = self._create_flow(forward=True)
        self._flow_forward = np.zeros((wh, ww, 2), np.float32)
        self._grid_x, self._grid_y = np.meshgrid(
            np.arange(ww, dtype=np.float32), np.arange(wh, dtype=np.float32)
        )
        small, gray = self._prepare(frame)
        labels = np.zeros((wh, ww), dtype=np.uint8)
        # largest first, so that a smaller mask overwrites a larger one where they overlap
        areas = stack.reshape(self.count, -1).sum(axis=1)
        for k in sorted(range(self.count), key=lambda k: (-int(areas[k]), k)):
            small_mask = (
                cv2.resize(stack[k].astype(np.float32), self.work_wh, interpolation=cv2.INTER_AREA)
                >= 0.5
            )
            labels[small_mask] = k + 1
        self._labels = labels
        self._gray = gray
        self._corrected = small
        index = self._colour_index(small)
        self._index = index
        bins = self.options.hist_bins
        self._hists = np.stack(
            [colour_density(index, labels == k, bins) for k in range(self.count + 1)]
        )
        self._hists_first = self._hists.copy()
        self._objects = []
        for k in range(self.count):
            region = (labels == k + 1).astype(np.float32)
            self._objects.append(ObjectState(ref_area=float(region.sum()), template=region))
        self._remnants = RemnantShedder(labels, self.options)
        self._residuals: dict[int, NDArray[np.float64]] = {}

    # -- helpers ---------------------------------------------------------------------------

    def _create_flow(self, forward: bool = False) -> cv2.DISOpticalFlow:
        """Return a DIS flow: the labels' (backward) one, or the disocclusion check's.

        The forward flow only marks uncovered pixels: the ``"ultrafast"`` preset as it is.
        """
        if forward:
            return cv2.DISOpticalFlow.create(_PRESETS["ultrafast"])
        dis = cv2.DISOpticalFlow.create(_PRESETS[self.options.flow_preset])
        if self.options.flow_finest_scale is not None:
            dis.setFinestScale(self.options.flow_finest_scale)
        if self.options.flow_refinement is not None:
            dis.setVariationalRefinementIterations(self.options.flow_refinement)
        return dis

    def _prepare(self, frame: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
        small: NDArray[np.uint8] = frame
        if (frame.shape[1], frame.shape[0]) != self.work_wh:
            small = np.asarray(
                cv2.resize(frame, self.work_wh, interpolation=cv2.INTER_AREA), dtype=np.uint8
            )
        gray = np.asarray(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
        return small, gray

    def _compensate(
        self,
        small: NDArray[np.uint8],
        warped: NDArray[np.uint8],
        map_x: NDArray[np.float32],
        map_y: NDArray[np.float32],
    ) -> NDArray[np.uint8]:
        """Bring ``small`` to frame 0's colours (`photometric`), measured on the background."""
        # measured on every 4th pixel: block medians of a few hundred pixels are plenty
        sub_x, sub_y = map_x[::4, ::4], map_y[::4, ::4]
        reference = np.asarray(
            cv2.remap(
                self._corrected, sub_x, sub_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            ),
            dtype=np.uint8,
        )
        ww, wh = self.work_wh
        seen = (sub_x >= 0) & (sub_x <= ww - 1) & (sub_y >= 0) & (sub_y <= wh - 1)
        background = (warped[::4, ::4] == 0) & seen
        gain = lighting_gain(small[::4, ::4], reference, background, shape_hw=(wh, ww))
        return compensate(small, gain)

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
        previous = self._corrected
        if opts.lighting_compensation:
            small = self._compensate(small, warped, map_x, map_y)
        self._corrected = small
        if opts.follow_max_area > 0:
            warped, self._residuals = follow_small_objects(
                previous, self._labels, small, warped, (map_x, map_y), self._residuals,
                max_area=opts.follow_max_area, search=opts.follow_search,
                ratio=opts.follow_ratio,
            )  # fmt: skip
        index = self._colour_index(small)
        relative = None
        if opts.remnant_ratio > 0:
            relative = relative_motion(warped, flow, (self._grid_x, self._grid_y))
            self._remnants.advance(warped, relative, (map_x, map_y))
            anchor = opts.model_anchor
            backdrop = anchor * self._hists_first[0] + (1.0 - anchor) * self._hists[0]
            for shed in self._remnants.shed(warped, index, backdrop):
                warped = self._shed(warped, shed, index)
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
            forward = np.asarray(
                self._dis_forward.calc(self._gray, gray, self._flow_forward), dtype=np.float32
            )
            uncovered = weaken_uncovered(
                priors, warped, flow, forward, map_x, map_y, opts.uncovered_weight
            )
        if opts.leak_control:
            limit_growth(priors, warped, flow, uncovered, opts)
        # objects hidden (partly or fully): template prior at the predicted position
        add_template_priors(priors, warped, flow, self._objects, opts)
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
            labels = argmax_labels(posterior)
        else:
            labels = np.where(inside, argmax_labels(posterior[1:]) + 1, 0).astype(np.uint8)
        self._update(labels, index, warped)
        if relative is not None:
            self._remnants.observe(labels, warped, relative, index, uncovered)
        self._labels = labels
        self._gray = gray
        self._index = index
        return self._full_masks(posterior, foreground)

    def add_objects(self, masks: NDArray[np.bool_]) -> None:
        """Start tracking more objects from their masks on the frame last given.

        The new objects get the next labels (object ``count``, ``count + 1``, ...; the masks
        ``step`` returns grow by as many) and take their pixels from any object that held
        them; their colour models are fit on the last frame, like the first objects' on frame 0.

        Parameters
        ----------
        masks
            ``(K, H, W)`` bool masks on the last frame given (``first_rgb`` or the last
            ``step``'s), at its full size.

        Examples
        --------
        >>> import numpy as np
        >>> frame = np.zeros((48, 64, 3), np.uint8); frame[10:30, 10:30] = (255, 0, 0)
        >>> masks = np.zeros((1, 48, 64), bool); masks[0, 10:30, 10:30] = True
        >>> prop = LabelPropagator(frame, masks)
        >>> frame2 = frame.copy(); frame2[5:15, 40:60] = (0, 0, 255)
        >>> _ = prop.step(frame2)
        >>> new = np.zeros((1, 48, 64), bool); new[0, 5:15, 40:60] = True
        >>> prop.add_objects(new)
        >>> out = prop.step(frame2)
        >>> out.shape, bool(out[1, 10, 50]), bool(out[0, 20, 20])
        ((2, 48, 64), True, True)
        """
        stack = as_mask_stack(masks, axes="(K, H, W)", expected_hw=(self.height, self.width))
        if self.count + stack.shape[0] > 254:
            raise MaskError(
                f"the propagator holds {self.count} objects and cannot take {stack.shape[0]} "
                "more (at most 254); track fewer objects"
            )
        bins = self.options.hist_bins
        for mask in stack:
            small_mask = (
                cv2.resize(mask.astype(np.float32), self.work_wh, interpolation=cv2.INTER_AREA)
                >= 0.5
            )
            self.count += 1
            self._labels[small_mask] = self.count
            hist = colour_density(self._index, small_mask, bins)
            self._hists = np.concatenate([self._hists, hist[None]])
            self._hists_first = np.concatenate([self._hists_first, hist[None]])
            region = small_mask.astype(np.float32)
            self._objects.append(ObjectState(ref_area=float(region.sum()), template=region))
        self._remnants.add_objects(self._labels, stack.shape[0])

    def _shed(
        self, warped: NDArray[np.uint8], shed: Shed, index: NDArray[np.int64]
    ) -> NDArray[np.uint8]:
        """Give an object's static remnant back to the background; return the new warped map.

        The object's appearance models are refit on what it keeps (the remnant's colours must
        not pull more of the same back in), the background's take in the remnant's colours, and
        the object's reference shape becomes what it keeps (so it does not count as occluded).
        """
        bins = self.options.hist_bins
        warped = warped.copy()
        warped[shed.pixels] = 0
        k = shed.label
        region = warped == k
        kept = colour_density(index, region, bins)
        self._hists[k] = kept
        self._hists_first[k] = kept
        gone = colour_density(index, shed.pixels, bins)
        for models in (self._hists, self._hists_first):
            models[0] = (1.0 - _SHED_WEIGHT) * models[0] + _SHED_WEIGHT * gone
        state = self._objects[k - 1]
        state.template = region.astype(np.float32)
        state.ref_area = float(np.count_nonzero(region))
        state.offset = np.zeros(2)
        return warped

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
                    self._hists[0] = (1 - rate) * self._hists[0] + rate * colour_density(
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
                    self._hists[k] = (1 - rate) * self._hists[k] + rate * colour_density(
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
            owner = argmax_labels(objects)
            within = as_mask(foreground, name="foreground")
            return np.stack([(owner == k) & within for k in range(self.count)])
        if full_wh == self.work_wh:
            labels = argmax_labels(posterior)
        else:
            labels = argmax_labels(
                np.asarray(cv2.resize(p, full_wh, interpolation=cv2.INTER_LINEAR), np.float32)
                for p in posterior
            )
        masks: NDArray[np.bool_] = np.stack([labels == k + 1 for k in range(self.count)])
        return masks
