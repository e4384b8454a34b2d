"""The named synthetic clips, one stress each, and `make_clip` that renders them.

Every clip in [`SYNTHETIC_SUITE`][sam2_autotrack.testing.SYNTHETIC_SUITE] is rendered from a seed:
textured objects (ellipses, stars, a ring, a C-shape, blobs, ...) move with smooth trajectories over
a textured background that pans, under a mild lighting change and sensor noise. Objects are
composited back to front, so the ground truth of each object holds exactly its *visible* pixels: an
occluded object's mask loses what the occluder covers. Each named clip stresses one thing
(occlusion, contact, an object entering mid-clip, clutter, ...). Rendering warps pre-rendered
sprites into small regions of interest, so a 60-frame 854×480 clip takes a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sam2_autotrack.errors import SyntheticClipError
from sam2_autotrack.testing.clip import SyntheticClip
from sam2_autotrack.testing.render import render
from sam2_autotrack.testing.scene import Scene, SceneObject, disk_radius_frac, jitter

__all__ = ["SCENES", "SYNTHETIC_SUITE", "SceneFactory", "make_clip"]

SceneFactory = Callable[[np.random.Generator, tuple[int, int]], Scene]
"""``factory(rng, resolution_wh) -> Scene``: one named scene, its random choices drawn from rng."""


def _scene_shapes_pan(rng: np.random.Generator, size_wh: tuple[int, int]) -> Scene:
    return Scene(
        objects=(
            SceneObject("ellipse", 0.035, jitter(rng, ((0, 0.2, 0.3), (1, 0.34, 0.38)), 0.02), 10,
                        "stripes", rotate_deg=25),
            SceneObject("star", 0.025, jitter(rng, ((0, 0.5, 0.68), (1, 0.58, 0.58)), 0.02), 100,
                        "noise", rotate_deg=-40),
            SceneObject("rounded_rect", 0.03, jitter(rng, ((0, 0.8, 0.34), (1, 0.7, 0.44)), 0.02),
                        55, "checker", rotate_deg=15),
        ),
        pan_xy=(0.3, 0.08),
    )  # fmt: skip


def _scene_rings_and_c(rng: np.random.Generator, size_wh: tuple[int, int]) -> Scene:
    return Scene(
        objects=(
            SceneObject("ring", 0.035, jitter(rng, ((0, 0.25, 0.42), (1, 0.33, 0.5)), 0.02), 165,
                        "noise", rotate_deg=30),
            SceneObject("c_shape", 0.03, jitter(rng, ((0, 0.72, 0.4), (1, 0.62, 0.52)), 0.02), 25,
                        "stripes", rotate_deg=-90),
            SceneObject("blob", 0.02, jitter(rng, ((0, 0.5, 0.8), (1, 0.46, 0.74)), 0.015), 90,
                        "dots", rotate_deg=20),
        ),
    )  # fmt: skip


def _scene_occlusion(rng: np.random.Generator, size_wh: tuple[int, int]) -> Scene:
    # Z-order back to front: the star slides partly behind the big rectangle, the ellipse passes
    # in front of it, right across.
    return Scene(
        objects=(
            SceneObject("star", 0.018, jitter(rng, ((0, 0.85, 0.72), (1, 0.6, 0.6)), 0.01), 140,
                        "noise", rotate_deg=-30),
            SceneObject("rounded_rect", 0.05,
                        jitter(rng, ((0, 0.5, 0.48), (1, 0.52, 0.52)), 0.01), 60, "checker",
                        rotate_deg=8, scale_amp=0.03),
            SceneObject("ellipse", 0.025, jitter(rng, ((0, 0.14, 0.4), (1, 0.86, 0.56)), 0.01), 5,
                        "stripes", rotate_deg=40),
        ),
    )  # fmt: skip


def _scene_touching(rng: np.random.Generator, size_wh: tuple[int, int]) -> Scene:
    # Two discs of similar colour approach, stay in contact (2 px overlap: the right one is in
    # front) for the middle of the clip, then separate.
    area = 0.03
    rx, _ = disk_radius_frac(area, size_wh)
    half = rx - 1.0 / size_wh[0]  # centres 2 r - 2 px apart
    y = 0.55 + float(rng.uniform(-0.05, 0.05))
    left = ((0, 0.2, y), (0.3, 0.5 - half, y), (0.7, 0.5 - half, y), (1, 0.3, y - 0.05))
    right = ((0, 0.8, y), (0.3, 0.5 + half, y), (0.7, 0.5 + half, y), (1, 0.7, y + 0.05))
    hue = float(rng.uniform(95, 115))
    return Scene(
        objects=(
            SceneObject("disk", area, left, hue, "noise", rotate_deg=30, scale_amp=0.0, wobble=0.0),
            SceneObject("disk", area, right, hue + 8, "stripes", rotate_deg=-30, scale_amp=0.0,
                        wobble=0.0),
            SceneObject("triangle", 0.02, jitter(rng, ((0, 0.5, 0.2), (1, 0.56, 0.22)), 0.02), 20,
                        "checker", rotate_deg=45),
        ),
    )  # fmt: skip


def _scene_enters_mid_clip(rng: np.random.Generator, size_wh: tuple[int, int]) -> Scene:
    rx, _ = disk_radius_frac(0.03, size_wh)
    outside = 1.0 + 2.2 * rx
    return Scene(
        objects=(
            SceneObject("ellipse", 0.03, jitter(rng, ((0, 0.22, 0.35), (1, 0.3, 0.45)), 0.02), 120,
                        "stripes", rotate_deg=20),
            SceneObject("hexagon", 0.025, jitter(rng, ((0, 0.5, 0.7), (1, 0.44, 0.62)), 0.02), 15,
                        "noise", rotate_deg=-25),
            SceneObject("blob", 0.02, jitter(rng, ((0, 0.55, 0.25), (1, 0.5, 0.3)), 0.02), 80,
                        "dots", rotate_deg=15),
            SceneObject("rounded_rect", 0.03, ((0, outside, 0.5), (0.35, outside, 0.5),
                                               (0.8, 0.78, 0.5), (1, 0.76, 0.52)), 160,
                        "checker", rotate_deg=10, wobble=0.0),
        ),
    )  # fmt: skip


def _scene_clutter(rng: np.random.Generator, size_wh: tuple[int, int]) -> Scene:
    shapes = ("ellipse", "star", "ring", "triangle", "hexagon", "blob", "c_shape", "rounded_rect")
    patterns = ("noise", "stripes", "checker", "dots")
    starts = [(0.15, 0.25), (0.4, 0.2), (0.65, 0.25), (0.87, 0.3),
              (0.15, 0.72), (0.4, 0.78), (0.65, 0.72), (0.87, 0.75)]  # fmt: skip
    objects = []
    for i, (x, y) in enumerate(starts):
        dx, dy = rng.uniform(-0.12, 0.12), rng.uniform(-0.12, 0.12)
        path = ((0.0, x, y), (1.0, x + float(dx), y + float(dy)))
        objects.append(
            SceneObject(
                shapes[i],
                float(rng.uniform(0.008, 0.016)),
                jitter(rng, path, 0.015),
                float((i * 23 + rng.uniform(0, 10)) % 180),
                patterns[i % len(patterns)],
                rotate_deg=float(rng.uniform(-60, 60)),
            )
        )
    return Scene(objects=tuple(objects), bg_scale=2.5, bg_saturation=90.0, pan_xy=(0.1, 0.05))


def _scene_lighting_noise(rng: np.random.Generator, size_wh: tuple[int, int]) -> Scene:
    return Scene(
        objects=(
            SceneObject("ellipse", 0.03, jitter(rng, ((0, 0.25, 0.6), (1, 0.35, 0.5)), 0.02), 30,
                        "noise", rotate_deg=30),
            SceneObject("c_shape", 0.028, jitter(rng, ((0, 0.55, 0.35), (1, 0.5, 0.45)), 0.02), 130,
                        "stripes", rotate_deg=-45),
            SceneObject("star", 0.022, jitter(rng, ((0, 0.8, 0.65), (1, 0.74, 0.55)), 0.02), 75,
                        "checker", rotate_deg=60),
        ),
        light_amp=0.18,
        light_grad=0.35,
        noise_sigma=7.0,
    )  # fmt: skip


SCENES: dict[str, SceneFactory] = {
    "shapes_pan": _scene_shapes_pan,
    "rings_and_c": _scene_rings_and_c,
    "occlusion": _scene_occlusion,
    "touching": _scene_touching,
    "enters_mid_clip": _scene_enters_mid_clip,
    "clutter": _scene_clutter,
    "lighting_noise": _scene_lighting_noise,
}
"""The scene factory of each name in [`SYNTHETIC_SUITE`][sam2_autotrack.testing.SYNTHETIC_SUITE]."""

SYNTHETIC_SUITE: tuple[str, ...] = tuple(SCENES)
"""Names accepted by [`make_clip`][sam2_autotrack.testing.make_clip], one stress each.

``shapes_pan`` (strong camera pan), ``rings_and_c`` (a ring with a hole and a C-shape whose
centroid lies outside it), ``occlusion`` (one object passes in front of another; a third slides
behind it), ``touching`` (two similar discs in contact for the middle of the clip),
``enters_mid_clip`` (an object absent at frame 0 enters from the right), ``clutter`` (eight small
objects on a busy background), ``lighting_noise`` (strong lighting change and sensor noise).
"""


def make_clip(
    name: str,
    *,
    resolution_wh: tuple[int, int] = (854, 480),
    frame_count: int = 60,
    rng: np.random.Generator | int | None = 0,
) -> SyntheticClip:
    """Render the synthetic clip ``name`` with exact visible-pixel ground truth.

    Parameters
    ----------
    name
        One of [`SYNTHETIC_SUITE`][sam2_autotrack.testing.SYNTHETIC_SUITE].
    resolution_wh
        ``(width, height)`` of the frames, each at least 32. Positions and sizes scale with it.
    frame_count
        Number of frames ``T`` (at least 1). Trajectories span the whole clip whatever ``T``.
    rng
        Seed or generator for every random choice (texture, jitter of paths, colours, noise); the
        same seed gives identical arrays. ``None`` draws a fresh seed.

    Returns
    -------
    SyntheticClip
        Frames ``(T, H, W, 3)`` uint8 RGB, masks ``{"gt_1": (T, H, W) bool, ...}`` in z-order
        (back to front), 25 fps.

    Raises
    ------
    SyntheticClipError
        Unknown ``name``, or a resolution / frame count out of range.

    Examples
    --------
    >>> clip = make_clip("occlusion", resolution_wh=(128, 72), frame_count=5, rng=1)
    >>> clip.frames.dtype, clip.masks["gt_1"].shape
    (dtype('uint8'), (5, 72, 128))
    >>> bool((clip.frames == make_clip("occlusion", resolution_wh=(128, 72), frame_count=5,
    ...                                rng=1).frames).all())
    True
    """
    if name not in SCENES:
        raise SyntheticClipError(
            f"unknown synthetic clip {name!r}; choose one of {', '.join(SYNTHETIC_SUITE)}"
        )
    width, height = (int(v) for v in resolution_wh)
    if width < 32 or height < 32:
        raise SyntheticClipError(
            f"resolution_wh must be at least (32, 32); got {tuple(resolution_wh)}"
        )
    if frame_count < 1:
        raise SyntheticClipError(f"frame_count must be at least 1; got {frame_count}")
    gen = np.random.default_rng(rng)
    scene = SCENES[name](gen, (width, height))
    frames, masks = render(scene, width, height, frame_count, gen)
    return SyntheticClip(name=name, frames=frames, masks=masks, fps=25.0)
