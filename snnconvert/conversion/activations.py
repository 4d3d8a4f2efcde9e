"""Keras activation functions and what each becomes in a spiking network."""

import keras

from snnconvert.errors import ConversionError

# Activations that change nothing in the converted network. Softmax is monotonic, so
# on the output layer the class with the largest pre-softmax value wins either way;
# the readout then carries the pre-softmax values (logits).
_IDENTITY = {"linear"}
_NEURONS = {"relu"}


def activation_name(activation):
    """Canonical name of a Keras activation function (``None`` counts as linear)."""
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation
    try:
        return keras.activations.serialize(activation)
    except (ValueError, TypeError):
        return getattr(activation, "__name__", repr(activation))


def apply_activation(layer, activation, x, context):
    """Add what ``activation`` becomes after node ``x``; return the resulting node name."""
    name = activation_name(activation)
    if isinstance(name, dict):  # a serialised custom object
        name = name.get("config", {}).get("name", name.get("class_name", "custom"))
    if name in _IDENTITY:
        return x
    if name in _NEURONS:
        return context.add_neurons(layer, x)
    if name == "softmax" and context.is_model_output:
        context.notes.append(
            f"{layer.name}: softmax on the output is dropped; the readout carries the "
            "pre-softmax values, whose argmax is the same class."
        )
        return x
    where = "" if name != "softmax" else " (softmax is only accepted on an output layer)"
    raise ConversionError(
        f"Layer {layer.name!r} ({type(layer).__name__}) uses activation {name!r}, which has "
        f"no spiking equivalent in snnconvert{where}. Supported activations: relu, linear, "
        "and softmax on an output layer. Retrain the model with relu, or move the "
        "activation out of the converted part of the network."
    )
