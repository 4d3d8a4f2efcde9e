"""Evaluations consume each window's outputs as they come, so their memory does not grow
with batch x n_steps; what must keep every step (``run``, ``keep_outputs=True``) is
refused before it starts when it cannot fit."""

import tracemalloc

import keras
import numpy as np
import pytest

import snnconvert
from snnconvert.metrics.evaluation import BYTES_PER_STEP, accuracy_over_time, check_evaluation_memory
from snnconvert.metrics.readouts import Readout, readout_scores
from snnconvert.simulation import Simulator
from snnconvert.simulation.batching import MemoryLimitError, check_kept_memory
from snnconvert.simulation.windows import Windows, window_bounds

READOUTS = [("last", {}), ("mean", {"readout_steps": 7}), ("mean", {"readout_steps": 1}),
            ("filtered", {"readout_tau": 0.004})]


@pytest.fixture(scope="module")
def network():
    """6 inputs -> Dense 8 relu -> Dense 4: tiny, so many steps run in little time."""
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(4)])
    rng = np.random.default_rng(2)
    model.set_weights([rng.normal(0.2, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    return snnconvert.convert(model, scale_firing_rates=40, synapse=0.005)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, (23, 6)).astype(np.float32), rng.integers(0, 4, 23)


# ------------------------------------------------------------ readouts window by window


@pytest.mark.parametrize("readout, options", READOUTS)
@pytest.mark.parametrize("cuts", [(1,), (3, 4, 5), (20, 1), (2,) * 15])
def test_a_readout_fed_window_by_window_gives_the_one_pass_scores_exactly(readout, options, cuts):
    outputs = np.random.default_rng(len(cuts)).normal(size=(5, 30, 4)).astype(np.float32)
    streaming = Readout(readout, dt=0.001, **options)
    bounds = np.cumsum((0, *cuts))
    pieces = [streaming.scores(outputs[:, a:b]) for a, b in zip(bounds, bounds[1:])]
    if bounds[-1] < 30:
        pieces.append(streaming.scores(outputs[:, bounds[-1]:]))
    np.testing.assert_array_equal(np.concatenate(pieces, axis=1), readout_scores(outputs, readout, **options))


def test_the_mean_readout_is_the_hand_worked_running_mean_across_windows():
    streaming = Readout("mean", readout_steps=3)
    values = np.array([3.0, 6, 9, 0, 3]).reshape(1, -1, 1)
    first, second = streaming.scores(values[:, :2]), streaming.scores(values[:, 2:])
    np.testing.assert_allclose(np.concatenate([first, second], axis=1).ravel(), [3, 4.5, 6, 5, 4])


# ------------------------------------------------- evaluate: streamed equals merged


@pytest.mark.parametrize("readout, options", READOUTS)
def test_streamed_evaluation_equals_the_merged_outputs_bit_for_bit(network, data, readout, options):
    x, y = data
    common = dict(batch_size=10, readout=readout, progress=False, chunk_steps=3, **options)
    streamed = network.evaluate(x, y, 31, **common)
    merged = network.evaluate(x, y, 31, keep_outputs=True, **common)
    np.testing.assert_array_equal(streamed.accuracy_per_step, merged.accuracy_per_step)
    assert streamed.accuracy == merged.accuracy
    assert streamed.keras_accuracy == merged.keras_accuracy
    for name, activity in merged.activity.items():
        np.testing.assert_array_equal(streamed.activity[name].per_image, activity.per_image)
        np.testing.assert_array_equal(streamed.activity[name].per_neuron, activity.per_neuron)
    # ... and both are the readout of the kept outputs over the whole run.
    scores = readout_scores(merged.simulation.output, readout, dt=0.001, **options)
    np.testing.assert_array_equal(accuracy_over_time(scores, y), merged.accuracy_per_step)
    assert streamed.simulation.outputs == {}


def test_evaluate_never_holds_a_batch_s_outputs_over_the_run(network, data, monkeypatch):
    x, y = data
    seen = []
    iterate = Simulator.iterate

    def watched(self, *args, outputs_to=None, **kwargs):
        def sink(labels, size):
            add = outputs_to(labels, size)

            def window(outputs):
                seen.append(next(iter(outputs.values())).shape)
                add(outputs)

            return window

        for batch in iterate(self, *args, outputs_to=sink, **kwargs):
            assert batch.outputs == {}
            yield batch

    monkeypatch.setattr(Simulator, "iterate", watched)
    result = network.evaluate(x, y, 250, batch_size=10, progress=False)
    assert len(result.accuracy_per_step) == 250
    assert {shape[1] for shape in seen} == {100, 50}  # windows of at most 100 steps, never 250
    assert sum(shape[0] * shape[1] for shape in seen) == 23 * 250


def numpy_peak(function):
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_evaluate_s_memory_does_not_grow_with_batch_times_steps(network, data):
    x, y = data
    x, y = np.repeat(x, 4, axis=0)[:80], np.repeat(y, 4)[:80]

    def evaluate(n_steps, **options):
        return lambda: network.evaluate(x, y, n_steps, batch_size=80, readout="mean", readout_steps=5,
                                        progress=False, compare_keras=False, **options)

    evaluate(100)()  # compiled once, outside the measurement
    short, long = numpy_peak(evaluate(500)), numpy_peak(evaluate(20_000))
    # Merged, 20,000 steps of 80 x 4 outputs are 25.6 MB as float32 and twice that as
    # float64 scores; streamed, only the per-step accuracies grow (8 bytes a step, a few times).
    assert long - short < 2_000_000
    assert numpy_peak(evaluate(20_000, keep_outputs=True)) - short > 25_000_000


# ----------------------------------------------------------- refused before allocating


def test_run_with_huge_n_steps_is_refused_before_simulating(network, data, monkeypatch):
    x, _ = data
    simulator = network.simulator()
    monkeypatch.setattr(Simulator, "_run_batch", lambda *args: pytest.fail("simulated"))
    with pytest.raises(MemoryLimitError, match=r"run\(\) would keep 23 samples x 100,000,000 steps x 4 values x 4 "
                                               r"bytes: 34.3 GiB, more than the .* allowed \(50% of the memory "
                                               r"available now\)\. Lower the number of samples or n_steps;"):
        simulator.run(x, 10**8, progress=False)
    with pytest.raises(MemoryError, match=r"x 12 values .* or n_steps, or probe fewer nodes"):
        simulator.run(x, 10**8, probes=[network.graph.neuron_nodes[0].name], progress=False)


def test_keeping_outputs_in_an_evaluation_is_refused_when_they_cannot_fit(network, data, monkeypatch):
    x, y = data
    monkeypatch.setattr(Simulator, "_run_batch", lambda *args: pytest.fail("simulated"))
    with pytest.raises(ValueError, match=r"evaluate\(keep_outputs=True\) would keep 23 samples x 100,000,000 steps"):
        network.evaluate(x, y, 10**8, keep_outputs=True, progress=False)


def test_the_evaluation_estimate_counts_steps_and_the_mean_readout_s_window():
    # n_steps = 10**8: the per-step accuracies alone (BYTES_PER_STEP a step), however big the batch.
    needed = BYTES_PER_STEP * 10**8
    check_evaluation_memory(10**8, 1000, 10, limit=needed)
    with pytest.raises(MemoryLimitError, match=r"An evaluation over 100,000,000 steps would hold its accuracy at each "
                                               r"step: 6.0 GiB, more than the 6.0 GiB allowed\. Lower n_steps\."):
        check_evaluation_memory(10**8, 1000, 10, limit=needed - 1)
    # The mean readout keeps a batch's running sums over readout_steps (three float64 copies).
    mean = needed + 3 * 8 * 1000 * 50 * 10
    check_evaluation_memory(10**8, 1000, 10, "mean", 50, limit=mean)
    with pytest.raises(MemoryLimitError, match="over 50 steps.*Lower n_steps, readout_steps or batch_size"):
        check_evaluation_memory(10**8, 1000, 10, "mean", 50, limit=mean - 1)


def test_an_evaluation_too_big_for_memory_is_refused_before_simulating(network, data, monkeypatch):
    x, y = data
    monkeypatch.setattr(Simulator, "_run_batch", lambda *args: pytest.fail("simulated"))
    # 10**12 steps of per-step accuracy: 64 TB.
    with pytest.raises(MemoryLimitError, match="An evaluation over 1,000,000,000,000 steps"):
        network.evaluate(x, y, 10**12, progress=False)


def test_the_kept_memory_estimate_is_samples_times_steps_times_values():
    check_kept_memory("run()", 10, 1000, [3, 2], limit=4 * 10 * 1000 * 5)
    with pytest.raises(MemoryLimitError, match=r"run\(\) would keep 10 samples x 1,000 steps x 5 values x 4 bytes: "
                                               r"0.2 MiB, more than the 0.2 MiB allowed\. Lower"):
        check_kept_memory("run()", 10, 1000, [3, 2], limit=4 * 10 * 1000 * 5 - 1)


def test_windows_of_a_very_long_run_are_not_listed():
    windows = window_bounds(100, 10**8)
    assert isinstance(windows, Windows) and len(windows) == 10**6
    assert windows[0] == (0, 100) and windows[-1] == (10**8 - 100, 100)
    assert list(window_bounds(4, 10)) == [(0, 4), (4, 4), (8, 2)]
