"""Keras activation functions and what each becomes in a spiking network."""

import keras

from snnconvert.errors import ConversionError
from snnconvert.ir import NonSpikingActivationNode, NonSpikingLayerNode, Rectifier

# Activations that change nothing in the converted network. Softmax is monotonic, so
# on the output layer the class with the largest pre-softmax value wins either way;
# the readout then carries the pre-softmax values (logits).
_IDENTITY = {"linear"}
# Rectified-linear activations become neuron populations, with Keras's defaults.
RECTIFIERS = {
    "relu": Rectifier(),
    "relu6": Rectifier(max_value=6.0),
    "leaky_relu": Rectifier(negative_slope=0.2),
}


def activation_name(activation):
    """Canonical name of a Keras activation function (``None`` counts as linear)."""
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation
    try:
        name = keras.activations.serialize(activation)
    except (ValueError, TypeError, OSError):  # OSError: a lambda whose source is unavailable
        return getattr(activation, "__name__", repr(activation))
    if isinstance(name, dict):  # a serialised custom object: a function's config is its name
        config = name.get("config")
        name = config if isinstance(config, str) else (config or {}).get("name", name.get("class_name", "custom"))
    return name


def apply_activation(layer, activation, x, context):
    """Add what ``activation`` becomes after node ``x``; return the resulting node name."""
    name = activation_name(activation)
    swapped = context.swapped_neuron_type(name)
    if swapped is not None:
        return context.add_neurons(layer, x, neuron_type=swapped)
    if name in _IDENTITY:
        return x
    if name in RECTIFIERS:
        return context.add_neurons(layer, x, RECTIFIERS[name])
    if name == "softmax" and context.is_model_output:
        context.notes.append(
            f"{context.scoped(layer.name)}: softmax on the output is dropped; the readout carries the "
            "pre-softmax values, whose argmax is the same class."
        )
        return x
    where = " (softmax is only dropped on an output layer)" if name == "softmax" else ""
    context.refuse_or_allow(layer, f"uses activation {name!r}{where}")
    return add_non_spiking_activation(layer, activation, name, x, context)


def add_non_spiking_activation(layer, activation, name, x, context):
    """A non-spiking node computing ``activation`` on the values reaching it."""
    options = dict(name=f"{layer.name}.{name}", inputs=[x], shape=context.shape_of(x), source=layer.name)
    context.notes.append(f"{context.scoped(layer.name)}: activation {name!r} runs as a non-spiking rate layer.")
    if _is_builtin(name):
        return context.add(NonSpikingActivationNode, function=name, **options)
    if isinstance(activation, str):
        raise ConversionError(f"Layer {layer.name!r} uses unknown activation {name!r}.")
    return context.add(NonSpikingLayerNode, layer=keras.layers.Activation(activation), **options)


def _is_builtin(name):
    try:
        return keras.activations.get(name) is getattr(keras.activations, name, None)
    except (ValueError, TypeError):
        return False
