"""A Keras model's spiking graph, without calibration: what ``convert`` builds and
what calibration measures. Kept apart from ``convert`` so that calibration, which
``convert`` calls for ``scale_firing_rates="auto"``, does not import it back."""

from snnconvert.conversion.context import ConversionContext
from snnconvert.conversion.walker import build_graph
from snnconvert.ir import fold_affine_into_linear
from snnconvert.loading import load_keras_model
from snnconvert.neurons import as_neuron_type


def spiking_graph(keras_model, context):
    """The graph of a loaded model under ``context``'s options, BatchNorm folded."""
    return fold_affine_into_linear(build_graph(keras_model, context))


def unscaled_graph(model, *, neuron_type="spiking", max_pooling="spiking", non_spiking="error",
                   swap_activations=None, custom_objects=None):
    """The graph of ``model`` (a ``keras.Model`` or a file) at scale 1, no synapses."""
    context = ConversionContext(as_neuron_type(neuron_type), 1.0, None, max_pooling=max_pooling,
                                non_spiking=non_spiking, swap_activations=swap_activations)
    return spiking_graph(load_keras_model(model, custom_objects=custom_objects), context)
