"""Activation and ReLU layers."""

from keras import layers

from snnconvert.conversion.activations import apply_activation
from snnconvert.conversion.registry import register


@register(layers.Activation)
def convert_activation(layer, inputs, context):
    return apply_activation(layer, layer.activation, inputs[0], context)


@register(
    layers.ReLU,
    supported_values={"max_value": [None], "negative_slope": [0.0, 0], "threshold": [0.0, 0]},
)
def convert_relu(layer, inputs, context):
    return context.add_neurons(layer, inputs[0])
