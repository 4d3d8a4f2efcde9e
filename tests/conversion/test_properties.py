"""Property-based tests: random small Keras networks convert exactly.

Hypothesis draws an architecture as plain data (a list of ``(layer class, options)``
steps, with branch-and-merge blocks), deriving every layer's options from the shape
the previous layers produce, so each drawn network is valid Keras. The properties:

* rate mode reproduces the Keras model at every step (float32 round-off only);
* spiking mode at a very high ``scale_firing_rates``, averaged over a long run,
  approaches the rate output.

Runs are derandomized (the same examples every time), so CI is reproducible.
"""

import keras
import numpy as np
import pytest
from conversion_helpers import assert_close, assert_over_time_equals, keras_outputs, randomize_weights
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import snnconvert

L = keras.layers

PROPERTY_SETTINGS = settings(
    max_examples=30,
    deadline=None,  # building a Keras model takes a variable few hundred milliseconds
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
N_SAMPLES = 3
MAX_SIDE = 8  # images stay at most 8x8 so every example builds and runs fast
MAX_CHANNELS = 4


# ---------------------------------------------------------------- architectures
def output_shape(step, shape):
    """The shape (without batch axis) after ``step``; Keras itself says."""
    kind, options = step
    return tuple(getattr(L, kind)(**options).compute_output_shape((None, *shape))[1:])


ACTIVATIONS = st.sampled_from([None, "relu", "linear"])


@st.composite
def image_step(draw, shape):
    """One layer for ``[H, W, C]`` data that keeps it an image."""
    height, width, channels = shape
    smallest = min(height, width)
    # Weighted layers are listed twice: they are where conversions go wrong.
    choices = ["Conv2D", "Conv2D", "DepthwiseConv2D", "DepthwiseConv2D", "BatchNormalization", "ReLU",
               "Activation", "Dropout", "ZeroPadding2D", "Permute"]
    if smallest >= 2:
        choices += ["AveragePooling2D", "MaxPooling2D"]
    if smallest >= 3:
        choices += ["Cropping2D"]
    if max(height, width) * 2 <= MAX_SIDE:
        choices += ["UpSampling2D"]
    kind = draw(st.sampled_from(choices))
    padding = draw(st.sampled_from(["valid", "same"]))
    kernel = draw(st.integers(1, min(3, smallest) if padding == "valid" else 3))
    if kind == "Conv2D":
        options = dict(filters=draw(st.integers(1, MAX_CHANNELS)), kernel_size=kernel, padding=padding,
                       strides=draw(st.integers(1, 2)), activation=draw(ACTIVATIONS),
                       use_bias=draw(st.booleans()))
    elif kind == "DepthwiseConv2D":
        options = dict(kernel_size=kernel, padding=padding, strides=draw(st.integers(1, 2)),
                       depth_multiplier=draw(st.integers(1, max(1, MAX_CHANNELS // channels))),
                       activation=draw(ACTIVATIONS), use_bias=draw(st.booleans()))
    elif kind == "BatchNormalization":
        options = dict(axis=draw(st.sampled_from([-1, 1, 2])))
    elif kind == "Activation":
        options = dict(activation="relu")
    elif kind == "Dropout":
        options = dict(rate=0.5, seed=0)
    elif kind == "ZeroPadding2D":
        pad = st.integers(0, 1 if max(height, width) < MAX_SIDE - 1 else 0)
        options = dict(padding=((draw(pad), draw(pad)), (draw(pad), draw(pad))))
    elif kind == "Permute":
        options = dict(dims=tuple(draw(st.permutations([1, 2, 3]))))
    elif kind in ("AveragePooling2D", "MaxPooling2D"):
        options = dict(pool_size=draw(st.integers(1, 2)), padding=padding,
                       strides=draw(st.sampled_from([None, 1, 2])))
    elif kind == "Cropping2D":
        crop = st.integers(0, 1)
        options = dict(cropping=((draw(crop), draw(crop)), (draw(crop), draw(crop))))
    elif kind == "UpSampling2D":
        options = dict(size=(draw(st.integers(1, 2)), draw(st.integers(1, 2))))
    else:
        options = {}
    return kind, options


@st.composite
def sequence_step(draw, shape):
    """One layer for ``[steps, channels]`` data."""
    length, _ = shape
    kind = draw(st.sampled_from(["Conv1D", "Conv1D", "BatchNormalization", "ReLU", "Dropout", "AveragePooling1D",
                                 "MaxPooling1D"]))
    if kind in ("AveragePooling1D", "MaxPooling1D"):
        padding = draw(st.sampled_from(["valid", "same"]))
        options = dict(pool_size=draw(st.integers(1, min(2, length) if padding == "valid" else 2)), padding=padding,
                       strides=draw(st.sampled_from([None, 1, 2])))
    elif kind == "Conv1D":
        padding = draw(st.sampled_from(["valid", "same"]))
        options = dict(filters=draw(st.integers(1, MAX_CHANNELS)), padding=padding,
                       kernel_size=draw(st.integers(1, min(3, length) if padding == "valid" else 3)),
                       strides=draw(st.integers(1, 2)), activation=draw(ACTIVATIONS))
    elif kind == "Dropout":
        options = dict(rate=0.5, seed=0)
    else:
        options = {}
    return kind, options


@st.composite
def vector_step(draw, shape):
    kind = draw(st.sampled_from(["Dense", "Dense", "BatchNormalization", "ReLU", "Activation", "Dropout"]))
    if kind == "Dense":
        options = dict(units=draw(st.integers(1, 6)), activation=draw(ACTIVATIONS),
                       use_bias=draw(st.booleans()))
    elif kind == "Activation":
        options = dict(activation="relu")
    elif kind == "Dropout":
        options = dict(rate=0.5, seed=0)
    else:
        options = {}
    return kind, options


def domain(shape):
    return {3: "image", 2: "sequence", 1: "vector"}[len(shape)]


@st.composite
def reshaping_step(draw, shape):
    """A layer that moves data to another rank: images -> sequences or vectors, ..."""
    size = int(np.prod(shape))
    if len(shape) == 3:
        kind = draw(st.sampled_from(["Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Reshape"]))
        if kind == "Reshape":  # rows become steps: [H, W*C]
            return kind, dict(target_shape=(shape[0], shape[1] * shape[2]))
        return kind, {}
    if len(shape) == 2:
        return draw(st.sampled_from(["Flatten", "GlobalAveragePooling1D", "GlobalMaxPooling1D"])), {}
    if size in (4, 6, 8, 9, 12, 16):  # a vector becomes a small image again
        side = max(d for d in (2, 3, 4) if size % d == 0)
        return "Reshape", dict(target_shape=(side, size // side, 1))
    return "Reshape", dict(target_shape=(size, 1))


@st.composite
def chain(draw, shape, min_layers, max_layers):
    """``(steps, shape)``: ``min_layers`` to ``max_layers`` layers starting from ``shape``
    (fewer when a drawn layer would make the data too big or empty)."""
    steps = []
    for _ in range(draw(st.integers(min_layers, max_layers))):
        if draw(st.integers(0, 5)) == 0:
            step = draw(reshaping_step(shape))
        else:
            step = draw({"image": image_step, "sequence": sequence_step, "vector": vector_step}[domain(shape)](shape))
        new_shape = output_shape(step, shape)
        if int(np.prod(new_shape)) > 256 or min(new_shape) < 1:
            continue  # too big to stay fast, or collapsed: leave this layer out
        steps.append(step)
        shape = new_shape
    return steps, shape


@st.composite
def same_shape_branch(draw, shape, channels):
    """Layers from ``shape`` to the same shape with ``channels`` channels (last axis)."""
    steps = []
    if channels != shape[-1]:
        if len(shape) == 1:
            steps.append(("Dense", dict(units=channels, activation=draw(ACTIVATIONS))))
        elif len(shape) == 2:
            steps.append(("Conv1D", dict(filters=channels, kernel_size=draw(st.integers(1, 3)), padding="same",
                                         activation=draw(ACTIVATIONS))))
        else:
            steps.append(("Conv2D", dict(filters=channels, kernel_size=draw(st.integers(1, 3)), padding="same",
                                         activation=draw(ACTIVATIONS))))
    shape = shape[:-1] + (channels,)
    keeping = {
        1: ["BatchNormalization", "ReLU", "Dropout", "Dense"],
        2: ["BatchNormalization", "ReLU", "Conv1D"],
        3: ["BatchNormalization", "ReLU", "Conv2D", "DepthwiseConv2D", "AveragePooling2D"],
    }[len(shape)]
    for kind in draw(st.lists(st.sampled_from(keeping), max_size=2)):
        if kind == "Dense":
            options = dict(units=channels, activation=draw(ACTIVATIONS))
        elif kind in ("Conv1D", "Conv2D"):
            options = dict(filters=channels, kernel_size=draw(st.integers(1, 3)), padding="same")
        elif kind == "DepthwiseConv2D":
            options = dict(kernel_size=draw(st.integers(1, 3)), padding="same")
        elif kind == "AveragePooling2D":
            options = dict(pool_size=draw(st.integers(1, 2)), strides=1, padding="same")
        elif kind == "Dropout":
            options = dict(rate=0.5, seed=0)
        else:
            options = {}
        steps.append((kind, options))
    return steps


@st.composite
def merge_block(draw, shape):
    """``(("merge", kind, options, branches), shape)``: 2-3 branches joined by one merge layer."""
    kind = draw(st.sampled_from(["Add", "Subtract", "Average", "Concatenate"]))
    n_branches = 2 if kind == "Subtract" else draw(st.integers(2, 3))
    # Keeping the input's channels lets a branch be the identity: a residual connection.
    kept = [shape[-1]] if shape[-1] <= 2 * MAX_CHANNELS else []
    channel_counts = st.sampled_from([*kept, *range(1, MAX_CHANNELS + 1)])
    if kind == "Concatenate":
        channels = [draw(channel_counts) for _ in range(n_branches)]
        # Equal channels allow joining along any axis; otherwise only along the channels.
        axes = list(range(1, len(shape) + 1)) if len(set(channels)) == 1 else [len(shape)]
        options = dict(axis=draw(st.sampled_from([*axes, -1])))
    else:
        channels = [draw(channel_counts)] * n_branches
        options = {}
    branches = [draw(same_shape_branch(shape, c)) for c in channels]
    merged = getattr(L, kind)(**options).compute_output_shape([(None, *shape[:-1], c) for c in channels])
    return ("merge", kind, options, branches), tuple(merged[1:])


# Hypothesis explores one kind of input at a time better than a mixture, whose first
# examples tend to share one kind; so every property runs once per kind of input.
INPUT_SHAPES = {
    "image": st.tuples(st.integers(3, 6), st.integers(3, 6), st.integers(1, 3)),
    "sequence": st.tuples(st.integers(3, 8), st.integers(1, 3)),
    "vector": st.tuples(st.integers(2, 6)),
}


@st.composite
def sequential_architectures(draw, kind):
    """``(input shape, steps)`` for a Sequential model ending in a linear Dense head."""
    shape = draw(INPUT_SHAPES[kind])
    steps, last = draw(chain(shape, min_layers=2, max_layers=6))
    if len(last) > 1:
        steps.append(draw(st.sampled_from([("Flatten", {}), ("GlobalAveragePooling2D", {})]))
                     if len(last) == 3 else ("Flatten", {}))
    steps.append(("Dense", dict(units=draw(st.integers(1, 4)))))
    return shape, steps


@st.composite
def functional_architectures(draw, kind):
    """``(input shape, steps)`` with one or two branch-and-merge blocks."""
    input_shape = shape = draw(INPUT_SHAPES[kind])
    steps = []
    for _ in range(draw(st.integers(1, 2))):
        before, shape = draw(chain(shape, min_layers=0, max_layers=2))
        block, shape = draw(merge_block(shape))
        steps += [*before, block]
    after, shape = draw(chain(shape, min_layers=0, max_layers=1))
    steps += after
    if len(shape) > 1:
        steps.append(("Flatten", {}))
    steps.append(("Dense", dict(units=draw(st.integers(1, 4)))))
    return input_shape, steps


# ---------------------------------------------------------------- building
def make_layer(step):
    kind, options = step
    return getattr(L, kind)(**options)


def apply_steps(steps, x):
    for step in steps:
        if step[0] == "merge":
            _, kind, options, branches = step
            outputs = [apply_steps(branch, x) for branch in branches]
            x = getattr(L, kind)(**options)(outputs)
        else:
            x = make_layer(step)(x)
    return x


def build_sequential(input_shape, steps, seed):
    model = keras.Sequential([keras.Input(input_shape), *map(make_layer, steps)])
    return randomize_weights(model, seed=seed)


def build_functional(input_shape, steps, seed):
    inputs = keras.Input(input_shape)
    return randomize_weights(keras.Model(inputs, apply_steps(steps, inputs)), seed=seed)


def sample_inputs(model, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N_SAMPLES, *model.inputs[0].shape[1:])).astype(np.float32)


def reference(model, x):
    """Keras's output; examples whose output ignores the input (all ReLUs silent) prove little."""
    expected = keras_outputs(model, x)[0]
    assume(np.ptp(expected, axis=0).max() > 1e-3)
    return expected


# ---------------------------------------------------------------- properties
INPUT_KINDS = pytest.mark.parametrize("kind", list(INPUT_SHAPES))
SEEDS = st.integers(0, 2**16)


def check_rate_mode(model, seed):
    x = sample_inputs(model, seed)
    expected = reference(model, x)
    net = snnconvert.convert(model, neuron_type="rate")
    output = net.predict(x, n_steps=2, progress=False, jit_compile=False)
    # float32 carries ~7 digits; sums of a few dozen products and a BatchNorm folded
    # into a kernel leave errors of a few 1e-7 of the output's magnitude (measured:
    # at most 2e-7 here), so 1e-5 (assert_close's tolerance) has margin yet catches
    # any real difference.
    assert_over_time_equals(output, expected, n_steps=2)


@INPUT_KINDS
@settings(PROPERTY_SETTINGS, max_examples=10)
@given(data=st.data(), seed=SEEDS)
def test_rate_mode_matches_keras_for_random_sequential_models(kind, data, seed):
    architecture = data.draw(sequential_architectures(kind), label="architecture")
    check_rate_mode(build_sequential(*architecture, seed=seed), seed)


@INPUT_KINDS
@settings(PROPERTY_SETTINGS, max_examples=10)
@given(data=st.data(), seed=SEEDS)
def test_rate_mode_matches_keras_for_random_functional_models(kind, data, seed):
    architecture = data.draw(functional_architectures(kind), label="architecture")
    check_rate_mode(build_functional(*architecture, seed=seed), seed)


# Spiking: at s = 1e4 and dt = 1 ms, a unit input current makes 10 spikes per step.
SPIKING_SCALE, SPIKING_STEPS, DT = 1e4, 200, 0.001


@INPUT_KINDS
@settings(PROPERTY_SETTINGS, max_examples=5)
@given(data=st.data(), seed=SEEDS)
def test_spiking_time_average_approaches_rate_output(kind, data, seed):
    """Over a long run, spike counts carry the rate values (neurons keep their voltage residue).

    A neuron fed a constant current is exact up to its final voltage, under one spike:
    1 / (steps * s * dt) = 5e-4 of a unit input. Deeper layers receive spikes, whose
    per-step quantisation (1 / (s * dt) = 0.1 of a unit) is clipped by max(J, 0) where
    a neuron's mean current is near zero, biasing its mean slightly; a spiking max-pool
    whose inputs trade the lead passes a few extra spikes. Over these examples and 135
    other random networks (95 with max pooling) the error stayed below 6.4e-3 of the
    output's magnitude; 2e-2 leaves a margin, while a wrong gain or amplitude, a cap of
    one spike per step or a reset that drops the voltage residue (0.5 spike per step,
    5 % of a unit) would show.
    """
    model = build_functional(*data.draw(functional_architectures(kind), label="architecture"), seed=seed)
    x = sample_inputs(model, seed)
    expected = reference(model, x)
    net = snnconvert.convert(model, scale_firing_rates=SPIKING_SCALE)
    # Windows of 10 steps trace fast, and the voltages must also carry across 20 windows.
    output = net.predict(x, n_steps=SPIKING_STEPS, dt=DT, progress=False, jit_compile=False, chunk_steps=10)
    assert_close(output.mean(axis=1), expected, tol=2e-2)
