"""The simulation plan (fusions decided before tracing) and the neuron contract."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import snnconvert
from snnconvert.ir import NeuronNode
from snnconvert.neurons import NeuronType, NotExportable
from snnconvert.simulation import Simulator, kernels, planning


def _model(first_activation="relu"):
    """inp(6) -> first Dense(4) -> second Dense(3, relu) -> readout Dense(2)."""
    keras.utils.set_random_seed(2)
    return keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(4, activation=first_activation, name="first"),
        keras.layers.Dense(3, activation="relu", name="second"),
        keras.layers.Dense(2, name="readout"),
    ])


def _steps(net, probes=(), temporal=(False,), **options):
    plan = Simulator(net.graph, **options)._plan(tuple(probes), temporal)
    return [step for step, _ in plan.steps]


def _kinds(steps):
    return [type(step).__name__ for step in steps]


def test_temporal_facts_propagate_through_the_graph():
    """Spiking populations and synapses always vary over time; a linear node varies if
    its input does; rate populations keep their input's form."""
    spiking = snnconvert.convert(_model(), synapse=0.01).graph
    varies = planning.temporal_nodes(spiking, (False,))
    assert varies["first"] is False and varies["first.neurons"] is True
    assert varies["first.synapse"] is True and varies["readout"] is True
    rate = snnconvert.convert(_model(), neuron_type="rate").graph
    assert not any(planning.temporal_nodes(rate, (False,)).values())
    assert all(planning.temporal_nodes(rate, (True,)).values())


def test_a_population_fed_a_constant_current_fires_into_its_dense_consumer():
    net = snnconvert.convert(_model())
    steps = _steps(net)
    assert _kinds(steps) == ["DenseNode", "FiringProjection", "NeuronNode", "DenseNode"]
    fused = steps[1]
    assert (fused.population.name, fused.consumer.name) == ("first.neurons", "second")
    # Each step reads values that earlier steps (or the input) produced.
    produced = {node.name for node in net.graph.inputs}
    for step in steps:
        assert set(step.inputs) <= produced
        produced.add(step.name)


@pytest.mark.parametrize("reason, options", [
    ("the population is probed", dict(probes=["first.neurons"])),
    ("its input varies over time", dict(temporal=(True,))),
])
def test_no_firing_projection_where_the_spikes_must_be_seen_or_are_not_closed_form(reason, options):
    steps = _steps(snnconvert.convert(_model()), **options)
    assert "FiringProjection" not in _kinds(steps), reason
    assert _kinds(steps).count("NeuronNode") == 2


def test_leaky_relu_spikes_can_be_negative_so_they_are_not_fired_into():
    steps = _steps(snnconvert.convert(_model(first_activation="leaky_relu")))
    assert "FiringProjection" not in _kinds(steps)


@pytest.mark.skipif(not kernels.available(), reason="the compiled kernels do not serve here")
def test_a_synapse_with_a_temporal_input_fuses_with_its_population_and_the_bias_left_behind():
    # With a synapse after every population, defer_synapses moves each past the next
    # (shrinking) Dense, leaving that Dense's bias behind the synapse.
    net = snnconvert.convert(_model(), synapse=0.01)
    steps = _steps(net)
    fused = [step for step in steps if isinstance(step, planning.FilteredPopulation)]
    assert [step.population.name for step in fused] == ["second.neurons"]
    assert fused[0].offset is not None and fused[0].offset.name == "second.bias"
    assert not ({fused[0].synapse.name, fused[0].offset.name} & {step.name for step in steps})
    assert "FilteredPopulation" not in _kinds(_steps(net, kernels=False))


class _AboveHalf(NeuronType):
    """A neuron written against the contract only: one spike in every step its driven
    current exceeds 0.5; the voltage is carried unchanged. No closed form, no kernel."""

    spiking = True

    def rates(self, current, response=None):
        return tf.cast(response(current) > 0.5, tf.float32)

    def start(self, voltage):
        return tf.convert_to_tensor(voltage, tf.float32)

    def cumulative_counts(self, current, state, dt, current_is_cumulative=False, response=None):
        assert not current_is_cumulative  # the first layer is fed the image
        return tf.cumsum(tf.cast(response(current) > 0.5, tf.float32), axis=1), state


def test_a_neuron_type_written_against_the_contract_runs_in_the_simulator():
    model = keras.Sequential([
        keras.Input((2,)),
        keras.layers.Dense(3, use_bias=False, activation="relu", name="first"),
        keras.layers.Dense(1, use_bias=False, name="readout"),
    ])
    model.get_layer("first").set_weights([np.array([[1.0, 0.2, -1.0], [0.0, 0.1, 0.3]], np.float32)])
    model.get_layer("readout").set_weights([np.ones((3, 1), np.float32)])
    net = snnconvert.convert(model, neuron_type=_AboveHalf())
    # Not closed form: the population runs alone, its current expanded over the steps.
    assert "FiringProjection" not in _kinds(_steps(net))
    # Currents [1.0, 0.2, -1.0] and [2.0, 0.7, -1.1]: spiking neurons (1, 0, 0) and (1, 1, 0).
    x = np.array([[1.0, 0.0], [2.0, 3.0]], np.float32)
    result = net.run(x, 4, dt=0.01, progress=False)
    np.testing.assert_array_equal(result.activity["first"].per_neuron, [8, 4, 0])
    # Each spike is worth amplitude / dt = 100: two spiking neurons in the second sample.
    np.testing.assert_allclose(result.output[:, :, 0], [[100] * 4, [200] * 4])


def test_a_spiking_type_must_give_its_state_and_update():
    with pytest.raises(TypeError, match=r"Broken is spiking but does not define start, cumulative_counts"):
        class Broken(NeuronType):
            spiking = True

            def rates(self, current, response=None):
                return current


def test_a_type_without_a_nir_form_says_so_and_what_to_convert_with():
    with pytest.raises(NotExportable, match=r"only spiking neurons map to NIR.*not RectifiedLinear"):
        snnconvert.neurons.RectifiedLinear().to_nir(None, (3,), 1.0)
    with pytest.raises(NotExportable, match=r"tau_ref=0\)"):
        snnconvert.LIF(tau_ref=0.001).to_nir(None, (3,), 1.0)


def test_the_capability_flags_of_the_shipped_types():
    relu, lif = snnconvert.neurons.SpikingRectifiedLinear(), snnconvert.LIF()
    plain, leaky = snnconvert.ir.Rectifier(), snnconvert.ir.Rectifier(negative_slope=0.1)
    assert relu.closed_form and relu.linear_gain and relu.rectified
    assert relu.kernel_use(plain) == (True, False, False) and relu.kernel_use(leaky) == (False, True, False)
    assert relu.signed_spikes(leaky) and not relu.signed_spikes(plain)
    assert not (lif.closed_form or lif.linear_gain or lif.rectified) and lif.kernel_use(plain) is None
    assert all(isinstance(node.neuron_type, NeuronType)
               for node in snnconvert.convert(_model()).graph if isinstance(node, NeuronNode))
