"""Shared fixtures: where the real datasets live, and quiet TensorFlow logs."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Keras's references for channels_first and dilated transposed convolutions need
# TensorFlow's oneDNN kernels on the CPU; TensorFlow turns them on by itself only on
# some processors (without them, e.g. on an AVX2-only AMD EPYC, those Keras calls raise
# UnimplementedError). Every machine then computes the references alike.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# Without SNNCONVERT_DATA, a data folder beside the clone (where CI finds it) is used.
# The files are never committed.
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


@pytest.fixture(scope="session")
def make_convnet():
    """Builds the small test CNN: 6x6x1 image -> Conv2D 4x3x3 (relu) [-> 2x2 average
    pool] -> Flatten -> Dense ``hidden`` (relu) -> Dense 3 logits, with fixed weights.

    The convolution's weights (mean 0.2) and the biases (0.1, ``hidden_bias``) are
    positive enough that every population fires; ``nonnegative_hidden`` takes the
    absolute value of the hidden kernel, so that every current into it is >= 0.
    """

    def build(hidden=12, pool=False, hidden_std=0.15, hidden_bias=0.3, logits_std=0.5, nonnegative_hidden=False):
        import keras

        inputs = keras.Input((6, 6, 1), name="img")
        x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
        if pool:
            x = keras.layers.AveragePooling2D(2, name="pool")(x)
        x = keras.layers.Flatten(name="flat")(x)
        x = keras.layers.Dense(hidden, activation="relu", name="hidden")(x)
        model = keras.Model(inputs, keras.layers.Dense(3, name="logits")(x))
        rng = np.random.default_rng(7)
        model.get_layer("conv").set_weights([rng.normal(0.2, 0.3, (3, 3, 1, 4)).astype(np.float32),
                                             np.full(4, 0.1, np.float32)])
        kernel = rng.normal(0.0, hidden_std, (model.get_layer("hidden").input.shape[-1], hidden))
        kernel = np.abs(kernel) if nonnegative_hidden else kernel
        model.get_layer("hidden").set_weights([kernel.astype(np.float32), np.full(hidden, hidden_bias, np.float32)])
        model.get_layer("logits").set_weights([rng.normal(0.0, logits_std, (hidden, 3)).astype(np.float32),
                                               np.zeros(3, np.float32)])
        return model

    return build
