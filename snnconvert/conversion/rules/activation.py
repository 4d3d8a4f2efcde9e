"""Activation, ReLU and LeakyReLU layers."""

from keras import layers

from snnconvert.conversion.activations import apply_activation
from snnconvert.conversion.registry import register
from snnconvert.ir import Rectifier


@register(layers.Activation)
def convert_activation(layer, inputs, context):
    return apply_activation(layer, layer.activation, inputs[0], context)


@register(layers.ReLU)
def convert_relu(layer, inputs, context):
    max_value = None if layer.max_value is None else float(layer.max_value)
    rectifier = Rectifier(float(layer.negative_slope), float(layer.threshold), max_value)
    return context.add_neurons(layer, inputs[0], rectifier)


@register(layers.LeakyReLU)
def convert_leaky_relu(layer, inputs, context):
    return context.add_neurons(layer, inputs[0], Rectifier(negative_slope=float(layer.negative_slope)))
