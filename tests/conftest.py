"""Shared fixtures: where the real datasets live, and quiet TensorFlow logs."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# The workplace keeps the official IDX files beside the repository; CI points
# SNNCONVERT_DATA there too. They are never committed.
_SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def _data_root():
    configured = os.environ.get("SNNCONVERT_DATA")
    if configured:
        return Path(configured)
    if _SHARED_DATA.is_dir():
        return _SHARED_DATA
    return None


@pytest.fixture(scope="session")
def data_dir():
    """The directory holding ``mnist/`` and ``fashion-mnist/`` IDX folders.

    Skips locally when no data is present, but fails under CI, where a missing
    data directory means the real-data tests would silently not run.
    """
    root = _data_root()
    if root is None or not (root / "mnist").is_dir():
        message = (
            "real datasets not found: set SNNCONVERT_DATA to a folder with "
            "mnist/ and fashion-mnist/ IDX files"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return root
