"""MkDocs hook: replace ``<!-- cli-help: ARGS -->`` markers with ``sam2-autotrack ARGS --help``.

The CLI reference is generated from the installed parser at build time, so it cannot drift from
the code. The parser wraps its help at 80 columns whatever the terminal says
(``sam2_autotrack.cli.parser``), the width a code block of this site shows without scrolling
sideways on a desktop browser, so the page is the same on every machine and needs no ``COLUMNS``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

_MARKER = re.compile(r"<!--\s*cli-help:\s*(?P<args>[^>]*?)\s*-->")


def _help_text(args: str) -> str:
    command = [sys.executable, "-m", "sam2_autotrack.cli", *args.split(), "--help"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"`sam2-autotrack {args} --help` failed with exit code {done.returncode}: "
            f"{done.stderr.strip()[-500:]}"
        )
    return done.stdout.rstrip()


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Expand the CLI help markers of a page."""

    def expand(match: re.Match[str]) -> str:
        args = match.group("args")
        shown = f"sam2-autotrack {args} --help".replace("  ", " ")
        return f"```console\n$ {shown}\n{_help_text(args)}\n```"

    return _MARKER.sub(expand, markdown)
