"""Makes the NIR reference simulator (next to these tests) and the conversion tests'
helpers importable under ``--import-mode=importlib``."""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for folder in (_HERE, _HERE.parent / "conversion"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
