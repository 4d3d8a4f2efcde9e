"""Convolutions."""

from keras import layers

from snnconvert.conversion.registry import register
from snnconvert.conversion.weights import add_weighted_layer
from snnconvert.ir import Conv1DNode, Conv2DNode, DepthwiseConv2DNode


@register(layers.Conv2D, supported_values={"data_format": ["channels_last"], "groups": [1]})
def convert_conv2d(layer, inputs, context):
    return add_weighted_layer(
        Conv2DNode, layer, inputs, context,
        strides=tuple(layer.strides), padding=layer.padding, dilation_rate=tuple(layer.dilation_rate),
    )


@register(layers.Conv1D, supported_values={"data_format": ["channels_last"], "groups": [1],
                                           "padding": ["valid", "same"]})
def convert_conv1d(layer, inputs, context):
    return add_weighted_layer(
        Conv1DNode, layer, inputs, context,
        strides=int(layer.strides[0]), padding=layer.padding, dilation_rate=int(layer.dilation_rate[0]),
    )


@register(layers.DepthwiseConv2D, supported_values={"data_format": ["channels_last"]})
def convert_depthwise_conv2d(layer, inputs, context):
    return add_weighted_layer(
        DepthwiseConv2DNode, layer, inputs, context,
        strides=tuple(layer.strides), padding=layer.padding, dilation_rate=tuple(layer.dilation_rate),
    )
