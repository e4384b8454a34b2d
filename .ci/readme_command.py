"""Print the N-th fenced ``bash`` block of README.md (1-based), so CI runs exactly what users run."""

import re
import sys
from pathlib import Path

blocks = re.findall(r"```bash\n(.*?)```", Path("README.md").read_text(), flags=re.S)
print(blocks[int(sys.argv[1]) - 1].strip())
