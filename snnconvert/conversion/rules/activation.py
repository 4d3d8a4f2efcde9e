"""Activation, ReLU, LeakyReLU and Softmax layers, and the same functions written as
``keras.ops`` calls in a Functional model (``keras.ops.relu(x)``)."""

from keras import layers
from keras.src.ops import nn as keras_nn  # the classes Keras records for keras.ops.relu & co.

from snnconvert.conversion.activations import apply_activation
from snnconvert.conversion.registry import register
from snnconvert.conversion.rules.nonspiking import convert_as_keras_layer
from snnconvert.ir import Rectifier


@register(layers.Activation)
def convert_activation(layer, inputs, context):
    return apply_activation(layer, layer.activation, inputs[0], context)


@register(layers.ReLU)
def convert_relu(layer, inputs, context):
    max_value = None if layer.max_value is None else float(layer.max_value)
    rectifier = Rectifier(float(layer.negative_slope), float(layer.threshold), max_value)
    return _rectified(layer, inputs, context, rectifier, "relu")


@register(layers.LeakyReLU)
def convert_leaky_relu(layer, inputs, context):
    return _rectified(layer, inputs, context, Rectifier(negative_slope=float(layer.negative_slope)), "leaky_relu")


@register(keras_nn.Relu)
def convert_relu_op(operation, inputs, context):
    return _rectified(operation, inputs, context, Rectifier(), "relu")


@register(keras_nn.Relu6)
def convert_relu6_op(operation, inputs, context):
    return _rectified(operation, inputs, context, Rectifier(max_value=6.0), "relu6")


@register(keras_nn.LeakyRelu)
def convert_leaky_relu_op(operation, inputs, context):
    return _rectified(operation, inputs, context, Rectifier(negative_slope=float(operation.negative_slope)),
                      "leaky_relu")


@register(layers.Softmax, keras_nn.Softmax)
def convert_softmax(layer, inputs, context):
    if layer.axis not in (-1, [-1], (-1,)) or context.call_arguments.kwargs.get("mask") is not None:
        return convert_as_keras_layer(layer, inputs, context, "is a softmax over other axes or with a mask")
    return apply_activation(layer, "softmax", inputs[0], context)


def _rectified(layer, inputs, context, rectifier, activation):
    """A population with ``rectifier``, of the neuron type ``swap_activations`` gives
    ``activation`` if any (which refuses options it cannot reproduce)."""
    return context.add_neurons(layer, inputs[0], rectifier, neuron_type=context.swapped_neuron_type(activation))
