"""A chart of each object's mask area over time, with its jumps and drifts marked.

Drawn with matplotlib when it is installed (``pip install "sam2_autotrack[viz]"``), else with
OpenCV; both engines draw the same lines, ``x`` marks at jumps and diamonds where a drift passes
its threshold (see `sam2_autotrack.masks.series`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import ConfigError, MaskError, MissingDependencyError
from sam2_autotrack.export.palette import object_colors
from sam2_autotrack.masks.series import area_drifts, area_jumps
from sam2_autotrack.viz.draw import AA, FONT, rgb_tuple
from sam2_autotrack.viz.figure import Figure
from sam2_autotrack.viz.tracked import TrackedVideo

__all__ = ["area_plot"]

_ENGINES = ("auto", "matplotlib", "opencv")


def _import_matplotlib() -> Any:
    try:
        return importlib.import_module("matplotlib")
    except ImportError as exc:
        raise MissingDependencyError(
            "matplotlib is not installed, so this chart cannot use it; install the plotting "
            'extra with `pip install "sam2_autotrack[viz]"` or pass engine="opencv"'
        ) from exc


def _check_options(
    jump_threshold: float, drift_ratio: float, engine: str, size_wh: tuple[int, int]
) -> None:
    if engine not in _ENGINES:
        raise ConfigError(f"engine must be 'auto', 'matplotlib' or 'opencv'; got {engine!r}")
    if not 0.0 < jump_threshold < 1.0:
        raise ConfigError(
            f"jump_threshold must be between 0 and 1 (a fraction of the larger area); got "
            f"{jump_threshold}"
        )
    if not drift_ratio > 1.0:
        raise ConfigError(
            f"drift_ratio must be > 1 (3.0: flag a stretch that triples or falls to a third); "
            f"got {drift_ratio}"
        )
    width, height = size_wh
    if width < 160 or height < 120:
        raise ConfigError(f"size_wh must be at least (160, 120); got {size_wh}")


def area_plot(
    result: TrackedVideo | Mapping[str, NDArray[np.integer[Any]]],
    *,
    frame_indices: Sequence[int] | NDArray[np.int64] | None = None,
    jump_threshold: float = 0.35,
    drift_ratio: float = 3.0,
    engine: Literal["auto", "matplotlib", "opencv"] = "auto",
    size_wh: tuple[int, int] = (800, 360),
) -> Figure:
    """Plot each object's mask area over time; mark jumps and slow drifts (a track going wrong).

    Parameters
    ----------
    result
        A [`TrackResult`][sam2_autotrack.TrackResult], or ``{object_id: (T,) areas}``.
    frame_indices
        x values for a mapping of areas (default ``0..T-1``; a result uses its own).
    jump_threshold
        A change of more than this fraction of the larger of two consecutive areas is a jump.
    drift_ratio
        Between jumps, an area at least this many times its stretch's starting level (or at most
        its inverse) is a drift: a mask creeping over the background grows a little every frame
        and never jumps.
    engine
        ``"matplotlib"`` (needs the ``viz`` extra), ``"opencv"``, or ``"auto"`` (matplotlib when it
        is installed).
    size_wh
        ``(width, height)`` of the chart in pixels.

    Returns
    -------
    Figure
        The chart; ``text`` lists the marks, per object (``"obj_1 jumps at frame 42"``,
        ``"obj_2 drifts: area ×25 from frame 0 to frame 59"``).

    Raises
    ------
    ConfigError
        An option out of range.
    MaskError
        Areas of different lengths, or ``frame_indices`` of another length.
    MissingDependencyError
        ``engine="matplotlib"`` without matplotlib.

    Examples
    --------
    >>> import numpy as np
    >>> areas = {"obj_1": np.array([100, 102, 30, 31, 30, 31, 30, 30, 31]),
    ...          "obj_2": np.array([50, 60, 70, 85, 100, 120, 145, 175, 210])}  # +20 % a frame
    >>> fig = area_plot(areas, engine="opencv", size_wh=(320, 200))
    >>> fig.image.shape
    (200, 320, 3)
    >>> fig.text
    ('obj_1 jumps at frame 2', 'obj_2 drifts: area ×3 from frame 0 to frame 8')
    """
    _check_options(jump_threshold, drift_ratio, engine, size_wh)
    if isinstance(result, Mapping):
        areas = {str(oid): np.asarray(a, dtype=np.int64) for oid, a in result.items()}
        lengths = {a.shape for a in areas.values()}
        if not areas or len(lengths) != 1 or len(next(iter(lengths))) != 1:
            raise MaskError(
                f"areas must be one (T,) array per object, all the same length; got {lengths}"
            )
        total = next(iter(areas.values())).shape[0]
        xs = np.arange(total) if frame_indices is None else np.asarray(frame_indices, np.int64)
        if xs.shape != (total,):
            raise MaskError(f"frame_indices must have shape ({total},); got {xs.shape}")
    else:
        areas = result.areas()
        xs = result.frame_indices
    jumps: dict[str, NDArray[np.int64]] = {}
    onsets: dict[str, NDArray[np.int64]] = {}
    notes: list[str] = []
    for oid, area in areas.items():
        jumps[oid] = area_jumps(area, jump_threshold)
        drifts = area_drifts(area, jumps[oid], drift_ratio)
        onsets[oid] = np.array([d.onset for d in drifts], dtype=np.int64)
        notes += [f"{oid} jumps at frame {int(xs[t])}" for t in jumps[oid]]
        notes += [
            f"{oid} drifts: area ×{d.factor:.2g} from frame {int(xs[d.start])} to frame "
            f"{int(xs[d.peak])}"
            for d in drifts
        ]
    colours = object_colors(len(areas))
    draw = _area_plot_opencv
    if engine in ("matplotlib", "auto"):
        try:
            _import_matplotlib()
        except MissingDependencyError:
            if engine == "matplotlib":
                raise
        else:
            draw = _area_plot_matplotlib
    image = draw(areas, xs, jumps, onsets, colours, size_wh)
    return Figure(image, title="mask area per object", text=notes)


def _area_plot_matplotlib(
    areas: Mapping[str, NDArray[np.int64]],
    xs: NDArray[np.int64],
    jumps: Mapping[str, NDArray[np.int64]],
    onsets: Mapping[str, NDArray[np.int64]],
    colours: NDArray[np.uint8],
    size_wh: tuple[int, int],
) -> NDArray[np.uint8]:
    figure_module = importlib.import_module("matplotlib.figure")
    agg = importlib.import_module("matplotlib.backends.backend_agg")
    dpi = 100
    fig = figure_module.Figure(figsize=(size_wh[0] / dpi, size_wh[1] / dpi), dpi=dpi)
    agg.FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for (oid, area), colour in zip(areas.items(), colours, strict=True):
        rgb = tuple(float(c) / 255.0 for c in colour)
        ax.plot(xs, area, color=rgb, linewidth=1.8, label=oid)
        for marks, marker, size in ((jumps[oid], "x", 60), (onsets[oid], "D", 40)):
            if marks.size:
                ax.scatter(xs[marks], area[marks], color=rgb, marker=marker, s=size, zorder=3)
    ax.set_xlabel("frame")
    ax.set_ylabel("mask area (px)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    image: NDArray[np.uint8] = np.ascontiguousarray(rgba[..., :3]).astype(np.uint8)
    if image.shape[:2] != (size_wh[1], size_wh[0]):
        return np.asarray(cv2.resize(image, size_wh, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return image


def _area_plot_opencv(
    areas: Mapping[str, NDArray[np.int64]],
    xs: NDArray[np.int64],
    jumps: Mapping[str, NDArray[np.int64]],
    onsets: Mapping[str, NDArray[np.int64]],
    colours: NDArray[np.uint8],
    size_wh: tuple[int, int],
) -> NDArray[np.uint8]:
    width, height = size_wh
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    scale = 0.4
    left, right, top, bottom = 64, 12, 12 + 18 * len(areas), 36
    plot_w, plot_h = width - left - right, height - top - bottom
    if plot_w < 20 or plot_h < 20:
        raise ConfigError(
            f"size_wh {size_wh} is too small for {len(areas)} objects; make it taller"
        )
    y_max = max(1, max(int(a.max()) if a.size else 0 for a in areas.values()))
    x_min, x_max = (int(xs[0]), int(xs[-1])) if xs.size else (0, 1)
    x_span = max(1, x_max - x_min)

    def to_px(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int32]:
        px = left + (x - x_min) / x_span * plot_w
        py = top + plot_h - y / y_max * plot_h
        points: NDArray[np.int32] = np.stack([px, py], axis=-1).round().astype(np.int32)
        return points

    grey, black = (200, 200, 200), (0, 0, 0)
    for k in range(5):
        value = y_max * k / 4
        y = round(float(top + plot_h - value / y_max * plot_h))
        cv2.line(canvas, (left, y), (left + plot_w, y), grey, 1)
        cv2.putText(canvas, f"{value:,.0f}", (4, y + 4), FONT, scale, black, 1, AA)
    for x_value in np.linspace(x_min, x_max, 5):
        x = round(float(left + (x_value - x_min) / x_span * plot_w))
        cv2.putText(canvas, f"{x_value:.0f}", (x - 8, top + plot_h + 16), FONT, scale, black, 1, AA)
    cv2.putText(canvas, "frame", (left + plot_w // 2 - 16, height - 4), FONT, scale, black, 1, AA)
    cv2.rectangle(canvas, (left, top), (left + plot_w, top + plot_h), black, 1)
    for k, ((oid, area), colour) in enumerate(zip(areas.items(), colours, strict=True)):
        rgb = rgb_tuple(colour)
        points = to_px(xs.astype(np.float64), area.astype(np.float64))
        cv2.polylines(canvas, [points.reshape(-1, 1, 2)], False, rgb, 2, AA)
        for marks, marker in (
            (jumps[oid], cv2.MARKER_TILTED_CROSS),
            (onsets[oid], cv2.MARKER_DIAMOND),
        ):
            for t in marks:
                x, y = (int(v) for v in points[t])
                cv2.drawMarker(canvas, (x, y), rgb, marker, 12, 2)
        y_legend = 14 + 18 * k
        cv2.line(canvas, (left, y_legend - 4), (left + 24, y_legend - 4), rgb, 3)
        cv2.putText(canvas, oid, (left + 30, y_legend), FONT, scale, black, 1, AA)
    return canvas
