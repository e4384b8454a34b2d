"""Export speed against ffmpeg alone, on bigbuckbunny (132 frames at 1280x720), 3 objects.

One run, printed as ratios (lower is better):

* ``overlay + union alpha``: `write_exports` with ``alpha="webm", overlay=True`` at the
  default preset, against ffmpeg alone encoding the very same frames with the same settings
  (target <= 1.5x). The frames the library hands its encoders are captured once (an ffmpeg
  wrapper tees each encoder's stdin to a file, untimed), then ffmpeg is timed encoding those files
  with the captured arguments — its own default threading, the two encodes one after the other
  (and, for reference, both at once).
* ``per-object alpha``: three per-object alpha videos in one call (`write_alpha_videos`)
  against one union alpha video written the same way (target <= 2x); and, for reference, the
  three videos again with ``clear_hidden=False`` (the source picture kept where the alpha hides
  it, the behaviour before this option): time and total file size.

The masks are three moving ellipses (the exports do not care how masks were made). Run::

    .venv/bin/python benchmarks/bench_export.py [--quality good]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from sam2_autotrack import Click, ClickSet, ObjectTracks, TrackResult, probe_video
from sam2_autotrack.export import (
    DEFAULT_QUALITY,
    QUALITIES,
    ExportOptions,
    write_alpha_videos,
    write_exports,
)
from sam2_autotrack.masks import MaskSequence
from sam2_autotrack.testing import sample_video
from sam2_autotrack.video import find_ffmpeg

_CAPTURE = """#!/bin/sh
case "$*" in *pipe:0*)
  stamp=$(date +%s%N)
  for arg in "$@"; do printf '%s\\n' "$arg"; done > "{folder}/args.$stamp"
  tee "{folder}/frames.$stamp" | "{real}" "$@"; exit $?;;
esac
exec "{real}" "$@"
"""


def _result(objects: int) -> TrackResult:
    video = sample_video("bigbuckbunny")
    info = probe_video(video, exact_frame_count=True)
    width, height = info.resolution_wh
    yy, xx = np.mgrid[0:height, 0:width]
    sequences = {}
    for k in range(objects):
        sequence = MaskSequence((width, height))
        for t in range(info.frame_count):
            cx, cy = width * (0.2 + 0.3 * k) + 3 * t, height * 0.5 + 40 * np.sin(t / 10 + k)
            sequence.append(
                ((xx - cx) / (0.12 * width)) ** 2 + ((yy - cy) / (0.25 * height)) ** 2 < 1
            )
        sequences[f"obj_{k + 1}"] = sequence
    clicks = ClickSet.build(
        [Click(x=int(width * (0.2 + 0.3 * k)), y=height // 2, object_id=f"obj_{k + 1}")
         for k in range(objects)],
        resolution_wh=(width, height),
    )  # fmt: skip
    tracks = ObjectTracks(
        masks=sequences, frame_indices=np.arange(info.frame_count), frame_count=info.frame_count
    )
    return TrackResult(tracks=tracks, clicks=clicks, video=video, video_info=info)


def _timed(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - started


def _replay_commands(folder: Path, out: Path) -> list[list[str]]:
    """Return the captured encoder commands reading the captured frames, threads left to ffmpeg."""
    commands = []
    for n, args_file in enumerate(sorted(folder.glob("args.*"))):
        args = args_file.read_text().splitlines()
        frames = folder / args_file.name.replace("args.", "frames.")
        i = args.index("-threads")
        del args[i : i + 2]
        args = [str(frames) if a == "pipe:0" else a for a in args]
        args[-1] = str(out / f"replay{n}{Path(args[-1]).suffix}")
        commands.append([str(find_ffmpeg()), "-nostdin", *args])
    return commands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", choices=QUALITIES, default=DEFAULT_QUALITY)
    args = parser.parse_args()
    result = _result(3)
    options = ExportOptions(alpha="webm", overlay=True, quality=args.quality)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        capture = root / "capture"
        capture.mkdir()
        wrapper = root / "ffmpeg-capture"
        wrapper.write_text(_CAPTURE.format(folder=capture, real=find_ffmpeg()))
        wrapper.chmod(0o755)
        write_exports(result, root / "captured", options.replace(ffmpeg=wrapper))

        library = _timed(lambda: write_exports(result, root / "library", options))
        commands = _replay_commands(capture, root)

        def one_after_the_other() -> None:
            for command in commands:
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL)

        def side_by_side() -> None:
            procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL) for c in commands]
            assert all(p.wait() == 0 for p in procs)

        alone = _timed(one_after_the_other)
        alone_parallel = _timed(side_by_side)

        source, frames = result.video, result.frame_indices
        masks = {oid: result.mask_sequence(oid) for oid in result.object_ids}
        common = {"frame_indices": frames, "frame_count": result.frame_count}
        union = _timed(
            lambda: write_alpha_videos(
                source,
                masks,
                out_paths={},
                union_path=root / "u" / "union.webm",
                quality=args.quality,
                **common,
            )
        )
        per_object = _timed(
            lambda: write_alpha_videos(
                source,
                masks,
                out_paths={oid: root / "o" / f"{oid}.webm" for oid in masks},
                quality=args.quality,
                **common,
            )
        )
        kept = _timed(
            lambda: write_alpha_videos(
                source,
                masks,
                out_paths={oid: root / "k" / f"{oid}.webm" for oid in masks},
                quality=args.quality,
                clear_hidden=False,
                **common,
            )
        )
        cleared_mb = sum(p.stat().st_size for p in (root / "o").iterdir()) / 1e6
        kept_mb = sum(p.stat().st_size for p in (root / "k").iterdir()) / 1e6
    print(f"bigbuckbunny 1280x720, {result.frame_count} frames, 3 objects, quality={args.quality}")
    print(f"overlay + union alpha: library {library:.2f} s, ffmpeg alone {alone:.2f} s "
          f"(both encodes at once {alone_parallel:.2f} s)")  # fmt: skip
    print(f"  ratio library / ffmpeg alone: {library / alone:.2f}x (target <= 1.5x); "
          f"/ ffmpeg alone side by side: {library / alone_parallel:.2f}x")  # fmt: skip
    print(f"per-object alpha: 3 objects {per_object:.2f} s, one union {union:.2f} s")
    print(f"  ratio 3 objects / one union: {per_object / union:.2f}x (target <= 2x)")
    print(f"  hidden picture kept (clear_hidden=False): 3 objects {kept:.2f} s, {kept_mb:.1f} MB "
          f"vs cleared {per_object:.2f} s, {cleared_mb:.1f} MB: {kept / per_object:.2f}x faster, "
          f"{kept_mb / cleared_mb:.1f}x smaller")  # fmt: skip


if __name__ == "__main__":
    main()
