"""The ``convert`` entry point."""

from snnconvert._validation import check_positive_int, short_repr
from snnconvert.calibration import DEFAULT_PERCENTILE, DEFAULT_TARGET_RATE, Calibration, calibrate
from snnconvert.calibration.correction import (
    DEFAULT_CORRECTION_SAMPLES,
    DEFAULT_CORRECTION_STEPS,
    channel_means,
)
from snnconvert.calibration.correction import correct_biases as correct_biases_pass
from snnconvert.calibration.percentile import rate_twin_graph
from snnconvert.conversion.context import ConversionContext
from snnconvert.conversion.graph import spiking_graph
from snnconvert.ir.rewrites import integrate_outputs as integrate_outputs_pass
from snnconvert.ir.rewrites import use_integrate_and_fire
from snnconvert.loading import load_keras_model
from snnconvert.network import SpikingNetwork
from snnconvert.neurons import IntegrateAndFire, as_neuron_type

DEFAULT_CORRECTION = True
DEFAULT_INITIAL_VOLTAGE = 0.5
# Spikes per step at the calibration percentile when neuron_type is left at its default
# under "auto": resolution is what deep networks lack in 8 steps (see docs/deep_networks.md).
DEEP_TARGET_RATE = 2.0


def convert(
    model,
    *,
    scale_firing_rates=1.0,
    synapse=None,
    neuron_type=None,
    max_pooling="spiking",
    non_spiking="error",
    swap_activations=None,
    custom_objects=None,
    calibration_data=None,
    calibration_percentile=None,
    target_rate=None,
    calibration_dt=None,
    integrate_outputs=None,
    correct_biases=None,
):
    """Convert a Keras model into a :class:`~snnconvert.SpikingNetwork`.

    Args:
        model: a ``keras.Model`` (Sequential or Functional), or the path of a model
            saved as ``.h5`` (Keras 2 or 3) or ``.keras``.
        scale_firing_rates: multiplies each population's input (gain) and divides its
            amplitude, so firing rates rise while the time-averaged output is unchanged.
            A number for every layer, or ``{layer name: factor}`` (unnamed layers: 1),
            or ``"auto"``: one scale per layer chosen by :func:`~snnconvert.calibrate`
            from ``calibration_data``.
        synapse: time constant (seconds) of a low-pass filter on the output of each
            neuron population; ``None`` or 0 for none; or ``{layer name: value}``.
        neuron_type: ``"spiking"`` (:class:`~snnconvert.neurons.SpikingRectifiedLinear`,
            NengoDL's neuron, rectifying the current at every step), ``"integrate_and_fire"``
            (:class:`~snnconvert.neurons.IntegrateAndFire`, integrating the signed current;
            for plain-ReLU layers only), ``"rate"`` (to check the conversion against
            Keras), or a :class:`~snnconvert.neurons.NeuronType` instance. Default
            (``None``): ``"integrate_and_fire"`` for plain-ReLU layers under
            ``scale_firing_rates="auto"`` (other layers stay ``"spiking"``), else
            ``"spiking"``.
        max_pooling: ``"spiking"`` (default) converts MaxPooling and GlobalMaxPooling
            into a spiking max-pool that passes on the spikes of the unit that has
            received the most input so far; ``"average"`` replaces them by average
            pooling, which changes what the network computes (check its accuracy).
        non_spiking: what to do with layers that have no spiking equivalent (sigmoid,
            tanh, elu, Lambda, custom layers, products of two signals): ``"error"``
            (default) refuses them; ``"rate"`` runs them as non-spiking layers on the
            values that reach them at each step; or a list of the layer names allowed
            to run that way. They are marked as such by ``inspect`` and in results.
        swap_activations: ``{activation name: neuron type}``: layers using that
            activation (e.g. a LIF-like one the model was trained with) become
            populations of that neuron type, such as ``{"soft_lif": snnconvert.LIF()}``.
        custom_objects: passed to Keras when loading a file.
        calibration_data: sample inputs for ``scale_firing_rates="auto"`` (required
            then), e.g. a few hundred training images.
        calibration_percentile: percentile of each layer's positive activations that
            fires at ``target_rate`` (default 99.9).
        target_rate: spikes per step of a unit at that percentile (default 2 with the
            default ``neuron_type``, else 1), a string in Hz (``"500 Hz"``), or
            ``{layer name: rate}``.
        calibration_dt: the step length the network will run with (default 0.001 s);
            rates per step become scales through it.
        integrate_outputs: make each output the mean of its values since the first
            step (an integrating readout), so that the value read at the last step
            counts every spike of the run. Default (``None``): on under
            ``scale_firing_rates="auto"`` for outputs that unfiltered spikes reach (no
            ``synapse`` on the way), off otherwise.
        correct_biases: under ``scale_firing_rates="auto"``, correct each population's
            bias layer by layer so that its mean spiking output on the first 200
            calibration samples matches the ANN's
            (:mod:`snnconvert.calibration.correction`); ``True`` measures runs of 16
            steps, a number of steps sets another length. Default (``None``): on when
            ``neuron_type`` is left at its default, off otherwise. It costs one
            simulation of those samples per population at conversion.

    Raises:
        ConversionError: a layer, activation or layer option has no spiking
            equivalent; the message names the layer and what to do.
        ModelLoadError: the file cannot be loaded safely.
        ValueError: an option has a nonsensical value.
    """
    auto = _is_auto(scale_firing_rates, calibration_data, calibration_percentile, target_rate, calibration_dt,
                    correct_biases)
    default_neuron = neuron_type is None
    neuron_type = as_neuron_type("spiking" if default_neuron else neuron_type)
    keras_model = None
    if auto:
        keras_model = load_keras_model(model, custom_objects=custom_objects)
        scale_firing_rates = calibrate(
            keras_model, calibration_data,
            percentile=DEFAULT_PERCENTILE if calibration_percentile is None else calibration_percentile,
            target_rate=_target_rate(target_rate, default_neuron),
            dt=0.001 if calibration_dt is None else calibration_dt, neuron_type=neuron_type,
            max_pooling=max_pooling, non_spiking=non_spiking,
            swap_activations=swap_activations,
        )
    # Options are checked before a file is loaded, so a bad value fails fast.
    context = ConversionContext(
        neuron_type, scale_firing_rates, synapse, max_pooling=max_pooling, non_spiking=non_spiking,
        swap_activations=swap_activations,
    )
    if keras_model is None:
        keras_model = load_keras_model(model, custom_objects=custom_objects)
    graph = spiking_graph(keras_model, context)
    notes = list(context.notes)
    if isinstance(scale_firing_rates, Calibration):
        notes.append(scale_firing_rates.describe())
    if auto and default_neuron:
        graph = use_integrate_and_fire(graph, DEFAULT_INITIAL_VOLTAGE)
    _check_integrate_and_fire(graph)
    if auto and (correct_biases or correct_biases is None and default_neuron and DEFAULT_CORRECTION):
        graph = _corrected(graph, calibration_data, correct_biases)
    if auto if integrate_outputs is None else integrate_outputs:
        graph = integrate_outputs_pass(graph)
    return SpikingNetwork(graph, keras_model=keras_model, notes=notes)


def _is_auto(scale_firing_rates, calibration_data, calibration_percentile, target_rate, calibration_dt,
             correct_biases=None):
    """Whether the scales are to be calibrated; calibration options without it are an error."""
    if isinstance(scale_firing_rates, str):
        if scale_firing_rates != "auto":
            raise ValueError(
                "`scale_firing_rates` must be a positive number, a dict of them by layer name, or 'auto'. "
                f"Received: scale_firing_rates={short_repr(scale_firing_rates)}"
            )
        if calibration_data is None:
            raise ValueError(
                "scale_firing_rates='auto' chooses each layer's scale from sample data: pass "
                "calibration_data=x (e.g. a few hundred training images), or give the scales yourself."
            )
        return True
    given = [name for name, value in (("calibration_data", calibration_data),
                                      ("calibration_percentile", calibration_percentile),
                                      ("target_rate", target_rate),
                                      ("calibration_dt", calibration_dt),
                                      ("correct_biases", correct_biases)) if value is not None]
    if given:
        raise ValueError(
            f"{', '.join(f'`{name}`' for name in given)} only apply with scale_firing_rates='auto'. "
            f"Received: scale_firing_rates={short_repr(scale_firing_rates)}. Pass scale_firing_rates='auto', "
            "or drop them."
        )
    return False


def _target_rate(target_rate, default_neuron):
    if target_rate is not None:
        return target_rate
    return DEEP_TARGET_RATE if default_neuron else DEFAULT_TARGET_RATE


def _corrected(graph, x, steps):
    """``graph`` after layer-by-layer bias correction on the first calibration samples."""
    default = steps is None or steps is True
    n_steps = DEFAULT_CORRECTION_STEPS if default else check_positive_int("correct_biases", steps)
    n = DEFAULT_CORRECTION_SAMPLES
    x = [part[:n] for part in x] if isinstance(x, (list, tuple)) else x[:n]
    populations = [node.name for node in graph.neuron_nodes if node.spiking]
    reference = channel_means(rate_twin_graph(graph), x, populations, 1)
    corrected, _ = correct_biases_pass(graph, x, reference, n_steps=n_steps)
    return corrected


def _check_integrate_and_fire(graph):
    """Integrate-and-fire neurons stand for a plain ReLU only; refuse other responses."""
    for node in graph.neuron_nodes:
        if isinstance(node.neuron_type, IntegrateAndFire) and not node.rectifier.is_plain:
            raise ValueError(
                f"Layer {node.source!r} has a ReLU with options ({node.rectifier}), which "
                "IntegrateAndFire neurons cannot follow: they integrate the signed current of a plain "
                "ReLU. Use neuron_type='spiking' (or leave neuron_type at its default under "
                "scale_firing_rates='auto', which keeps such layers on 'spiking')."
            )
