"""Mask folders on disk: read them, and score a prediction folder against a ground-truth folder.

Layout of a mask folder: one sub-folder per object holding one image per frame,
``<folder>/<object_id>/<frame>.png`` (what `SyntheticClip.write` writes for the ground
truth and a tracking run writes under ``masks/``). A void folder holds one image per ground-truth
frame directly, ``<void>/<frame>.png``, white where pixels are to be ignored (DAVIS label 255).
A pixel is foreground (or void) when its grey value is above 127.

[`evaluate_dirs`][sam2_autotrack.evaluation.evaluate_dirs] reads one image per object at a time
while it scores (memory does not grow with the length of the clip);
[`load_mask_sequences`][sam2_autotrack.evaluation.load_mask_sequences] and
[`load_void_masks`][sam2_autotrack.evaluation.load_void_masks] return whole stacks, for short clips.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import EvaluationError, MaskError, MaskSizeError
from sam2_autotrack.evaluation.clip import evaluate
from sam2_autotrack.evaluation.frames import MaskFrames, picked_frames, png_frames
from sam2_autotrack.evaluation.protocols import EvaluationOptions, ObjectsMode, Protocol
from sam2_autotrack.evaluation.report import EvaluationReport

__all__ = ["evaluate_dirs", "load_mask_sequences", "load_void_masks"]

_IMAGE_SUFFIXES = (".png", ".bmp", ".tif", ".tiff")


def _image_files(folder: Path) -> list[Path]:
    return sorted(
        f
        for f in folder.iterdir()
        if f.is_file() and f.suffix.lower() in _IMAGE_SUFFIXES and not f.name.startswith(".")
    )


def _read_frames(files: list[Path]) -> NDArray[np.bool_]:
    frames: list[NDArray[np.bool_]] = []
    for file in files:
        image = cv2.imread(str(file), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise MaskError(f"cannot decode mask image {file}; re-export it as an 8-bit PNG")
        if frames and image.shape != frames[0].shape:
            h0, w0 = frames[0].shape
            raise MaskSizeError(
                f"mask {file} is {image.shape[1]}x{image.shape[0]} but {files[0].name} is "
                f"{w0}x{h0}; every frame of an object must have the same size",
                expected_wh=(w0, h0),
                actual_wh=(int(image.shape[1]), int(image.shape[0])),
            )
        frames.append(image > 127)
    return np.stack(frames)


def _mask_dir_files(directory: str | Path) -> dict[str, list[Path]]:
    """List a folder of per-object folders: ``{object_id: image files in frame order}``."""
    root = Path(directory)
    if not root.is_dir():
        raise EvaluationError(
            f"mask folder {root} does not exist; pass a folder with one sub-folder of PNG frames "
            "per object"
        )
    out: dict[str, list[Path]] = {}
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = _image_files(sub)
        if files:
            out[sub.name] = files
    if not out:
        raise EvaluationError(
            f"no per-object mask folders found in {root}; expected <object_id>/frame_00000.png ..."
        )
    counts = {oid: len(files) for oid, files in out.items()}
    if len(set(counts.values())) > 1:
        raise EvaluationError(
            f"objects in {root} have different frame counts {counts}; every object folder needs "
            "one image per frame"
        )
    return out


def load_mask_sequences(directory: str | Path) -> dict[str, NDArray[np.bool_]]:
    """Read ``<directory>/<object_id>/<frame>.png`` folders into ``{object_id: (T, H, W) bool}``.

    Each sub-folder holding images is one object; its images, in file-name order, are the frames.
    A pixel is foreground when its (grey) value is above 127, which reads white-on-black masks
    whether they are stored as 0/255 or anti-aliased.

    Parameters
    ----------
    directory
        The folder of per-object folders (as written by `SyntheticClip.write` for the
        ground truth, or by the mask-sequence export of a tracking run).

    Returns
    -------
    dict
        ``{object_id: (T, H, W) bool}`` in sorted id order.

    Raises
    ------
    EvaluationError
        The folder is missing, holds no per-object image folders, or objects differ in frame count.
    MaskError, MaskSizeError
        An image cannot be decoded, or its size differs from the object's first frame.

    Examples
    --------
    >>> import tempfile, pathlib, cv2, numpy as np
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "obj").mkdir()
    >>> for t in range(2):
    ...     _ = cv2.imwrite(str(root / "obj" / f"{t:05d}.png"), np.full((4, 6), 255, np.uint8))
    >>> {k: v.shape for k, v in load_mask_sequences(root).items()}
    {'obj': (2, 4, 6)}
    """
    return {oid: _read_frames(files) for oid, files in _mask_dir_files(directory).items()}


def load_void_masks(directory: str | Path) -> NDArray[np.bool_]:
    """Read a folder of per-frame void images into one ``(T, H, W)`` bool array.

    Parameters
    ----------
    directory
        A folder of images, one per frame in file-name order, white where pixels are void.

    Returns
    -------
    numpy.ndarray
        ``(T, H, W)`` bool, True on void pixels.

    Raises
    ------
    EvaluationError
        The folder is missing or holds no image.
    MaskError, MaskSizeError
        An image cannot be decoded, or its size differs from the first frame's.

    Examples
    --------
    >>> import tempfile, pathlib, cv2, numpy as np
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for t in range(3):
    ...     _ = cv2.imwrite(str(root / f"{t:05d}.png"), np.zeros((4, 6), np.uint8))
    >>> load_void_masks(root).shape
    (3, 4, 6)
    """
    return _read_frames(_void_files(Path(directory)))


def _void_files(root: Path) -> list[Path]:
    files = _image_files(root) if root.is_dir() else []
    if not files:
        raise EvaluationError(
            f"void folder {root} holds no images; pass a folder with one PNG per ground-truth "
            "frame, white where pixels are void"
        )
    return files


def evaluate_dirs(
    pred_dir: str | Path,
    gt_dir: str | Path,
    *,
    protocol: Protocol = "davis-unsupervised",
    objects: ObjectsMode = "all",
    void_dir: str | Path | None = None,
    bound_th: float = 0.008,
) -> EvaluationReport:
    """Score the mask folders in ``pred_dir`` against those in ``gt_dir``.

    Both folders use the layout of
    [`load_mask_sequences`][sam2_autotrack.evaluation.load_mask_sequences]; the object ids of the
    two sides need not agree under the unsupervised protocol (objects are matched). When the
    predictions hold only some of the frames (masks exported every k-th frame, ``frame_00000.png``,
    ``frame_00005.png``, ...), the ground truth and the void are scored on the frames with the same
    file names, and the protocol's first and last frames are those of the kept frames.

    Parameters
    ----------
    pred_dir
        Folder of predicted per-object PNG folders.
    gt_dir
        Folder of ground-truth per-object PNG folders.
    protocol
        ``"davis-unsupervised"`` or ``"davis-semi-supervised"``, as in
        [`evaluate`][sam2_autotrack.evaluation.evaluate].
    objects
        Which ground-truth objects are scored (``"all"``, ``"davis-frame0-labels"``,
        ``"present_at_start"``), as in [`evaluate`][sam2_autotrack.evaluation.evaluate].
    bound_th
        Boundary tolerance of the F measure, as a fraction of the image diagonal (below 1) or in
        pixels, as in [`evaluate`][sam2_autotrack.evaluation.evaluate].
    void_dir
        Optional folder of void images, one per ground-truth frame (see
        [`load_void_masks`][sam2_autotrack.evaluation.load_void_masks]).

    Returns
    -------
    EvaluationReport
        As [`evaluate`][sam2_autotrack.evaluation.evaluate] returns.

    Raises
    ------
    ConfigError
        As [`evaluate`][sam2_autotrack.evaluation.evaluate] raises, before any file is read.
    EvaluationError
        As [`load_mask_sequences`][sam2_autotrack.evaluation.load_mask_sequences] and
        [`evaluate`][sam2_autotrack.evaluation.evaluate] raise, or the void folder does not hold one
        image per ground-truth frame.

    Examples
    --------
    >>> import tempfile, pathlib, cv2, numpy as np
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for side, oid in (("gt", "gt_1"), ("pred", "obj_0")):
    ...     (root / side / oid).mkdir(parents=True)
    ...     mask = np.zeros((16, 16), np.uint8); mask[4:12, 4:12] = 255
    ...     _ = cv2.imwrite(str(root / side / oid / "frame_00000.png"), mask)
    >>> evaluate_dirs(root / "pred", root / "gt").jf_mean
    1.0
    """
    options = EvaluationOptions(protocol=protocol, objects=objects, bound_th=bound_th)
    pred_files = _mask_dir_files(pred_dir)
    gt_files = _mask_dir_files(gt_dir)
    gt_names = tuple(f.stem for f in next(iter(gt_files.values())))
    pred_names = tuple(f.stem for f in next(iter(pred_files.values())))
    gt_seqs: dict[str, MaskFrames] = {oid: png_frames(files) for oid, files in gt_files.items()}
    void: MaskFrames | None = None
    if void_dir is not None:
        void_files = _void_files(Path(void_dir))
        void = png_frames(void_files)
        if len(void_files) != len(gt_names):
            raise EvaluationError(
                f"void folder {void_dir} holds {len(void_files)} images but the ground truth has "
                f"{len(gt_names)} frames; pass one void image per ground-truth frame"
            )
    if pred_names != gt_names and set(pred_names) < set(gt_names):
        # Masks exported every k-th frame: score the ground truth's frames of the same names.
        index = {name: t for t, name in enumerate(gt_names)}
        keep = [index[name] for name in pred_names]
        gt_seqs = {oid: picked_frames(seq, keep) for oid, seq in gt_seqs.items()}
        void = None if void is None else picked_frames(void, keep)
    return evaluate(
        {oid: png_frames(files) for oid, files in pred_files.items()},
        gt_seqs,
        protocol=options.protocol,
        objects=options.objects,
        void=void,
        bound_th=options.bound_th,
    )
