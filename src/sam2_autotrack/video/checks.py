"""Sniff a file before decoding it: missing paths, folders, empty files and still images.

OpenCV's FFmpeg backend "opens" a PNG as a one-frame video and says nothing useful about a missing
file, so every reader checks the path and the first bytes here first and raises the precise error
([`VideoNotFoundError`][sam2_autotrack.VideoNotFoundError] or
[`NotAVideoError`][sam2_autotrack.NotAVideoError]).
"""

from __future__ import annotations

from pathlib import Path

from sam2_autotrack.errors import NotAVideoError, VideoError, VideoNotFoundError

__all__ = [
    "VIDEO_FIX_HINT",
    "checked_video_path",
    "image_format",
    "looks_like_video_container",
    "read_head",
]

VIDEO_FIX_HINT = (
    "re-export or re-download the video, or re-encode it with "
    "`ffmpeg -i in.mp4 -c:v libx264 -pix_fmt yuv420p out.mp4`"
)
"""The fix every "this file is broken" message ends with."""

# Still-image formats OpenCV's FFmpeg backend would happily "open" as a one-frame video.
_IMAGE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
# Top-level box types an ISO-BMFF file (mp4, mov, m4v, 3gp) starts with.
_ISO_BMFF_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"})


def _existing_file(path: str | Path) -> Path:
    file = Path(path)
    if file.is_dir():
        raise VideoNotFoundError(
            f"{file} is a directory, not a video file; pass the path of a video file inside it",
            path=file,
        )
    if not file.exists():
        raise VideoNotFoundError(
            f"video file {file} does not exist; check the path (relative paths are resolved "
            f"against the working directory {Path.cwd()})",
            path=file,
        )
    return file


def read_head(file: Path, size: int = 512) -> bytes:
    """Return the first ``size`` bytes of ``file``.

    Raises
    ------
    VideoError
        The file cannot be read (permissions).
    """
    try:
        with file.open("rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise VideoError(
            f"cannot read {file}: {exc.strerror}; check its permissions", path=file
        ) from None


def image_format(head: bytes) -> str | None:
    r"""Name the still-image format a file's first bytes announce, or None.

    Examples
    --------
    >>> image_format(b"\x89PNG\r\n\x1a\n...."), image_format(b"\x00\x00\x00\x18ftypmp42")
    ('PNG', None)
    """
    for signature, name in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return None


def looks_like_video_container(head: bytes) -> bool:
    r"""Whether a file's first bytes are those of a video container (mp4, mkv, avi, ts, ...).

    Examples
    --------
    >>> looks_like_video_container(b"\x00\x00\x00\x18ftypmp42"), looks_like_video_container(b"hi")
    (True, False)
    """
    return (
        head[4:8] in _ISO_BMFF_BOXES  # mp4 / mov / 3gp
        or head.startswith(b"\x1a\x45\xdf\xa3")  # Matroska / WebM
        or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
        or head.startswith((b"FLV", b"OggS", b"\x00\x00\x01\xba"))  # FLV, Ogg, MPEG-PS
        or head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11")  # ASF / WMV
        or (len(head) > 188 and head[0] == 0x47 and head[188] == 0x47)  # MPEG-TS
    )


def checked_video_path(path: str | Path) -> Path:
    """Raise the right error for missing files, directories and still images; return the path.

    Raises
    ------
    VideoNotFoundError
        ``path`` does not exist or is a directory.
    NotAVideoError
        The file is empty or a still image.
    """
    file = _existing_file(path)
    head = read_head(file)
    if not head:
        raise NotAVideoError(
            f"{file} is empty (0 bytes), not a video; {VIDEO_FIX_HINT}",
            path=file,
        )
    image = image_format(head)
    if image is not None:
        raise NotAVideoError(
            f"{file} is a {image} image, not a video; pass a video file (.mp4, .mov, .webm, "
            "...), or turn still frames into a clip with "
            "`ffmpeg -framerate 25 -i frame_%05d.png -c:v libx264 -pix_fmt yuv420p clip.mp4`",
            path=file,
        )
    return file
