"""SpikingNetwork.evaluate / EvaluationResult against accuracies computed independently."""

import json

import numpy as np
import pytest

import snnconvert

N_STEPS, DT, SCALE = 12, 0.005, 20


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(42).uniform(0, 1, (24, 6, 6, 1)).astype(np.float32)


@pytest.fixture(scope="module")
def keras_predictions(convnet, images):
    return convnet.predict(images, verbose=0).argmax(axis=1)


@pytest.fixture(scope="module")
def labels(keras_predictions):
    # Keras is right on exactly the first 18 of 24 images: keras accuracy 0.75.
    labels = keras_predictions.copy()
    labels[18:] = (labels[18:] + 1) % 3
    return labels


@pytest.fixture(scope="module")
def net(convnet):
    return snnconvert.convert(convnet, scale_firing_rates=SCALE)


@pytest.fixture(scope="module")
def outputs(net, images):
    """Outputs over time from a plain run with the same settings (deterministic start)."""
    return net.run(images, N_STEPS, dt=DT, initial_state="half", progress=False).output


def _evaluate(net, images, labels, **options):
    options = {"n_steps": N_STEPS, "dt": DT, "initial_state": "half", "progress": False, **options}
    return net.evaluate(images, labels, **options)


def test_last_and_mean_readouts_match_independent_accuracy(net, images, labels, outputs):
    last = _evaluate(net, images, labels, readout="last")
    mean = _evaluate(net, images, labels, readout="mean", readout_steps=N_STEPS)
    mean4 = _evaluate(net, images, labels, readout="mean", readout_steps=4)

    expected_last = np.mean(outputs[:, -1].argmax(axis=1) == labels)
    expected_mean = np.mean(outputs.mean(axis=1).argmax(axis=1) == labels)
    expected_mean4 = np.mean(outputs[:, -4:].mean(axis=1).argmax(axis=1) == labels)
    assert last.accuracy == pytest.approx(expected_last)
    assert mean.accuracy == pytest.approx(expected_mean)
    assert mean4.accuracy == pytest.approx(expected_mean4)
    assert (last.readout, mean.readout, mean4.readout_steps) == ("last", "mean", 4)
    # The spike noise at one step makes the two readouts genuinely differ here.
    assert expected_last != expected_mean


def test_accuracy_per_step(net, images, labels, outputs):
    result = _evaluate(net, images, labels, readout="last")
    per_step = np.asarray(result.accuracy_per_step)
    assert per_step.shape == (N_STEPS,)
    expected = (outputs.argmax(axis=2) == labels[:, None]).mean(axis=0)
    np.testing.assert_allclose(per_step, expected)
    assert per_step[-1] == pytest.approx(result.accuracy)
    assert ((per_step >= 0) & (per_step <= 1)).all()


def test_keras_accuracy_is_the_models_own(net, images, labels, keras_predictions):
    result = _evaluate(net, images, labels)
    assert result.keras_accuracy == pytest.approx(np.mean(keras_predictions == labels))
    assert result.keras_accuracy == pytest.approx(0.75)
    no_keras = _evaluate(net, images, labels, compare_keras=False)
    assert no_keras.keras_accuracy is None
    assert no_keras.accuracy == result.accuracy


def test_one_hot_labels_accepted(net, images, labels):
    integer = _evaluate(net, images, labels)
    one_hot = _evaluate(net, images, np.eye(3)[labels])
    column = _evaluate(net, images, labels.reshape(-1, 1))
    for other in (one_hot, column):
        assert other.accuracy == integer.accuracy
        assert other.keras_accuracy == integer.keras_accuracy
        np.testing.assert_allclose(other.accuracy_per_step, integer.accuracy_per_step)


def test_batch_size_does_not_change_evaluation(net, images, labels):
    whole = _evaluate(net, images, labels, batch_size=100)
    batched = _evaluate(net, images, labels, batch_size=5)
    assert batched.accuracy == whole.accuracy
    assert batched.keras_accuracy == whole.keras_accuracy
    np.testing.assert_allclose(batched.accuracy_per_step, whole.accuracy_per_step)
    assert batched.spikes_per_layer == whole.spikes_per_layer


def test_spike_statistics_match_a_plain_run(net, images, labels):
    result = _evaluate(net, images, labels)
    run = net.run(images, N_STEPS, dt=DT, initial_state="half", progress=False)
    assert result.spikes_per_layer == run.spikes_per_layer
    assert result.total_spikes == run.total_spikes
    assert result.spikes_per_image == pytest.approx(run.total_spikes / len(images))
    assert set(result.activity) == {"conv", "hidden"}


def test_summary_mentions_every_neuron_layer(net, images, labels):
    result = _evaluate(net, images, labels)
    text = result.summary()
    for layer in ("conv", "hidden"):
        assert layer in text
    assert f"{result.accuracy:.4f}" in text
    assert f"{result.keras_accuracy:.4f}" in text
    assert f"{result.spikes_per_layer['conv']:,}" in text


def test_to_dict_is_json_serialisable(net, images, labels):
    result = _evaluate(net, images, labels, readout="mean", readout_steps=3)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["accuracy"] == pytest.approx(result.accuracy)
    assert data["keras_accuracy"] == pytest.approx(result.keras_accuracy)
    assert data["readout"] == "mean" and data["readout_steps"] == 3
    assert data["n_images"] == len(images)
    assert data["n_steps"] == N_STEPS
    assert data["dt"] == pytest.approx(DT)
    assert len(data["accuracy_per_step"]) == N_STEPS
    assert data["total_spikes"] == result.total_spikes
    assert set(data["layers"]) == {"conv", "hidden"}
    for name, layer in data["layers"].items():
        assert layer["total_spikes"] == result.spikes_per_layer[name]


# Regression (found while writing these tests): the caller's numpy n_steps / readout_steps
# used to be stored as given, so to_dict() held numpy.int64 and json.dumps failed.
def test_to_dict_serialisable_with_numpy_n_steps(net, images, labels):
    result = _evaluate(net, images, labels, n_steps=np.int64(N_STEPS))
    assert result.accuracy == _evaluate(net, images, labels).accuracy  # accepted and used
    json.dumps(result.to_dict())


def test_to_dict_serialisable_with_numpy_readout_steps(net, images, labels):
    result = _evaluate(net, images, labels, readout="mean", readout_steps=np.int64(3))
    json.dumps(result.to_dict())


def test_run_with_numpy_n_steps_is_accepted(net, images):
    result = net.run(images[:2], np.int64(4), dt=DT, progress=False)
    assert result.output.shape[1] == 4
    assert result.n_steps == 4


def test_run_with_numpy_n_steps_records_a_python_int(net, images):
    result = net.run(images[:2], np.int64(4), dt=DT, progress=False)
    assert type(result.n_steps) is int
    assert type(result.activity["conv"].n_steps) is int


@pytest.mark.parametrize(
    "options, name",
    [(dict(readout="first"), "readout"), (dict(readout="mean", readout_steps=0), "readout_steps")],
)
def test_bad_readout_options(net, images, labels, options, name):
    with pytest.raises(ValueError, match=name):
        _evaluate(net, images, labels, **options)


def test_wrong_number_of_labels(net, images, labels):
    with pytest.raises(ValueError, match="labels"):
        _evaluate(net, images, labels[:-1])
