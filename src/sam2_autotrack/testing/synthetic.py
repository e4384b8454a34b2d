"""Synthetic clips with exact per-object ground truth, for tests and benchmarks.

Every clip in :data:`SYNTHETIC_SUITE` is rendered from a seed: textured objects (ellipses, stars, a
ring, a C-shape, blobs, ...) move with smooth trajectories over a textured background that pans,
under a mild lighting change and sensor noise. Objects are composited back to front, so the ground
truth of each object holds exactly its *visible* pixels: an occluded object's mask loses what the
occluder covers. Each named clip stresses one thing (occlusion, contact, an object entering
mid-clip, clutter, ...). Rendering warps pre-rendered sprites into small regions of interest, so a
60-frame 854×480 clip takes a fraction of a second.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import atomic_path, write_bytes_atomic
from sam2_autotrack.errors import ExportError, MaskError, SyntheticClipError
from sam2_autotrack.masks.validate import as_rgb_frames
from sam2_autotrack.video.process import run_ffmpeg

__all__ = ["SYNTHETIC_SUITE", "SyntheticClip", "SyntheticClipFiles", "make_clip"]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


# --------------------------------------------------------------------------------------------------
# Public values
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticClipFiles:
    """Where :meth:`SyntheticClip.write` put a clip.

    Parameters
    ----------
    video_path
        The H.264 ``.mp4`` (yuv420p) of the frames.
    gt_dir
        The ground-truth folder: one sub-folder per object id holding ``frame_00000.png``, ...
    mask_dirs
        ``{object_id: folder}`` inside ``gt_dir``.
    frame_count
        Number of frames written (video frames and PNGs per object).
    """

    video_path: Path
    gt_dir: Path
    mask_dirs: Mapping[str, Path]
    frame_count: int


@dataclass(frozen=True)
class SyntheticClip:
    """A rendered clip with exact visible-pixel ground truth per object.

    Parameters
    ----------
    name
        Clip name, used for file names (letters, digits, ``_``, ``-``, ``.``).
    frames
        ``(T, H, W, 3)`` uint8 RGB frames.
    masks
        ``{object_id: (T, H, W) bool}``: the visible pixels of each object in each frame (an
        occluded part is excluded; an object outside the frame is all ``False``).
    fps
        Frame rate used when the clip is written as a video.

    Examples
    --------
    >>> clip = make_clip("shapes_pan", resolution_wh=(160, 96), frame_count=4)
    >>> clip.frames.shape, clip.resolution_wh, clip.frame_count
    ((4, 96, 160, 3), (160, 96), 4)
    >>> sorted(clip.masks)
    ['gt_1', 'gt_2', 'gt_3']
    """

    name: str
    frames: NDArray[np.uint8]
    masks: Mapping[str, NDArray[np.bool_]]
    fps: float = 25.0

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise SyntheticClipError(
                f"clip name {self.name!r} cannot be used as a file name; use letters, digits, "
                "'_', '-' and '.' only"
            )
        try:
            frames = as_rgb_frames(self.frames)
        except MaskError as exc:
            raise SyntheticClipError(str(exc)) from None
        if frames.shape[0] == 0:
            raise SyntheticClipError("a clip needs at least one frame; got T = 0")
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise SyntheticClipError(f"fps must be a positive number; got {self.fps!r}")
        checked: dict[str, NDArray[np.bool_]] = {}
        for object_id, mask in self.masks.items():
            if not _NAME_RE.match(object_id):
                raise SyntheticClipError(
                    f"object id {object_id!r} cannot be used as a folder name; use letters, "
                    "digits, '_', '-' and '.' only"
                )
            array = np.asarray(mask)
            if array.shape != frames.shape[:3]:
                raise SyntheticClipError(
                    f"masks[{object_id!r}] must have shape {frames.shape[:3]} (T, H, W) to match "
                    f"the frames; got {array.shape}"
                )
            array = array.astype(bool, copy=False)
            array.setflags(write=False)
            checked[object_id] = array
        frames.setflags(write=False)
        object.__setattr__(self, "frames", frames)
        object.__setattr__(self, "masks", checked)

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """``(width, height)`` of the frames."""
        return (int(self.frames.shape[2]), int(self.frames.shape[1]))

    @property
    def frame_count(self) -> int:
        """Number of frames ``T``."""
        return int(self.frames.shape[0])

    @property
    def present_at_start(self) -> tuple[str, ...]:
        """Ids of the objects visible in frame 0 (what an auto-seeded tracker can find).

        Examples
        --------
        >>> clip = make_clip("enters_mid_clip", resolution_wh=(160, 96), frame_count=12)
        >>> len(clip.present_at_start) < len(clip.masks)
        True
        """
        return tuple(oid for oid, m in self.masks.items() if bool(m[0].any()))

    def write(
        self, directory: str | Path, *, crf: int = 12, timeout_s: float = 300.0
    ) -> SyntheticClipFiles:
        """Write the video and the ground-truth PNGs into ``directory``.

        Writes ``<directory>/<name>.mp4`` (H.264, yuv420p, through the imageio-ffmpeg binary) and
        ``<directory>/<name>_gt/<object_id>/frame_00000.png``, ... (8-bit white-on-black). Every
        file is written atomically, and the ground-truth folder is replaced as a whole, so stale
        frames of an earlier write never remain.

        Parameters
        ----------
        directory
            Output folder (created if missing).
        crf
            x264 constant rate factor, 0 (lossless luma) to 51; lower is higher quality.
        timeout_s
            How long ffmpeg may take before it is killed.

        Returns
        -------
        SyntheticClipFiles
            The paths written.

        Raises
        ------
        ExportError
            The resolution is odd (yuv420p needs even sizes) or ``crf`` is out of range.
        FFmpegNotFoundError, FFmpegError
            ffmpeg is missing or the encode failed.

        Examples
        --------
        >>> import tempfile
        >>> clip = make_clip("touching", resolution_wh=(96, 64), frame_count=3)
        >>> files = clip.write(tempfile.mkdtemp())
        >>> files.video_path.name, files.frame_count, sorted(files.mask_dirs)
        ('touching.mp4', 3, ['gt_1', 'gt_2', 'gt_3'])
        """
        width, height = self.resolution_wh
        if width % 2 or height % 2:
            raise ExportError(
                f"H.264 yuv420p needs an even width and height; the clip is {width}x{height}: "
                "render it at an even resolution_wh"
            )
        if not 0 <= crf <= 51:
            raise ExportError(f"crf must be in 0..51; got {crf}")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        video_path = directory / f"{self.name}.mp4"
        _encode_h264(self.frames, video_path, fps=self.fps, crf=crf, timeout_s=timeout_s)

        gt_dir = directory / f"{self.name}_gt"
        staging = Path(tempfile.mkdtemp(prefix=f".{gt_dir.name}.", dir=directory))
        try:
            for object_id, masks in self.masks.items():
                for t in range(self.frame_count):
                    ok, png = cv2.imencode(".png", masks[t].astype(np.uint8) * np.uint8(255))
                    if not ok:  # pragma: no cover - OpenCV always encodes 8-bit gray PNGs
                        raise ExportError(f"OpenCV could not encode the PNG of {object_id} @ {t}")
                    write_bytes_atomic(staging / object_id / f"frame_{t:05d}.png", png.tobytes())
            _replace_dir(staging, gt_dir)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return SyntheticClipFiles(
            video_path=video_path,
            gt_dir=gt_dir,
            mask_dirs={oid: gt_dir / oid for oid in self.masks},
            frame_count=self.frame_count,
        )


def _replace_dir(new: Path, final: Path) -> None:
    """Move folder ``new`` to ``final``, replacing whatever was there (never half-replaced)."""
    if final.exists():
        trash = final.with_name(f".{final.name}.old.{os.getpid()}")
        if trash.exists():
            shutil.rmtree(trash)
        os.replace(final, trash)
        os.replace(new, final)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(new, final)


def _encode_h264(
    frames: NDArray[np.uint8], path: Path, *, fps: float, crf: int, timeout_s: float
) -> None:
    """Encode ``(T, H, W, 3)`` RGB frames to an H.264 yuv420p file, atomically."""
    _, height, width, _ = frames.shape
    rate = Fraction(fps).limit_denominator(1001)
    with atomic_path(path) as tmp:
        run_ffmpeg(
            [
                "-loglevel", "error", "-y",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
                "-r", f"{rate.numerator}/{rate.denominator}", "-i", "pipe:0",
                "-c:v", "libx264", "-preset", "fast", "-crf", str(crf), "-pix_fmt", "yuv420p",
                "-f", "mp4", str(tmp),
            ],
            timeout=timeout_s,
            stdin=(np.ascontiguousarray(frame).tobytes() for frame in frames),
        )  # fmt: skip


# --------------------------------------------------------------------------------------------------
# Scene description
# --------------------------------------------------------------------------------------------------

Waypoints = tuple[tuple[float, float, float], ...]
"""``((u, x, y), ...)``: normalised time ``u`` in [0, 1] and position as fractions of W and H."""


@dataclass(frozen=True)
class _Obj:
    shape: str
    area_frac: float  # fraction of the frame area at frame 0 (scale 1)
    path: Waypoints
    hue: float  # 0..180 (OpenCV hue)
    pattern: str
    rotate_deg: float = 20.0  # total rotation over the clip
    scale_amp: float = 0.06
    wobble: float = 0.01  # fraction of the frame size
    saturation: float = 170.0


@dataclass(frozen=True)
class _Scene:
    objects: tuple[_Obj, ...]  # back to front
    pan_xy: tuple[float, float] = (0.08, 0.03)  # camera travel as fractions of W and H
    light_amp: float = 0.06
    light_grad: float = 0.10
    noise_sigma: float = 2.5
    bg_scale: float = 1.0  # >1 → finer background texture
    bg_saturation: float = 60.0


def _smoothstep(x: NDArray[np.float64]) -> NDArray[np.float64]:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _follow(path: Waypoints, u: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    """Positions along ``path`` at times ``u``: smoothstep between waypoints (C1, no jumps)."""
    knots = np.array([p[0] for p in path], dtype=np.float64)
    xs = np.array([p[1] for p in path], dtype=np.float64)
    ys = np.array([p[2] for p in path], dtype=np.float64)
    if len(path) == 1:
        return np.full_like(u, xs[0]), np.full_like(u, ys[0])
    seg = np.clip(np.searchsorted(knots, u, side="right") - 1, 0, len(path) - 2)
    local = _smoothstep((u - knots[seg]) / np.maximum(knots[seg + 1] - knots[seg], 1e-9))
    return xs[seg] + (xs[seg + 1] - xs[seg]) * local, ys[seg] + (ys[seg + 1] - ys[seg]) * local


def _jitter(rng: np.random.Generator, path: Waypoints, amount: float) -> Waypoints:
    out = []
    for u, x, y in path:
        dx, dy = rng.uniform(-amount, amount, size=2)
        out.append((u, x + float(dx), y + float(dy)))
    return tuple(out)


def _disk_radius_frac(area_frac: float, size_wh: tuple[int, int]) -> tuple[float, float]:
    """Radius of a disk of ``area_frac`` of the frame, as fractions of (W, H)."""
    width, height = size_wh
    radius_px = math.sqrt(area_frac * width * height / math.pi)
    return radius_px / width, radius_px / height


def _scene_shapes_pan(rng: np.random.Generator, size_wh: tuple[int, int]) -> _Scene:
    return _Scene(
        objects=(
            _Obj("ellipse", 0.035, _jitter(rng, ((0, 0.2, 0.3), (1, 0.34, 0.38)), 0.02), 10,
                 "stripes", rotate_deg=25),
            _Obj("star", 0.025, _jitter(rng, ((0, 0.5, 0.68), (1, 0.58, 0.58)), 0.02), 100,
                 "noise", rotate_deg=-40),
            _Obj("rounded_rect", 0.03, _jitter(rng, ((0, 0.8, 0.34), (1, 0.7, 0.44)), 0.02), 55,
                 "checker", rotate_deg=15),
        ),
        pan_xy=(0.3, 0.08),
    )  # fmt: skip


def _scene_rings_and_c(rng: np.random.Generator, size_wh: tuple[int, int]) -> _Scene:
    return _Scene(
        objects=(
            _Obj("ring", 0.035, _jitter(rng, ((0, 0.25, 0.42), (1, 0.33, 0.5)), 0.02), 165,
                 "noise", rotate_deg=30),
            _Obj("c_shape", 0.03, _jitter(rng, ((0, 0.72, 0.4), (1, 0.62, 0.52)), 0.02), 25,
                 "stripes", rotate_deg=-90),
            _Obj("blob", 0.02, _jitter(rng, ((0, 0.5, 0.8), (1, 0.46, 0.74)), 0.015), 90,
                 "dots", rotate_deg=20),
        ),
    )  # fmt: skip


def _scene_occlusion(rng: np.random.Generator, size_wh: tuple[int, int]) -> _Scene:
    # Z-order back to front: the star slides partly behind the big rectangle, the ellipse passes
    # in front of it, right across.
    return _Scene(
        objects=(
            _Obj("star", 0.018, _jitter(rng, ((0, 0.85, 0.72), (1, 0.6, 0.6)), 0.01), 140,
                 "noise", rotate_deg=-30),
            _Obj("rounded_rect", 0.05, _jitter(rng, ((0, 0.5, 0.48), (1, 0.52, 0.52)), 0.01), 60,
                 "checker", rotate_deg=8, scale_amp=0.03),
            _Obj("ellipse", 0.025, _jitter(rng, ((0, 0.14, 0.4), (1, 0.86, 0.56)), 0.01), 5,
                 "stripes", rotate_deg=40),
        ),
    )  # fmt: skip


def _scene_touching(rng: np.random.Generator, size_wh: tuple[int, int]) -> _Scene:
    # Two discs of similar colour approach, stay in contact (2 px overlap: the right one is in
    # front) for the middle of the clip, then separate.
    area = 0.03
    rx, _ = _disk_radius_frac(area, size_wh)
    half = rx - 1.0 / size_wh[0]  # centres 2 r - 2 px apart
    y = 0.55 + float(rng.uniform(-0.05, 0.05))
    left = ((0, 0.2, y), (0.3, 0.5 - half, y), (0.7, 0.5 - half, y), (1, 0.3, y - 0.05))
    right = ((0, 0.8, y), (0.3, 0.5 + half, y), (0.7, 0.5 + half, y), (1, 0.7, y + 0.05))
    hue = float(rng.uniform(95, 115))
    return _Scene(
        objects=(
            _Obj("disk", area, left, hue, "noise", rotate_deg=30, scale_amp=0.0, wobble=0.0),
            _Obj("disk", area, right, hue + 8, "stripes", rotate_deg=-30, scale_amp=0.0,
                 wobble=0.0),
            _Obj("triangle", 0.02, _jitter(rng, ((0, 0.5, 0.2), (1, 0.56, 0.22)), 0.02), 20,
                 "checker", rotate_deg=45),
        ),
    )  # fmt: skip


def _scene_enters_mid_clip(rng: np.random.Generator, size_wh: tuple[int, int]) -> _Scene:
    rx, _ = _disk_radius_frac(0.03, size_wh)
    outside = 1.0 + 2.2 * rx
    return _Scene(
        objects=(
            _Obj("ellipse", 0.03, _jitter(rng, ((0, 0.22, 0.35), (1, 0.3, 0.45)), 0.02), 120,
                 "stripes", rotate_deg=20),
            _Obj("hexagon", 0.025, _jitter(rng, ((0, 0.5, 0.7), (1, 0.44, 0.62)), 0.02), 15,
                 "noise", rotate_deg=-25),
            _Obj("blob", 0.02, _jitter(rng, ((0, 0.55, 0.25), (1, 0.5, 0.3)), 0.02), 80,
                 "dots", rotate_deg=15),
            _Obj("rounded_rect", 0.03, ((0, outside, 0.5), (0.35, outside, 0.5),
                                        (0.8, 0.78, 0.5), (1, 0.76, 0.52)), 160,
                 "checker", rotate_deg=10, wobble=0.0),
        ),
    )  # fmt: skip


def _scene_clutter(rng: np.random.Generator, size_wh: tuple[int, int]) -> _Scene:
    shapes = ("ellipse", "star", "ring", "triangle", "hexagon", "blob", "c_shape", "rounded_rect")
    patterns = ("noise", "stripes", "checker", "dots")
    starts = [(0.15, 0.25), (0.4, 0.2), (0.65, 0.25), (0.87, 0.3),
              (0.15, 0.72), (0.4, 0.78), (0.65, 0.72), (0.87, 0.75)]  # fmt: skip
    objects = []
    for i, (x, y) in enumerate(starts):
        dx, dy = rng.uniform(-0.12, 0.12), rng.uniform(-0.12, 0.12)
        path = ((0.0, x, y), (1.0, x + float(dx), y + float(dy)))
        objects.append(
            _Obj(
                shapes[i],
                float(rng.uniform(0.008, 0.016)),
                _jitter(rng, path, 0.015),
                float((i * 23 + rng.uniform(0, 10)) % 180),
                patterns[i % len(patterns)],
                rotate_deg=float(rng.uniform(-60, 60)),
            )
        )
    return _Scene(objects=tuple(objects), bg_scale=2.5, bg_saturation=90.0, pan_xy=(0.1, 0.05))


def _scene_lighting_noise(rng: np.random.Generator, size_wh: tuple[int, int]) -> _Scene:
    return _Scene(
        objects=(
            _Obj("ellipse", 0.03, _jitter(rng, ((0, 0.25, 0.6), (1, 0.35, 0.5)), 0.02), 30,
                 "noise", rotate_deg=30),
            _Obj("c_shape", 0.028, _jitter(rng, ((0, 0.55, 0.35), (1, 0.5, 0.45)), 0.02), 130,
                 "stripes", rotate_deg=-45),
            _Obj("star", 0.022, _jitter(rng, ((0, 0.8, 0.65), (1, 0.74, 0.55)), 0.02), 75,
                 "checker", rotate_deg=60),
        ),
        light_amp=0.18,
        light_grad=0.35,
        noise_sigma=7.0,
    )  # fmt: skip


_SCENES: dict[str, Callable[[np.random.Generator, tuple[int, int]], _Scene]] = {
    "shapes_pan": _scene_shapes_pan,
    "rings_and_c": _scene_rings_and_c,
    "occlusion": _scene_occlusion,
    "touching": _scene_touching,
    "enters_mid_clip": _scene_enters_mid_clip,
    "clutter": _scene_clutter,
    "lighting_noise": _scene_lighting_noise,
}

SYNTHETIC_SUITE: tuple[str, ...] = tuple(_SCENES)
"""Names accepted by :func:`make_clip`, one stress each.

``shapes_pan`` (strong camera pan), ``rings_and_c`` (a ring with a hole and a C-shape whose
centroid lies outside it), ``occlusion`` (one object passes in front of another; a third slides
behind it), ``touching`` (two similar discs in contact for the middle of the clip),
``enters_mid_clip`` (an object absent at frame 0 enters from the right), ``clutter`` (eight small
objects on a busy background), ``lighting_noise`` (strong lighting change and sensor noise).
"""


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


def _shape_mask(shape: str, size: int, rng: np.random.Generator) -> NDArray[np.uint8]:
    """Draw a ``(size, size)`` 0/1 mask of ``shape`` centred in the square."""
    mask = np.zeros((size, size), np.uint8)
    c = size / 2.0
    r = 0.46 * size
    sh = 4  # sub-pixel bits for cv2 drawing
    f = float(1 << sh)

    def pt(x: float, y: float) -> tuple[int, int]:
        return (round(x * f), round(y * f))

    def poly(xs: NDArray[np.float64], ys: NDArray[np.float64]) -> None:
        pts = np.round(np.stack([xs, ys], axis=1) * f).astype(np.int32)
        cv2.fillPoly(mask, [pts], 1, lineType=cv2.LINE_8, shift=sh)

    angles = np.linspace(0, 2 * np.pi, 361)[:-1]
    if shape == "disk":
        cv2.circle(mask, pt(c, c), round(r * f), 1, -1, lineType=cv2.LINE_8, shift=sh)
    elif shape == "ellipse":
        cv2.ellipse(mask, pt(c, c), (round(r * f), round(0.6 * r * f)), 0, 0, 360, 1, -1,
                    lineType=cv2.LINE_8, shift=sh)  # fmt: skip
    elif shape == "rounded_rect":
        half_w, half_h, rad = 0.95 * r, 0.7 * r, 0.25 * r
        cv2.rectangle(mask, pt(c - half_w + rad, c - half_h), pt(c + half_w - rad, c + half_h), 1,
                      -1, shift=sh)  # fmt: skip
        cv2.rectangle(mask, pt(c - half_w, c - half_h + rad), pt(c + half_w, c + half_h - rad), 1,
                      -1, shift=sh)  # fmt: skip
        for sx in (-1, 1):
            for sy in (-1, 1):
                centre = pt(c + sx * (half_w - rad), c + sy * (half_h - rad))
                cv2.circle(mask, centre, round(rad * f), 1, -1, shift=sh)
    elif shape == "star":
        k = np.arange(10)
        radii = np.where(k % 2 == 0, r, 0.5 * r)
        theta = k * np.pi / 5 - np.pi / 2
        poly(c + radii * np.cos(theta), c + radii * np.sin(theta))
    elif shape == "triangle":
        theta = np.arange(3) * 2 * np.pi / 3 - np.pi / 2
        poly(c + r * np.cos(theta), c + 0.1 * r + r * np.sin(theta))
    elif shape == "hexagon":
        theta = np.arange(6) * np.pi / 3
        poly(c + r * np.cos(theta), c + r * np.sin(theta))
    elif shape == "blob":
        radius = np.full_like(angles, 0.75 * r)
        for harmonic in (2, 3, 5):
            amp = rng.uniform(0.04, 0.1) * r
            radius += amp * np.cos(harmonic * angles + rng.uniform(0, 2 * np.pi))
        poly(c + radius * np.cos(angles), c + radius * np.sin(angles))
    elif shape in ("ring", "c_shape"):
        inner = 0.55 * r if shape == "ring" else 0.58 * r
        cv2.circle(mask, pt(c, c), round(r * f), 1, -1, shift=sh)
        cv2.circle(mask, pt(c, c), round(inner * f), 0, -1, shift=sh)
        if shape == "c_shape":  # cut a 90° wedge open to the right
            far = 2 * r
            wedge = np.array([[c, c], [c + far, c - far], [c + far, c + far]])
            cv2.fillPoly(mask, [np.round(wedge * f).astype(np.int32)], 0, shift=sh)
    else:  # pragma: no cover - scene tables only name the shapes above
        raise SyntheticClipError(f"unknown shape {shape!r}")
    return mask


def _lowpass_noise(
    rng: np.random.Generator, shape_hw: tuple[int, int], cell: float
) -> NDArray[np.float32]:
    """Band-limited noise in [0, 1]: random values on a coarse grid, resized with cubic splines."""
    h, w = shape_hw
    gh, gw = max(2, round(h / cell) + 2), max(2, round(w / cell) + 2)
    small = rng.random((gh, gw), dtype=np.float32)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    lo, hi = float(big.min()), float(big.max())
    return np.asarray((big - lo) / max(hi - lo, 1e-6), dtype=np.float32)


def _hsv_to_rgb(h: float, s: float, v: float) -> NDArray[np.float32]:
    px = np.array([[[h % 180, np.clip(s, 0, 255), np.clip(v, 0, 255)]]], np.uint8)
    return np.asarray(cv2.cvtColor(px, cv2.COLOR_HSV2RGB)[0, 0], dtype=np.float32)


def _object_texture(
    size: int, hue: float, saturation: float, pattern: str, rng: np.random.Generator
) -> NDArray[np.uint8]:
    """Paint a ``(size, size, 3)`` RGB texture in a two-colour palette of ``hue``."""
    base = _hsv_to_rgb(hue, saturation, 200)
    alt = _hsv_to_rgb(hue + rng.uniform(-12, 12), saturation * 0.8, 120)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / max(size, 1)
    period = float(rng.uniform(0.12, 0.2))
    if pattern == "stripes":
        angle = rng.uniform(0, np.pi)
        field_ = 0.5 + 0.5 * np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period)
    elif pattern == "checker":
        field_ = ((np.floor(xx / period) + np.floor(yy / period)) % 2).astype(np.float32)
        field_ = cv2.GaussianBlur(field_, (0, 0), max(size * 0.01, 0.5))
    elif pattern == "dots":
        gx = (xx / period) % 1.0 - 0.5
        gy = (yy / period) % 1.0 - 0.5
        field_ = (gx * gx + gy * gy < 0.09).astype(np.float32)
    else:  # noise
        field_ = _lowpass_noise(rng, (size, size), max(size / 6.0, 2.0))
    field_ = 0.65 * field_ + 0.35 * _lowpass_noise(rng, (size, size), max(size / 3.0, 2.0))
    shade = 0.85 + 0.3 * (1.0 - yy)  # lit from above
    tex = (alt + (base - alt) * field_[..., None]) * shade[..., None]
    return np.asarray(np.clip(tex, 0, 255), dtype=np.uint8)


def _background(
    rng: np.random.Generator, shape_hw: tuple[int, int], ref: float, scene: _Scene
) -> NDArray[np.uint8]:
    """Textured background: band-limited noise through a muted palette, plus warped stripes."""
    h, w = shape_hw
    coarse = _lowpass_noise(rng, (h, w), ref / (6.0 * scene.bg_scale))
    fine = _lowpass_noise(rng, (h, w), ref / (25.0 * scene.bg_scale))
    warp = _lowpass_noise(rng, (h, w), ref / (3.0 * scene.bg_scale))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    period = ref / (10.0 * scene.bg_scale)
    stripes = 0.5 + 0.5 * np.sin(
        2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period + 6.0 * warp
    )
    hue0 = rng.uniform(0, 180)
    colours = np.stack(
        [_hsv_to_rgb(hue0 + k * 25, scene.bg_saturation, v) for k, v in enumerate((90, 140, 185))]
    )
    t = coarse[..., None]
    rgb = np.where(
        t < 0.5, colours[0] + (colours[1] - colours[0]) * (2 * t),
        colours[1] + (colours[2] - colours[1]) * (2 * t - 1),
    )  # fmt: skip
    rgb = rgb * (0.8 + 0.25 * fine[..., None]) + 22.0 * (stripes[..., None] - 0.5)
    return np.asarray(np.clip(rgb, 0, 255), dtype=np.uint8)


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
        One of :data:`SYNTHETIC_SUITE`.
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
    if name not in _SCENES:
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
    scene = _SCENES[name](gen, (width, height))
    frames, masks = _render(scene, width, height, frame_count, gen)
    return SyntheticClip(name=name, frames=frames, masks=masks, fps=25.0)


def _render(
    scene: _Scene, width: int, height: int, frame_count: int, rng: np.random.Generator
) -> tuple[NDArray[np.uint8], dict[str, NDArray[np.bool_]]]:
    u = np.linspace(0.0, 1.0, frame_count) if frame_count > 1 else np.zeros(1)
    ref = float(math.hypot(width, height))

    # Camera: the background canvas is larger than the frame by the pan travel on each side.
    pad_x = math.ceil(scene.pan_xy[0] * width / 2) + 4
    pad_y = math.ceil(scene.pan_xy[1] * height / 2) + 4
    bg = _background(rng, (height + 2 * pad_y, width + 2 * pad_x), ref, scene)
    phase = rng.uniform(0, 2 * np.pi, size=4)
    ease = 2.0 * _smoothstep(u) - 1.0  # -1 → 1
    cam_x = pad_x + (pad_x - 3) * (0.9 * ease + 0.1 * np.sin(2 * np.pi * u + phase[0]))
    cam_y = pad_y + (pad_y - 3) * (0.8 * np.sin(np.pi * u + phase[1]) * ease)

    # Lighting: a global gain and a left-right gradient, both drifting smoothly.
    gain = 1.0 + scene.light_amp * np.sin(2 * np.pi * 0.8 * u + phase[2])
    grad = scene.light_grad * np.sin(2 * np.pi * 0.5 * u + phase[3])
    x_rel = (np.arange(width, dtype=np.float32) / max(width - 1, 1) - 0.5)[None, :, None]
    noise_margin = 16
    noise = rng.normal(
        0.0, scene.noise_sigma, size=(height + noise_margin, width + noise_margin, 3)
    ).astype(np.float32)
    noise_offsets = rng.integers(0, noise_margin, size=(frame_count, 2))

    # Sprites: each object's mask and texture rendered once at its frame-0 pixel size.
    sprites = []
    for obj in scene.objects:
        unit = _shape_mask(obj.shape, 128, np.random.default_rng(rng.integers(1 << 32)))
        unit_frac = float(unit.mean())
        size = max(8, round(math.sqrt(obj.area_frac * width * height / unit_frac)))
        mask = _shape_mask(obj.shape, size, np.random.default_rng(rng.integers(1 << 32)))
        tex = _object_texture(size, obj.hue, obj.saturation, obj.pattern, rng)
        xs, ys = _follow(obj.path, u)
        wob = rng.uniform(0, 2 * np.pi, size=3)
        xs = (xs + obj.wobble * np.sin(2 * np.pi * 1.3 * u + wob[0]) * np.sin(np.pi * u)) * width
        ys = (ys + obj.wobble * np.sin(2 * np.pi * 1.1 * u + wob[1]) * np.sin(np.pi * u)) * height
        angle = rng.uniform(-20, 20) + obj.rotate_deg * u
        scale = (
            1.0 + obj.scale_amp * np.sin(2 * np.pi * u + wob[2]) - obj.scale_amp * np.sin(wob[2])
        )
        rgba = np.dstack([tex, mask * np.uint8(255)])
        sprites.append((rgba, xs, ys, angle, scale))

    frames = np.empty((frame_count, height, width, 3), np.uint8)
    labels = np.zeros((frame_count, height, width), np.uint8)
    for t in range(frame_count):
        shift = np.array([[1.0, 0.0, -cam_x[t]], [0.0, 1.0, -cam_y[t]]])
        frame: NDArray[np.uint8] = np.asarray(
            cv2.warpAffine(bg, shift, (width, height), flags=cv2.INTER_LINEAR), dtype=np.uint8
        )
        label = labels[t]
        for index, (rgba, xs, ys, angle, scale) in enumerate(sprites, start=1):
            _paste(frame, label, index, rgba, xs[t], ys[t], angle[t], scale[t])
        lit = frame.astype(np.float32)
        lit *= (gain[t] * (1.0 + grad[t] * x_rel)).astype(np.float32)
        oy, ox = noise_offsets[t]
        lit += noise[oy : oy + height, ox : ox + width]
        np.clip(lit, 0, 255, out=lit)
        frames[t] = lit.astype(np.uint8)
    masks = {f"gt_{i}": labels == i for i in range(1, len(sprites) + 1)}
    return frames, masks


def _paste(
    frame: NDArray[np.uint8],
    label: NDArray[np.uint8],
    index: int,
    rgba: NDArray[np.uint8],
    cx: float,
    cy: float,
    angle: float,
    scale: float,
) -> None:
    """Warp one RGBA sprite (rotate + scale about its centre, translate) into ``frame``."""
    size = rgba.shape[0]
    m = cv2.getRotationMatrix2D((size / 2.0, size / 2.0), float(angle), float(scale))
    m[0, 2] += cx - size / 2.0
    m[1, 2] += cy - size / 2.0
    corners = np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], np.float64)
    moved = corners @ m.T
    height, width = label.shape
    x0 = max(0, math.floor(moved[:, 0].min()) - 1)
    y0 = max(0, math.floor(moved[:, 1].min()) - 1)
    x1 = min(width, math.ceil(moved[:, 0].max()) + 2)
    y1 = min(height, math.ceil(moved[:, 1].max()) + 2)
    if x1 <= x0 or y1 <= y0:
        return  # entirely outside the frame
    m[0, 2] -= x0
    m[1, 2] -= y0
    roi_wh = (x1 - x0, y1 - y0)
    # One bilinear warp of texture + mask (alpha); the mask is the alpha thresholded half-way,
    # which gives smoother edges than nearest neighbour. Pixels with no 4-neighbour (lone diagonal
    # steps at sharp tips) are dropped, so an object is one 4-connected piece unless occluded.
    warped = cv2.warpAffine(rgba, m, roi_wh, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    warped_mask = warped[..., 3] >= 128
    if not warped_mask.any():
        return
    neighbours = np.zeros(warped_mask.shape, np.uint8)
    neighbours[1:] += warped_mask[:-1]
    neighbours[:-1] += warped_mask[1:]
    neighbours[:, 1:] += warped_mask[:, :-1]
    neighbours[:, :-1] += warped_mask[:, 1:]
    warped_mask &= neighbours > 0
    warped_tex = warped[..., :3]
    frame[y0:y1, x0:x1][warped_mask] = warped_tex[warped_mask]
    label[y0:y1, x0:x1][warped_mask] = index
