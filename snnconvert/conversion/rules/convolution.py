"""Convolutions."""

from keras import layers

from snnconvert.conversion.activations import apply_activation
from snnconvert.conversion.registry import register
from snnconvert.conversion.weights import kernel_and_bias
from snnconvert.ir import Conv1DNode, Conv2DNode, DepthwiseConv2DNode


@register(layers.Conv2D, supported_values={"data_format": ["channels_last"], "groups": [1]})
def convert_conv2d(layer, inputs, context):
    kernel, bias = kernel_and_bias(layer)
    linear = context.add(
        Conv2DNode,
        name=layer.name,
        inputs=inputs,
        shape=context.output_shape,
        source=layer.name,
        kernel=kernel,
        bias=bias,
        strides=tuple(layer.strides),
        padding=layer.padding,
        dilation_rate=tuple(layer.dilation_rate),
    )
    return apply_activation(layer, layer.activation, linear, context)


@register(layers.Conv1D, supported_values={"data_format": ["channels_last"], "groups": [1],
                                           "padding": ["valid", "same"]})
def convert_conv1d(layer, inputs, context):
    kernel, bias = kernel_and_bias(layer)
    linear = context.add(
        Conv1DNode,
        name=layer.name,
        inputs=inputs,
        shape=context.output_shape,
        source=layer.name,
        kernel=kernel,
        bias=bias,
        strides=int(layer.strides[0]),
        padding=layer.padding,
        dilation_rate=int(layer.dilation_rate[0]),
    )
    return apply_activation(layer, layer.activation, linear, context)


@register(layers.DepthwiseConv2D, supported_values={"data_format": ["channels_last"]})
def convert_depthwise_conv2d(layer, inputs, context):
    kernel, bias = kernel_and_bias(layer)
    linear = context.add(
        DepthwiseConv2DNode,
        name=layer.name,
        inputs=inputs,
        shape=context.output_shape,
        source=layer.name,
        kernel=kernel,
        bias=bias,
        strides=tuple(layer.strides),
        padding=layer.padding,
        dilation_rate=tuple(layer.dilation_rate),
    )
    return apply_activation(layer, layer.activation, linear, context)
