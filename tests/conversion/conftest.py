"""Makes the shared helpers of the conversion tests importable.

The project runs pytest with ``--import-mode=importlib``, which does not put test
folders on ``sys.path``; the helper module lives next to the tests, so add this folder.
"""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
