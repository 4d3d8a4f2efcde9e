"""Small Keras models shared by the simulation tests (session-scoped: Keras is slow to build)."""

import inspect

import keras
import numpy as np
import pytest

from snnconvert.network import SpikingNetwork


@pytest.fixture(scope="session", autouse=True)
def _no_xla_unless_asked():
    """Simulate without XLA unless a test passes ``jit_compile`` itself.

    XLA compiles each (population, gain, window length) separately and takes seconds per
    compilation even for these tiny networks; the semantics under test do not depend on
    it, and test_simulator.py checks that XLA gives the same spikes.
    """
    original = SpikingNetwork.simulator
    if "jit_compile" not in inspect.signature(original).parameters:
        yield
        return

    def simulator(self, **options):
        options.setdefault("jit_compile", False)
        return original(self, **options)

    # Session-scoped (so module-scoped fixtures that simulate see it too).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SpikingNetwork, "simulator", simulator)
        yield


def _chain_model():
    """``inp(1,) -> A (weight 1, relu) -> B (weight 2, relu)``, both A and B as outputs."""
    inp = keras.Input((1,), name="inp")
    a = keras.layers.Dense(1, use_bias=False, activation="relu", name="A")(inp)
    b = keras.layers.Dense(1, use_bias=False, activation="relu", name="B")(a)
    model = keras.Model(inp, [a, b])
    model.get_layer("A").set_weights([np.ones((1, 1), np.float32)])
    model.get_layer("B").set_weights([np.full((1, 1), 2.0, np.float32)])
    return model


def _small_convnet():
    """Conv -> Flatten -> Dense(relu) -> Dense(logits), fixed weights (mixed-sign hidden kernel)."""
    keras.utils.set_random_seed(1234)
    inp = keras.Input((6, 6, 1), name="img")
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inp)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(12, activation="relu", name="hidden")(x)
    out = keras.layers.Dense(3, name="logits")(x)
    model = keras.Model(inp, out)
    rng = np.random.default_rng(7)
    # Biases > 0 so that most neurons are active (otherwise spike statistics are thin).
    conv_k = rng.normal(0.2, 0.3, (3, 3, 1, 4)).astype(np.float32)
    conv_b = np.full(4, 0.1, np.float32)
    hid_k = rng.normal(0.0, 0.15, (64, 12)).astype(np.float32)
    hid_b = np.full(12, 0.3, np.float32)
    out_k = rng.normal(0.0, 0.5, (12, 3)).astype(np.float32)
    out_b = np.zeros(3, np.float32)
    model.get_layer("conv").set_weights([conv_k, conv_b])
    model.get_layer("hidden").set_weights([hid_k, hid_b])
    model.get_layer("logits").set_weights([out_k, out_b])
    return model


@pytest.fixture(scope="session")
def chain_model():
    return _chain_model()


@pytest.fixture(scope="session")
def convnet():
    return _small_convnet()


@pytest.fixture(scope="session")
def convnet_images():
    return np.random.default_rng(99).uniform(0.0, 1.0, (8, 6, 6, 1)).astype(np.float32)
