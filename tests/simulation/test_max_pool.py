"""The spiking max-pool against spike trains worked out by hand.

Two units feed each window. Unit A fires at steps 1, 3, 5, ...; unit B is silent for
three steps, then fires at every step. With ``A(t)``/``B(t)`` their spikes up to step
``t``, the window passes on the spikes of the unit ahead (ties: the first in the window):

    step t            1  2  3  4  5  6  7  8  9  10
    A fires           1  0  1  0  1  0  1  0  1  0
    B fires           0  0  0  1  1  1  1  1  1  1
    A(t)              1  1  2  2  3  3  4  4  5  5
    B(t)              0  0  0  1  2  3  4  5  6  7
    window [A, B]     A  A  A  A  A  A= A= B  B  B   -> 1 0 1 0 1 0 1 1 1 1
    window [B, A]     A  A  A  A  A  B= B= B  B  B   -> 1 0 1 0 1 1 1 1 1 1

(``=``: a tie, won by the first unit of the window.) B's spikes at steps 4 and 6 are
dropped by the first window while A leads; from step 8 on, A's spikes are dropped.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import snnconvert
from snnconvert.ir import InputNode, MaxPool1DNode, MaxPool2DNode, NeuronNode, SpikingGraph
from snnconvert.neurons import as_neuron_type
from snnconvert.simulation import Simulator
from snnconvert.simulation.ops import STATEFUL_OPS
from snnconvert.simulation.ops import pooling as pooling_ops
from snnconvert.simulation.signals import Signal

N_STEPS = 10
A_FIRES = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 0], np.float32)
B_FIRES = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1, 1], np.float32)
WINDOW_AB = [1, 0, 1, 0, 1, 0, 1, 1, 1, 1]
WINDOW_BA = [1, 0, 1, 0, 1, 1, 1, 1, 1, 1]
CHUNKS = [None, 1, 3]


def spike_trains():
    """``[1, steps, 4, 1]``: units A, B, B, A (windows [A, B] and [B, A])."""
    return np.stack([A_FIRES, B_FIRES, B_FIRES, A_FIRES], axis=1)[None, :, :, None]


def pool_graph(input_shape, pool_type, output_shape, **options):
    return SpikingGraph(
        [InputNode(name="x", shape=input_shape),
         pool_type(name="pool", inputs=("x",), shape=output_shape, input_shape=input_shape, **options)],
        ["pool"],
    )


@pytest.mark.parametrize("chunk_steps", CHUNKS)
def test_spike_trains_fed_step_by_step(chunk_steps):
    graph = pool_graph((4, 1), MaxPool1DNode, (2, 1))
    output = Simulator(graph, chunk_steps=chunk_steps).run(spike_trains(), N_STEPS, progress=False).output
    np.testing.assert_array_equal(output[0, :, :, 0], np.stack([WINDOW_AB, WINDOW_BA], axis=1))


@pytest.fixture(scope="module")
def relu_pool_model():
    """``currents (4, 1) -> ReLU -> MaxPooling1D(2)`` and ``-> GlobalMaxPooling1D``."""
    inputs = keras.Input((4, 1))
    spikes = keras.layers.ReLU(name="relu")(inputs)
    windows = keras.layers.MaxPooling1D(2, name="pool")(spikes)
    everything = keras.layers.GlobalMaxPooling1D(name="global_pool")(spikes)
    return keras.Model(inputs, [windows, everything])


def currents():
    """Currents that make spiking ReLUs started at v = 0.5 (dt = 1 ms) fire as A and B:
    A gets 0.5 per step (a spike every other step from the first), B 0 then 1 per step."""
    a = np.full(N_STEPS, 500.0, np.float32)
    b = np.where(np.arange(N_STEPS) < 3, 0.0, 1000.0).astype(np.float32)
    return np.stack([a, b, b, a], axis=1)[None, :, :, None]


@pytest.mark.parametrize("chunk_steps", CHUNKS)
def test_spikes_of_a_converted_population(relu_pool_model, chunk_steps):
    # The population emits running spike counts (the cumulative form), each spike worth 1 / dt.
    net = snnconvert.convert(relu_pool_model)
    result = net.run(currents(), N_STEPS, initial_state="half", chunk_steps=chunk_steps,
                     probes=["relu.neurons"], progress=False)
    np.testing.assert_array_equal(result.probes["relu.neurons"][0, :, :, 0], 1000 * spike_trains()[0, :, :, 0])
    windows, everything = (result.outputs[name] for name in net.graph.outputs)
    np.testing.assert_array_equal(windows[0, :, :, 0], 1000 * np.stack([WINDOW_AB, WINDOW_BA], axis=1))
    # All four units in one window: A (the first) wins every tie, as in window [A, B].
    np.testing.assert_array_equal(everything[0, :, 0], 1000 * np.array(WINDOW_AB))


def test_the_output_fires_at_the_highest_rate_in_the_long_run(relu_pool_model):
    net = snnconvert.convert(relu_pool_model)
    n_steps = 400
    x = np.repeat(currents()[:, :1], n_steps, axis=1)
    x[0, :, 1:3, 0] = 700.0  # B fires at 70 % of steps, A at 50 %
    windows, everything = (net.run(x, n_steps, initial_state="half", progress=False).outputs[name]
                           for name in net.graph.outputs)
    # B has floor(0.5 + 0.7 t) spikes by step t, A floor(0.5 + 0.5 t): they tie at steps
    # 1-3 (both fire at steps 1 and 3, neither at 2), then B leads for good. Both windows
    # pass on exactly B's 280 spikes; A's 200 are dropped.
    spikes = windows[0].sum(axis=0)[:, 0] / 1000
    assert spikes.tolist() == [280, 280]
    assert everything[0].sum() / 1000 == 280


def test_ties_in_a_2d_window_go_to_the_first_unit_in_row_major_order():
    # One 2x2 window; top right (0, 1) and bottom left (1, 0) both reach 3 at step 2.
    x = np.zeros((1, 2, 2, 2, 1), np.float32)
    x[0, 0, 0, 1] = 3.0
    x[0, 0, 1, 0] = 1.0
    x[0, 1, 1, 0] = 2.0
    graph = pool_graph((2, 2, 1), MaxPool2DNode, (1, 1, 1))
    output = Simulator(graph).run(x, 2, progress=False).output[0, :, 0, 0, 0]
    np.testing.assert_array_equal(output, [3.0, 0.0])  # step 2: top right's 0, not bottom left's 2


# ------------------------------------------------------------------ signal forms


def advance(node, signal, state=None, n_steps=N_STEPS):
    op = STATEFUL_OPS[type(node)]
    state = op.initial_state(node, 1) if state is None else state
    output, state = op.advance(node, [signal], state, n_steps, 0.001)
    return output, state


def test_per_step_and_cumulative_inputs_give_the_same_output_and_state():
    node = pool_graph((4, 1), MaxPool1DNode, (2, 1))["pool"]
    trains = tf.constant(spike_trains())
    per_step, state = advance(node, Signal(trains, temporal=True))
    cumulative, cumulative_state = advance(node, Signal(tf.cumsum(trains, axis=1), temporal=True, cumulative=True))
    assert per_step.temporal and not per_step.cumulative
    np.testing.assert_array_equal(per_step.tensor, cumulative.tensor)
    np.testing.assert_array_equal(per_step.tensor.numpy()[0, :, :, 0], np.stack([WINDOW_AB, WINDOW_BA], axis=1))
    np.testing.assert_array_equal(state.numpy()[0, :, 0], [5, 7, 7, 5])
    np.testing.assert_array_equal(state, cumulative_state)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_a_static_input_is_max_pooled_and_stays_static(padding):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 5, 2)).astype(np.float32)
    node = MaxPool2DNode(name="pool", shape=(2, 2, 2) if padding == "valid" else (3, 3, 2), input_shape=(5, 5, 2),
                         padding=padding)
    output, state = advance(node, Signal(tf.constant(x), temporal=False), n_steps=4)
    expected = keras.layers.MaxPooling2D(2, padding=padding)(x)
    assert not output.temporal
    np.testing.assert_array_equal(output.tensor, expected)
    np.testing.assert_allclose(state, 4 * x.astype(np.float64))


def test_the_accumulated_input_carries_over_from_one_window_to_the_next():
    node = pool_graph((4, 1), MaxPool1DNode, (2, 1))["pool"]
    trains = tf.constant(spike_trains())
    first, state = advance(node, Signal(trains[:, :3], temporal=True), n_steps=3)
    second, _ = advance(node, Signal(trains[:, 3:], temporal=True), state=state, n_steps=7)
    np.testing.assert_array_equal(tf.concat([first.tensor, second.tensor], axis=1)[0, :, 0, 0], WINDOW_AB)
    # Forgetting the state (A leads 2 : 0 after step 3) would let B win from step 4 on.
    fresh, _ = advance(node, Signal(trains[:, 3:], temporal=True), n_steps=7)
    np.testing.assert_array_equal(fresh.tensor[0, :, 0, 0], np.ones(7))


# ------------------------------------------------------------------ chunk invariance


def test_random_spike_trains_with_an_inexact_spike_value_do_not_depend_on_chunk_steps():
    """A spike worth (1/3) / dt is not a float32 number: equal spike counts summed over
    differently split windows differ in their last bits, and only the tie tolerance keeps
    such ties from being broken by rounding (without it, about 6 % of these trains
    change with the window length)."""
    graph = SpikingGraph([
        InputNode(name="x", shape=(2, 1)),
        NeuronNode(name="n", inputs=("x",), shape=(2, 1), neuron_type=as_neuron_type("spiking"),
                   amplitude=1 / 3),
        MaxPool1DNode(name="pool", inputs=("n",), shape=(1, 1), input_shape=(2, 1)),
    ], ["pool"])
    rng = np.random.default_rng(0)
    currents = 1000 * (rng.uniform(size=(400, 12, 2, 1)) < 0.5).astype(np.float32)  # 0 or 1 spike per step
    outputs = {chunk: Simulator(graph, initial_state="zeros", chunk_steps=chunk)
               .run(currents, 12, batch_size=400, progress=False).output
               for chunk in (None, 1, 3, 5)}
    spike = np.float32(1 / 3 / 0.001)
    assert np.abs(outputs[None] - np.round(outputs[None] / spike) * spike).max() < 1e-3  # whole spikes
    for chunk in (1, 3, 5):
        # Another choice of unit would differ by a whole spike (333); rounding by far less.
        np.testing.assert_allclose(outputs[chunk], outputs[None], rtol=0, atol=1e-3)


def test_tie_tolerance_is_needed_for_chunk_invariance(monkeypatch):
    monkeypatch.setattr(pooling_ops, "TIE_TOLERANCE", 0.0)
    with pytest.raises(AssertionError):
        test_random_spike_trains_with_an_inexact_spike_value_do_not_depend_on_chunk_steps()


# ------------------------------------------------------------------ a trained network


@pytest.fixture(scope="module")
def mnist_max_pool_cnn(data_dir):
    """A small max-pooling CNN trained for a few seconds on 5,000 MNIST images
    (about 95 % test accuracy), and 500 test images."""
    from snnconvert.data import load_dataset

    x_train, y_train = load_dataset("mnist", "train", data_dir=data_dir)
    x_test, y_test = load_dataset("mnist", "test", data_dir=data_dir)
    x_train = (x_train[:5000, ..., None] / 255.0).astype(np.float32)
    x_test = (x_test[:500, ..., None] / 255.0).astype(np.float32)
    keras.utils.set_random_seed(0)
    L = keras.layers
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        L.Conv2D(8, 3, activation="relu", name="conv1"),
        L.MaxPooling2D(2, name="pool1"),
        L.Conv2D(16, 3, activation="relu", name="conv2"),
        L.MaxPooling2D(2, name="pool2"),
        L.Flatten(),
        L.Dense(10, name="out"),
    ])
    model.compile(keras.optimizers.Adam(0.003), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x_train, y_train[:5000], epochs=3, batch_size=64, verbose=0)
    return model, x_test, y_test[:500]


@pytest.mark.slow
def test_a_max_pooled_network_keeps_its_accuracy(mnist_max_pool_cnn):
    model, x, y = mnist_max_pool_cnn
    # Rate mode: the max-pool of a constant input is max pooling, so outputs are Keras's.
    rate_output = snnconvert.convert(model, neuron_type="rate").run(x, 1, progress=False).output[:, 0]
    np.testing.assert_allclose(rate_output, model.predict(x, verbose=0), rtol=1e-4, atol=1e-4)

    net = snnconvert.convert(model, scale_firing_rates=300, synapse=0.005)
    assert [node.kind for node in net.graph].count("MaxPool2D") == 2
    result = net.evaluate(x, y, n_steps=30, batch_size=250, progress=False)
    print(f"\nKeras {result.keras_accuracy:.3f}, spiking max-pool {result.accuracy:.3f}")
    assert result.keras_accuracy > 0.93
    assert result.accuracy == pytest.approx(result.keras_accuracy, abs=0.02)


@pytest.mark.slow
def test_max_pooling_replaced_by_average_runs_and_says_so(mnist_max_pool_cnn):
    model, x, y = mnist_max_pool_cnn
    net = snnconvert.convert(model, scale_firing_rates=300, synapse=0.005, max_pooling="average")
    assert [node.kind for node in net.graph].count("AveragePool2D") == 2
    assert len(net.notes) == 2 and all("averages" in note for note in net.notes)
    result = net.evaluate(x, y, n_steps=30, batch_size=250, progress=False)
    print(f"\nKeras {result.keras_accuracy:.3f}, max pooling replaced by average {result.accuracy:.3f}")
    assert result.accuracy > 0.5  # it runs and classifies, but it is another network:
    # in rate mode it computes exactly the Keras model with average pooling in its place.
    twin = keras.models.clone_model(model, clone_function=_max_to_average)
    twin.set_weights(model.get_weights())
    rate_output = snnconvert.convert(model, neuron_type="rate", max_pooling="average").run(x, 1, progress=False)
    np.testing.assert_allclose(rate_output.output[:, 0], twin.predict(x, verbose=0), rtol=1e-4, atol=1e-4)
    assert np.abs(twin.predict(x, verbose=0) - model.predict(x, verbose=0)).max() > 0.1


def _max_to_average(layer):
    if isinstance(layer, keras.layers.MaxPooling2D):
        return keras.layers.AveragePooling2D(layer.pool_size, layer.strides, layer.padding, name=layer.name)
    return layer.__class__.from_config(layer.get_config())
