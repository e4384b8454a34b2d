"""The ``sam2-autotrack`` command line: ``track``, ``demo``, ``export`` and ``eval``.

``parser`` declares the flags, ``settings`` turns them into validated option objects,
``commands`` runs each sub-command and ``main`` maps outcomes to exit statuses: 0 success,
1 failure (one line on stderr), 2 bad usage or an invalid option, 130 interrupted.
"""

from sam2_autotrack.cli.main import main
from sam2_autotrack.cli.parser import build_parser

__all__ = ["build_parser", "main"]
