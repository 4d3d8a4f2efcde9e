"""Fixtures of the report tests; helpers live in ``report_helpers`` next to this file.

The project runs pytest with ``--import-mode=importlib``, which does not put test
folders on ``sys.path``, so this folder is added for the helper module.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import report_helpers  # noqa: E402


@pytest.fixture(scope="session")
def mlp():
    return report_helpers.hidden_mlp()


@pytest.fixture(scope="session")
def mlp_data():
    """30 samples in [0, 1) with labels 0..2 (not the model's own predictions)."""
    rng = np.random.default_rng(11)
    x = rng.uniform(0.0, 1.0, (30, 6)).astype(np.float32)
    y = rng.integers(0, 3, 30)
    return x, y
