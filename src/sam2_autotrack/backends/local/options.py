"""Settings of the embedded engine: the proposal generator and the tracker.

[`ProposalOptions`][sam2_autotrack.backends.local.ProposalOptions] sets `propose_masks`
(superpixel merging, candidate scoring with colour, edge, motion and subject cues, pruning);
[`TrackerOptions`][sam2_autotrack.backends.local.TrackerOptions] sets the label propagation of
`LabelPropagator`. Both are one fixed set for
every clip, frozen, and checked when given.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from sam2_autotrack._options import Options

__all__ = ["ProposalOptions", "TrackerOptions"]


class ProposalOptions(Options):
    """Parameters of the classical proposal generator (one fixed set; not tuned per clip).

    Attributes
    ----------
    work_max_side
        Longest side, in pixels, of the working copy segmented into superpixels. 640 keeps a
        854×480 frame at 0.75 scale (about 0.2 s of SLIC); masks are resized back to the image.
    superpixels
        Approximate numbers of SLIC superpixels; the merge hierarchy is built once per entry and
        the candidates of all of them are pooled (greedy merging is sensitive to the starting
        partition; several partitions make the proposals robust, as SAM's multi-crop does).
    superpixel_reference_area
        The ``superpixels`` counts are for working images of at least this many pixels; smaller
        ones get proportionally more, up to twice (a 320×240 frame: 1200 and 2000) and never
        below 36 pixels a superpixel on average (a 176×144 frame: 704 and 1000), so an object
        of a few hundred pixels still spans several superpixels and its outline follows theirs
        (0: the counts as given at every size). ``max_scored`` grows in proportion.
    compactness
        SLIC compactness (higher: squarer superpixels, lower: they follow colour edges more).
    slic_iterations
        k-means iterations of SLIC (scikit-image's default is 10; 6 is nearly as good and
        faster).
    motion_offset
        Frame ``k`` whose motion relative to frame 0 is measured (the last available frame when
        the video is shorter).
    motion_merge_weight
        Weight, in the merge distance, of the residual-motion difference of two neighbours
        (in units of ``moving_px``). 0 by default: flow in weakly textured background next to a
        moving object is dragged along with it, which merges object and background more often
        than it separates touching objects.
    motion_weight
        Share of the motion contrast (how much of the ring around a candidate moves unlike it)
        in the score of a candidate that moves independently of the camera; candidates that do
        not move lose half of this share.
    moving_px
        Mean residual motion (working pixels over ``k`` frames) above which a region is "moving
        independently of the camera".
    colour_scale
        Colour difference (Lab units) that counts as distance 1 when merging and as contrast 0.5
        when scoring.
    edge_weight
        Weight of the mean edge strength along the boundary two neighbours share (relative to
        the image's 90th-percentile edge strength) in their merge distance.
    ring_percentile
        A candidate's colour contrast is this percentile of the colour differences between it and
        the pixels of a ring around it, and its outline strength this percentile of the edge
        strength along its outline: low percentiles demand contrast all around (an object),
        which parts of objects and background next to objects lack.
    enclosed_penalty
        The score is multiplied by ``1 - enclosed_penalty * f``, ``f`` the fraction of the
        candidate's pixels within ``colour_scale`` of its surroundings' mean colour: a ring's
        candidate that swallowed the hole, or an object plus a piece of background, holds
        pixels that look like what is around it.
    confidence_span
        The reported confidence is ``(score - min_score) / confidence_span`` clipped to
        ``[0, 1]``, so it spreads over the whole range that a selection step weighs.
    colour_weight
        Share of the colour contrast in the score; the outline strength has the rest.
    min_score
        Candidates scoring below this are not proposed (SAM's generator likewise drops masks
        below a predicted-IoU threshold): on the synthetic suite it keeps about 95 % of the
        object candidates and drops about 99.7 % of the background ones.
    edge_percentile
        Edge strength at this percentile of the image counts as a full-strength outline when a
        candidate's outline is scored.
    texture_window
        Window (fraction of the working image's longest side) over which colour means and
        standard deviations are taken, so a striped or checkered object reads as one texture.
    texture_weight
        Weight of the colour standard deviations relative to the colour means.
    lightness_weight
        Weight of the mean lightness (L) relative to the chromaticity (a, b) when merging:
        below 1 makes merging tolerant of shading across one object.
    merge_threshold
        Merging stops when the closest pair of neighbours is further apart than this.
    min_area_fraction, max_area_fraction
        Candidates outside this fraction of the frame are not emitted.
    max_scored
        Per superpixel partition, only this many regions of the merge hierarchy are scored: those
        with the strongest mean edge along their outline when they formed (a cheap proxy of
        the full score; scoring is the costly step).
    nested_fraction
        A candidate with this fraction of its area inside a better-scored one is dropped as a
        part or duplicate of it (a candidate holding 80 % of a better-scored one is dropped
        too, see ``whole_margin``), so the proposals are mostly disjoint and a "keep the whole"
        selection cannot pick an object-plus-background blob over the object.
    whole_margin
        A candidate holding 80 % of a better-scored one replaces it (as the whole of which the
        better one is a part) when its score is at most this much lower; further below, it is
        dropped as the better one plus background.
    part_score_margin, part_area_fraction
        With the learned score (`rescoring`: a predicted IoU, under which a
        mere fragment scores low), a candidate nested in a better-scored one is kept all the
        same when it covers at most
        ``part_area_fraction`` of it and scores at most ``part_score_margin`` below it: the
        better one may be two objects caught in one blob (neighbours moving together), and the
        selection, which weighs parts against wholes, decides (defaults 0.1 and 0.75).
    max_proposals
        At most this many candidates are returned (best score first).
    subjects
        Also propose whole *subjects* (`subjects`): blobs
        moving unlike the camera over the frames given (up to the first scene cut), their GrabCut
        figure-ground cuts, and the cuts grown from salient blobs (colours unlike the backdrop
        seen on the border). They join differently coloured parts that move or stand out
        together (face, shirt, suit) and may be up to ``subject_max_area_fraction`` of the frame
        (a close-up).
    subject_max_area_fraction
        Largest subject candidate, as a fraction of the frame.
    subject_weight
        How much a candidate that moves unlike the ring around it gains: the score becomes
        ``1 - (1 - score) * (1 - subject_weight * m)``, ``m`` the fraction of its pixels moving
        (evidence at least ``moving_evidence``) minus the fraction of its ring moving (clipped
        to ``[0, 1]``). A candidate carried by motion can then pass ``min_score`` although its
        colours are close to its surroundings.
    moving_evidence
        Motion evidence (noise levels,
        [`residual_motion`][sam2_autotrack.backends.local.residual_motion]) above which a pixel
        moves unlike the camera.
    salient_subjects
        Also grow subject candidates from salient blobs (off by default: on the real clips they
        were mostly grass and sky, and on the generated suite they merged neighbours).
    saliency_weight
        Like ``subject_weight`` for the saliency contrast (mean saliency inside minus in the
        ring); 0 by default (on the tuning clips saliency alone misled more than it helped).
    repeat_weight
        Pattern elements are not objects: a candidate's *colour repeat* is the share of its
        pixels whose coarse Lab colour (L by 10 %, a and b by 8) is at least as common in the
        rest of the frame (``sum_b min(n_in, n_out) / n_in``): near 1 for a stripe of a sunshade,
        a blotch of camouflage, a tile, a patch of grass; low for a subject with colours of its
        own. A *static* candidate (motion contrast below ``static_motion``) has its score
        multiplied by ``1 - repeat_weight * repeat``. Candidates that move unlike their
        surroundings are exempt: a grey rabbit moving among grey rocks is a subject although
        its colours repeat.
    static_motion
        Share of a candidate's pixels moving unlike the camera below which it counts as static
        for ``repeat_weight`` and ``static_backdrop_weight``. Without later frames every
        candidate is static.
    motion_segments
        With later frames, find the objects by their motion
        (`motion_segments`): the SLIC superpixels of frame 0
        that move unlike the camera (flow evidence and camera-compensated frame differencing,
        combined per superpixel by a fitted logistic model) are cut from the rest with a graph
        cut, each connected segment (refined by GrabCut) is a subject candidate, and these
        superpixels, not the raw flow evidence, are the ``moving`` cue of the scores. Segments
        that move together become one candidate whatever their colours; outlines follow
        superpixel edges instead of the flow's halo (on textured backgrounds coloured like the
        objects, motion is what tells them apart).
    closeup_subjects
        Also propose the *close-up subject* (`closeup`): GrabCut
        from the whole frame except thin strips along the top and sides (their colours are
        backdrop), open at the bottom, kept when the cut is large (15-65 % of the frame), stands
        on the bottom border and does not run along the top or side strips. It holds a
        head-and-shoulders subject whole (hair, face, shirt and suit) that colour merging splits
        and motion misses (the talking head moves a little, the torso not at all, the scenery
        through a window behind a lot); like the other subject candidates it is scored, and the
        selection decides.
    centre_subject
        Also propose the figure-ground cut of the frame's centre: GrabCut started from a
        rectangle 10 % in from the left and right borders and 6 % from the top and bottom
        (what lies outside it is backdrop): the way a shot is framed, the subject sits in the
        middle. It joins the differently coloured
        parts of a person in close-up (hair, face, shirt, suit) that neither colour merging nor
        motion groups; like the other subject candidates it is scored, and the selection
        decides.
    static_backdrop_weight
        When motion was measured, a static candidate that reaches two or more image borders
        (along at least a tenth of the shorter side each: a wall in a corner, a window, a
        floor, a pillar) has its score multiplied by ``1 - static_backdrop_weight``: what
        reaches across the frame is backdrop unless it moves unlike the camera (a vehicle
        crossing the frame, a person in close-up reaching the bottom edge stays unaffected as
        it reaches one border).
    learned_score
        With motion measured (``subjects`` and ``motion_segments`` on, later frames given),
        replace the hand-made score by the learned one of `rescoring`: a model (``score_model``)
        of colour, outline, motion, saliency, size and shape terms that predicts each
        candidate's IoU with the object it stands for. Proposal scores are then that predicted
        IoU.
    score_model
        The learned score's model: ``"boosted"`` (a logistic fit plus shrunken boosted trees,
        `rescoring`) or ``"logistic"`` (one weighted sum, the previous default). On the 48
        held-out synthetic clips J&F 0.827 against 0.801 (121 against 117 of 138 objects
        found).
    difference_segments
        With ``motion_segments``, also propose the connected regions of the thresholded
        camera-compensated frame difference (`difference_segments`): objects coloured like a
        textured background, which neither colour nor flow separates, still differ from the
        frames that follow where they move.
    flow_segments, flow_offset
        With ``motion_segments``, also propose the differently-moving groups of each moving
        blob (`flow_segments`): objects that touch or overlap in frame 0 move each their own
        way. Their flow is measured from frame 0 to frame ``flow_offset`` (or the shot's last).
    remainders, remainder_min_score
        With ``learned_score`` in effect, split blobs of two things (`remainders`): when a
        well-scored candidate inside a blob moves unlike the rest of the blob and that rest,
        scored on its own, reaches ``remainder_min_score``, the blob is dropped and the rest
        proposed: of two objects found only together and the one of them that stands out, the
        other.
    candidate_floor
        With ``learned_score`` in effect, the hand-made score a candidate needs to be scored
        by the learned model (lower than ``min_score``: the model tells more of them apart).
    learned_floor
        With ``learned_score`` in effect, candidates whose predicted IoU is below this are not
        proposed (a moving blob that is mostly the flow's halo around a small object).

    Examples
    --------
    >>> opts = ProposalOptions(superpixels=(400,), min_score=0.4)
    >>> opts.superpixels, opts.work_max_side
    ((400,), 640)
    """

    work_max_side: Annotated[int, Field(ge=64)] = 640
    superpixels: tuple[Annotated[int, Field(ge=16)], ...] = (600, 1000)
    superpixel_reference_area: Annotated[int, Field(ge=0)] = 153_600
    compactness: Annotated[float, Field(gt=0)] = 12.0
    slic_iterations: Annotated[int, Field(ge=1)] = 6
    motion_offset: Annotated[int, Field(ge=1)] = 5
    motion_merge_weight: Annotated[float, Field(ge=0)] = 0.0
    motion_weight: Annotated[float, Field(ge=0, le=1)] = 0.05
    moving_px: Annotated[float, Field(gt=0)] = 1.5
    merge_threshold: Annotated[float, Field(gt=0)] = 10.0
    colour_scale: Annotated[float, Field(gt=0)] = 12.0
    edge_weight: Annotated[float, Field(ge=0)] = 1.0
    ring_percentile: Annotated[float, Field(ge=0, le=100)] = 15.0
    colour_weight: Annotated[float, Field(ge=0, le=1)] = 0.6
    min_score: Annotated[float, Field(ge=0, le=1)] = 0.45
    confidence_span: Annotated[float, Field(gt=0, le=1)] = 0.35
    enclosed_penalty: Annotated[float, Field(ge=0, le=1)] = 1.0
    edge_percentile: Annotated[float, Field(ge=0, le=100)] = 90.0
    texture_window: Annotated[float, Field(gt=0, le=0.2)] = 0.025
    texture_weight: Annotated[float, Field(ge=0)] = 1.0
    lightness_weight: Annotated[float, Field(ge=0)] = 0.75
    min_area_fraction: Annotated[float, Field(ge=0, le=1)] = 0.002
    max_area_fraction: Annotated[float, Field(gt=0, le=1)] = 0.35
    max_proposals: Annotated[int, Field(ge=1)] = 64
    nested_fraction: Annotated[float, Field(gt=0, le=1)] = 0.9
    whole_margin: Annotated[float, Field(ge=0, le=1)] = 0.03
    part_score_margin: Annotated[float, Field(ge=0, le=1)] = 0.1
    part_area_fraction: Annotated[float, Field(gt=0, le=1)] = 0.75
    max_scored: Annotated[int, Field(ge=1)] = 200
    subjects: bool = True
    subject_max_area_fraction: Annotated[float, Field(gt=0, le=1)] = 0.65
    subject_weight: Annotated[float, Field(ge=0, le=1)] = 0.6
    moving_evidence: Annotated[float, Field(gt=0)] = 2.0
    saliency_weight: Annotated[float, Field(ge=0, le=1)] = 0.0
    salient_subjects: bool = False
    repeat_weight: Annotated[float, Field(ge=0, le=1)] = 0.8
    static_motion: Annotated[float, Field(ge=0, le=1)] = 0.15
    static_backdrop_weight: Annotated[float, Field(ge=0, le=1)] = 0.3
    centre_subject: bool = False
    closeup_subjects: bool = True
    motion_segments: bool = True
    learned_score: bool = True
    score_model: Literal["logistic", "boosted"] = "boosted"
    difference_segments: bool = True
    flow_segments: bool = True
    flow_offset: Annotated[int, Field(ge=1)] = 8
    remainders: bool = True
    remainder_min_score: Annotated[float, Field(ge=0, le=1)] = 0.5
    candidate_floor: Annotated[float, Field(ge=0, le=1)] = 0.25
    learned_floor: Annotated[float, Field(ge=0, le=1)] = 0.2


class TrackerOptions(Options):
    """Parameters of the propagation (one fixed set for every clip).

    Attributes
    ----------
    work_max_side
        Longest side of the working resolution of flow and label map (a 854×480 video is tracked
        at 480×270 by default); outputs are at the video's own size.
    flow_preset
        DIS optical-flow preset of the flow that carries the labels: ``"ultrafast"``, ``"fast"``
        or ``"medium"``.
    flow_finest_scale
        Finest pyramid level of the flow that carries the labels (``0`` is the working
        resolution, ``k`` is ``2**k`` times coarser); ``None`` keeps the preset's (``2`` for
        ``"ultrafast"`` and ``"fast"``, ``1`` for ``"medium"``). At the preset's level a
        480×270 working frame gets its flow at 120×68, where a small or thin object is a few
        flow pixels and its motion is averaged with its surroundings': it falls behind. The
        forward flow of ``disocclusion_check`` is ``"ultrafast"`` at its own level.
    flow_refinement
        Variational refinement iterations of the flow that carries the labels (``None`` keeps
        the preset's: ``0`` for ``"ultrafast"``, ``5`` for ``"fast"`` and ``"medium"``). Without
        any, the flow inside a plain, untextured region (a rabbit's white belly) is noisy, and
        the labels it carries come apart in holes.
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
    remnant_ratio
        Shed static remnants (see `backends.local.remnants`): a pixel that has stayed put since
        its object was seeded, while the object moved, goes back to the background when its
        colour is this many times more typical of the object's still part than of its moving
        core. ``0`` turns shedding off.
    lighting_compensation
        Bring every frame back to frame 0's colours before appearance is compared
        (`photometric`: a gain with left-right and top-bottom gradients per channel,
        measured on the background against the previous frame), so an exposure drift or a
        creeping shade does not fade objects out of their tracks.
    remnant_max_object_fraction
        An object seeded over at least this share of the frame never sheds (default 0.2): a
        close-up subject's still parts (the suit of a talking head) look unlike its moving
        core as much as any remnant does.
    remnant_frames
        An object is tracked for at least this many frames before it can shed anything.
    remnant_moved
        An object sheds only once the pixels seen moving with it add up to this many times its
        area (it has really moved, not just stirred).
    remnant_still_px
        A pixel moving by at most this much (working pixels) relative to the background's
        motion stays put.
    remnant_moving_px
        An object's pixel moving by more than this relative to the background's motion is part
        of its moving core.
    follow_max_area
        Objects of at most this many working pixels are re-placed every frame where their own
        pixels match best, within ``follow_search`` pixels of the flow's placement, when that
        one shift explains them better than the flow does (`template_shift`): a smooth flow
        averages a small object's motion with its surroundings' and would leave it behind.
        ``0`` turns this off.
    follow_search
        Half-width (working pixels) of the shifts tried around the flow's placement.
    follow_ratio
        An object is re-placed only where its pixels match distinctly: the masked colour
        difference there is below this fraction of the median over the shifts tried.
    outline_band
        Before tracking, each object's frame-0 mask (a proposal: a union of superpixels, whose
        outline follows them rather than the object) has its outline settled on the image's
        edges by GrabCut in a band of this fraction of the square root of its area
        (`grabcut.refine_outline`); ``0`` tracks the proposal as it is.

    Examples
    --------
    >>> TrackerOptions(flow_preset="ultrafast").work_max_side
    480
    """

    work_max_side: Annotated[int, Field(ge=64)] = 480
    flow_preset: Literal["ultrafast", "fast", "medium"] = "ultrafast"
    flow_finest_scale: Annotated[int, Field(ge=0, le=4)] | None = 1
    flow_refinement: Annotated[int, Field(ge=0, le=20)] | None = 2
    boundary_sigma: Annotated[float, Field(gt=0)] = 2.0
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
    remnant_ratio: Annotated[float, Field(ge=0)] = 2.0
    remnant_max_object_fraction: Annotated[float, Field(gt=0, le=1)] = 0.2
    lighting_compensation: bool = True
    remnant_frames: Annotated[int, Field(ge=1)] = 6
    remnant_moved: Annotated[float, Field(ge=0)] = 0.5
    remnant_still_px: Annotated[float, Field(gt=0)] = 0.5
    remnant_moving_px: Annotated[float, Field(gt=0)] = 1.0
    follow_max_area: Annotated[int, Field(ge=0)] = 1500
    follow_search: Annotated[int, Field(ge=1, le=32)] = 6
    follow_ratio: Annotated[float, Field(gt=0, le=1)] = 0.5
    outline_band: Annotated[float, Field(ge=0, le=1)] = 0.15
