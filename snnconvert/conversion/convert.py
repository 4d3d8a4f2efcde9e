"""The ``convert`` entry point."""

from snnconvert.conversion.context import ConversionContext
from snnconvert.conversion.walker import build_graph
from snnconvert.ir import fold_affine_into_linear
from snnconvert.loading import load_keras_model
from snnconvert.network import SpikingNetwork
from snnconvert.neurons import as_neuron_type


def convert(
    model,
    *,
    scale_firing_rates=1.0,
    synapse=None,
    neuron_type="spiking",
    max_pooling="spiking",
    non_spiking="error",
    custom_objects=None,
):
    """Convert a Keras model into a :class:`~snnconvert.SpikingNetwork`.

    Args:
        model: a ``keras.Model`` (Sequential or Functional), or the path of a model
            saved as ``.h5`` (Keras 2 or 3) or ``.keras``.
        scale_firing_rates: multiplies each population's input (gain) and divides its
            amplitude, so firing rates rise while the time-averaged output is unchanged.
            A number for every layer, or ``{layer name: factor}`` (unnamed layers: 1).
        synapse: time constant (seconds) of a low-pass filter on the output of each
            neuron population; ``None`` or 0 for none; or ``{layer name: value}``.
        neuron_type: ``"spiking"`` (default), ``"rate"`` (to check the conversion
            against Keras), or a :class:`~snnconvert.neurons.NeuronType` instance.
        max_pooling: ``"spiking"`` (default) converts MaxPooling and GlobalMaxPooling
            into a spiking max-pool that passes on the spikes of the unit that has
            received the most input so far; ``"average"`` replaces them by average
            pooling, which changes what the network computes (check its accuracy).
        non_spiking: what to do with layers that have no spiking equivalent (sigmoid,
            tanh, elu, Lambda, custom layers, products of two signals): ``"error"``
            (default) refuses them; ``"rate"`` runs them as non-spiking layers on the
            values that reach them at each step; or a list of the layer names allowed
            to run that way. They are marked as such by ``inspect`` and in results.
        custom_objects: passed to Keras when loading a file.

    Raises:
        ConversionError: a layer, activation or layer option has no spiking
            equivalent; the message names the layer and what to do.
        ModelLoadError: the file cannot be loaded safely.
        ValueError: an option has a nonsensical value.
    """
    context = ConversionContext(
        as_neuron_type(neuron_type), scale_firing_rates, synapse, max_pooling=max_pooling, non_spiking=non_spiking
    )
    keras_model = load_keras_model(model, custom_objects=custom_objects)
    graph = fold_affine_into_linear(build_graph(keras_model, context))
    return SpikingNetwork(graph, keras_model=keras_model, notes=context.notes)
