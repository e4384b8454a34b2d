"""Drawing a clip: ``(family, seed)`` → every random choice → the rendered `FamilyClip`.

Every random choice comes from one `numpy.random.Generator` seeded by ``(family, seed)``
(`build_scene`); the same pair gives identical bytes on every run, and draws do not depend on
the number of frames asked for (up to 48), so a short render is the prefix of the full clip.
"""

from __future__ import annotations

import dataclasses
import zlib
from pathlib import Path

import numpy as np

from sam2_autotrack.errors import SyntheticClipError
from sam2_autotrack.testing.families.clip import HELD_OUT_SEED_START, FamilyClip
from sam2_autotrack.testing.families.definitions import BUILDERS, FAMILIES
from sam2_autotrack.testing.families.render import clip_from_scene
from sam2_autotrack.testing.families.scene import FPS, HORIZON, FamilyScene

__all__ = ["build_scene", "family_seeds", "make_family_clip"]

_FRAMES_RANGE = (30, 48)  # default number of frames, drawn per clip


def family_seeds(count: int, *, held_out: bool = True, offset: int = 0) -> tuple[int, ...]:
    """Return ``count`` consecutive seeds of the held-out set (default) or of the tuning set.

    Parameters
    ----------
    count
        Number of seeds.
    held_out
        ``True``: seeds from ``HELD_OUT_SEED_START + offset``; ``False``: tuning seeds from
        ``offset`` (all below ``HELD_OUT_SEED_START``).
    offset
        First seed relative to the start of the set.

    Returns
    -------
    tuple of int
        The seeds.

    Raises
    ------
    SyntheticClipError
        ``count`` or ``offset`` is negative, or tuning seeds would reach the held-out set.

    Examples
    --------
    >>> family_seeds(3)
    (1000, 1001, 1002)
    >>> family_seeds(2, held_out=False, offset=10)
    (10, 11)
    """
    if count < 0 or offset < 0:
        raise SyntheticClipError(f"count and offset must be >= 0; got {count}, {offset}")
    if held_out:
        start = HELD_OUT_SEED_START + offset
        return tuple(range(start, start + count))
    if offset + count > HELD_OUT_SEED_START:
        raise SyntheticClipError(
            f"only {HELD_OUT_SEED_START} tuning seeds exist (0..{HELD_OUT_SEED_START - 1}); "
            f"asked for {count} from {offset}"
        )
    return tuple(range(offset, offset + count))


def make_family_clip(
    family: str,
    seed: int,
    out_dir: str | Path | None = None,
    *,
    frames: int | None = None,
) -> FamilyClip:
    """Draw the clip ``(family, seed)`` and render it with exact visible-pixel ground truth.

    Parameters
    ----------
    family
        One of [`FAMILIES`][sam2_autotrack.testing.FAMILIES].
    seed
        Non-negative integer; ``< 1000`` for tuning, ``>= 1000`` held out (see the module notes).
    out_dir
        When given, the clip is also written there (``<name>.mp4`` and ``<name>_gt/``, see
        [`SyntheticClip.write`][sam2_autotrack.testing.SyntheticClip.write]) and `FamilyClip.files`
        says where.
    frames
        Number of frames; ``None`` (default) uses the clip's own drawn length (30-48). Asking for
        fewer frames renders a prefix of the same clip.

    Returns
    -------
    FamilyClip
        Frames ``(T, H, W, 3)`` uint8 RGB, masks ``{"gt_1": (T, H, W) bool, ...}``, regions and
        parameters; identical for identical ``(family, seed, frames)``.

    Raises
    ------
    SyntheticClipError
        Unknown family, negative or non-integer seed, ``frames < 1``.

    Examples
    --------
    >>> clip = make_family_clip("tiny", 3, frames=4)
    >>> clip.name, clip.frames.shape, clip.held_out
    ('tiny_s3', (4, 240, 320, 3), False)
    >>> 2 <= len(clip.masks) <= 6
    True
    """
    clip = clip_from_scene(build_scene(family, seed, frames))
    if out_dir is not None:
        files = clip.write(out_dir)
        clip = dataclasses.replace(clip, files=files)
    return clip


def _family_rng(family: str, seed: int) -> np.random.Generator:
    """Return the generator of a clip, seeded by the seed and a stable hash of the family."""
    return np.random.default_rng([int(seed), zlib.crc32(family.encode("ascii"))])


def _check_request(family: str, seed: int, frames: int | None) -> None:
    if family not in FAMILIES:
        raise SyntheticClipError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES)}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SyntheticClipError(f"seed must be a non-negative integer; got {seed!r}")
    if frames is not None and frames < 1:
        raise SyntheticClipError(f"frames must be at least 1; got {frames}")


def build_scene(family: str, seed: int, frames: int | None = None) -> FamilyScene:
    """Draw every random choice of ``(family, seed)``; rendering it needs no randomness."""
    _check_request(family, seed, frames)
    rng = _family_rng(family, int(seed))
    drawn_frames = int(rng.integers(_FRAMES_RANGE[0], _FRAMES_RANGE[1] + 1))
    frame_count = drawn_frames if frames is None else int(frames)
    n = max(frame_count, HORIZON)
    builder = BUILDERS[family]
    scene = builder(rng, n)
    cut = slice(0, frame_count)
    layers = tuple(
        dataclasses.replace(
            layer,
            xs=layer.xs[cut],
            ys=layer.ys[cut],
            angle=layer.angle[cut],
            scale=layer.scale[cut],
        )
        for layer in scene.layers
    )
    params = {
        "family": family,
        "seed": int(seed),
        "held_out": int(seed) >= HELD_OUT_SEED_START,
        "resolution_wh": list(scene.size_wh),
        "frame_count": frame_count,
        "fps": FPS,
        **scene.params,
    }
    return dataclasses.replace(
        scene,
        frame_count=frame_count,
        cam_x=scene.cam_x[cut],
        cam_y=scene.cam_y[cut],
        layers=layers,
        gain=scene.gain[cut],
        grad_x=scene.grad_x[cut],
        grad_y=scene.grad_y[cut],
        noise_offsets=scene.noise_offsets[cut],
        params=params,
    )
