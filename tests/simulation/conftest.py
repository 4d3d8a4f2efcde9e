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


@pytest.fixture(scope="session")
def chain_model():
    return _chain_model()


@pytest.fixture(scope="session")
def convnet(make_convnet):
    """The shared small CNN (tests/conftest.py), hidden layer of 12."""
    return make_convnet()


@pytest.fixture(scope="session")
def convnet_images():
    return np.random.default_rng(99).uniform(0.0, 1.0, (8, 6, 6, 1)).astype(np.float32)
