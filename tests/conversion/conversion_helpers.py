"""Helpers shared by the conversion tests: model builders, random weights, the rate-mode
check and error-message checks.

The reference for every check is Keras itself: a converted network run with rate
neurons and no synapse must give, at every step, the output of ``model(x)``.
"""

import keras
import numpy as np

import snnconvert
from snnconvert.ir import AffineNode


def seq(input_shape, *layers, name=None):
    """A Sequential model of ``layers`` on an input of ``input_shape`` (Keras's initial weights)."""
    return keras.Sequential([keras.Input(input_shape), *layers], name=name)


def random_seq(input_shape, *layers):
    """``seq`` with every weight randomized by ``randomize_weights`` (seed 0)."""
    return randomize_weights(seq(input_shape, *layers))


def randomize_weights(model, seed=0):
    """Give every weight of ``model`` a random, non-trivial value.

    Kernels ~ N(0, 1/fan_in) keep activations O(1); biases, betas and moving means are
    nonzero; gammas have random signs; moving variances lie in [0.5, 2]. This makes a
    BatchNormalization far from the identity and a forgotten bias visible.
    Works for Keras 3 and tf_keras (Keras 2) models.
    """
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if not layer.weights:
            continue
        values = []
        for variable, current in zip(layer.weights, layer.get_weights(), strict=True):
            name = variable.name.split("/")[-1].split(":")[0]
            shape = current.shape
            if "variance" in name:
                value = rng.uniform(0.5, 2.0, shape)
            elif "gamma" in name:
                value = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
            elif "kernel" in name:
                fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
                value = rng.normal(0.0, 1.5 / np.sqrt(fan_in), shape)
            else:  # bias, beta, moving_mean, ...
                value = rng.normal(0.0, 0.5, shape)
            values.append(value.astype(current.dtype))
        layer.set_weights(values)
    return model


def random_inputs(model, n=4, seed=1):
    """Random samples (both signs) for each model input: an array or a list of them."""
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=(n, *tensor.shape[1:])).astype(np.float32) for tensor in model.inputs]
    return arrays[0] if len(arrays) == 1 else arrays


def keras_outputs(model, x):
    """The model's outputs (inference mode) as a list of numpy arrays."""
    y = model(x, training=False)
    if isinstance(y, dict):
        y = list(y.values())
    if not isinstance(y, (list, tuple)):
        y = [y]
    return [np.asarray(value) for value in y]


def assert_close(actual, expected, tol=1e-5, atol=None):
    """Element-wise match with rtol ``tol`` and atol ``tol``, scaled up for large values
    (relative), unless ``atol`` is given."""
    expected = np.asarray(expected)
    if atol is None:
        scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
        atol = tol * scale
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=atol)


def assert_over_time_equals(over_time, expected, n_steps, atol=None):
    """``over_time`` ``[n, n_steps, ...]`` equals ``expected`` ``[n, ...]`` at every step
    (``assert_close``; ``atol``: a fixed absolute tolerance instead of the scaled one)."""
    assert over_time.shape == (expected.shape[0], n_steps, *expected.shape[1:]), (
        over_time.shape,
        expected.shape,
    )
    for step in range(n_steps):
        assert_close(over_time[:, step], expected, atol=atol)


def check_rate_matches_keras(model, x=None, *, n_steps=3, reference=None, atol=None, **convert_options):
    """Convert ``model`` with rate neurons and check every output at every step.

    ``reference``: a model whose outputs are the expected values (default ``model``),
    e.g. a linear twin of a model with a softmax output.
    ``atol``: a fixed absolute tolerance (default 1e-5 scaled up for large outputs).
    Returns the converted network.
    """
    if x is None:
        x = random_inputs(model)
    net = snnconvert.convert(model, neuron_type="rate", **convert_options)
    expected = keras_outputs(reference if reference is not None else model, x)
    # A check against all-zero (e.g. every ReLU silent) values would prove little.
    assert any(np.max(np.abs(value)) > 1e-2 for value in expected), "degenerate reference"
    result = net.run(x, n_steps, progress=False)
    assert list(result.outputs) == list(net.graph.outputs)
    assert len(net.graph.outputs) == len(expected)
    for name, value in zip(net.graph.outputs, expected, strict=True):
        assert_over_time_equals(result.outputs[name], value, n_steps, atol=atol)
    return net


def affine_nodes(net):
    return [node for node in net.graph if isinstance(node, AffineNode)]


def nodes_of(net, node_type):
    return [node for node in net.graph if isinstance(node, node_type)]


def assert_message_names(error, *parts):
    """The message of ``error`` (a ``pytest.raises`` result) contains every one of ``parts``."""
    message = str(error.value)
    for part in parts:
        assert part in message, f"{part!r} not in message: {message}"
