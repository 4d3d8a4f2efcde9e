"""Tiny model files and datasets for the command-line tests (built once per session).

The project runs pytest with ``--import-mode=importlib``, which does not put test
folders on ``sys.path``; the helper module ``cli_helpers`` lives next to the tests, so
this folder is added.
"""

import sys
import types
from pathlib import Path

import keras
import numpy as np
import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


def _tiny_cnn():
    """4x4x1 -> Conv2D 3x3 (linear) -> BatchNorm -> ReLU -> Flatten -> Dense 6 relu -> Dense 3.

    Fixed weights, positive enough that both populations fire at a scale of ~100.
    """
    model = keras.Sequential([
        keras.Input((4, 4, 1), name="img"),
        keras.layers.Conv2D(3, 3, name="conv"),
        keras.layers.BatchNormalization(name="bn"),
        keras.layers.ReLU(name="relu"),
        keras.layers.Flatten(name="flat"),
        keras.layers.Dense(6, activation="relu", name="hid"),
        keras.layers.Dense(3, name="out"),
    ], name="tiny_cnn")
    rng = np.random.default_rng(21)
    model.get_layer("conv").set_weights([rng.normal(0.3, 0.3, (3, 3, 1, 3)).astype(np.float32),
                                         np.full(3, 0.1, np.float32)])
    model.get_layer("bn").set_weights([np.array([1.5, 0.8, 1.2], np.float32), np.full(3, 0.1, np.float32),
                                       np.full(3, 0.2, np.float32), np.array([1.0, 0.5, 2.0], np.float32)])
    model.get_layer("hid").set_weights([rng.normal(0.0, 0.4, (12, 6)).astype(np.float32),
                                        np.full(6, 0.3, np.float32)])
    model.get_layer("out").set_weights([rng.normal(0.0, 1.0, (6, 3)).astype(np.float32),
                                        np.zeros(3, np.float32)])
    return model


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """The tiny CNN saved as ``.h5`` with 40 raw uint8 4x4 images (no channel axis) in ``.npz``.

    Labels are the model's own predictions with every fourth one changed, so the Keras
    accuracy is high but not 100 %.
    """
    folder = tmp_path_factory.mktemp("tiny")
    model = _tiny_cnn()
    model_path = folder / "tiny.h5"
    model.save(model_path)
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, (40, 4, 4)).astype(np.uint8)
    predicted = np.asarray(model(images[..., None] / np.float32(255))).argmax(axis=1)
    labels = predicted.copy()
    labels[::4] = (labels[::4] + 1) % 3
    data_path = folder / "tiny.npz"
    np.savez(data_path, x=images, y=labels)
    return types.SimpleNamespace(model=model, model_path=model_path, data_path=data_path,
                                 images=images, labels=labels, folder=folder)


@pytest.fixture(scope="session")
def unsupported_models(tmp_path_factory):
    """Model files with a layer that has no spiking equivalent: name -> (path, layer, type)."""
    folder = tmp_path_factory.mktemp("unsupported")
    normalized = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.LayerNormalization(name="layernorm"),
                                   keras.layers.Flatten(), keras.layers.Dense(3)])
    recurrent = keras.Sequential([keras.Input((4, 4)), keras.layers.LSTM(3, name="lstm")])
    normalized.save(folder / "layernorm.h5")
    recurrent.save(folder / "lstm.h5")
    return {"layernorm": (folder / "layernorm.h5", "LayerNormalization"), "lstm": (folder / "lstm.h5", "LSTM")}

