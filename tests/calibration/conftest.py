"""The notebook test here reuses the helpers of ``tests/test_notebooks.py``; the project
runs pytest with ``--import-mode=importlib``, which puts no test folder on ``sys.path``,
so ``tests/`` is added."""

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parent.parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
