"""``python -m sam2_autotrack.cli``: the same as the ``sam2-autotrack`` command."""

import sys

from sam2_autotrack.cli.main import main

sys.exit(main())
