"""Average pooling (a linear operation, so it carries spikes unchanged in kind)."""

from keras import layers

from snnconvert.conversion.registry import register
from snnconvert.ir import AveragePool2DNode, GlobalAveragePool2DNode

_CHANNELS_LAST = {"data_format": ["channels_last"]}


@register(layers.AveragePooling2D, supported_values=_CHANNELS_LAST)
def convert_average_pooling2d(layer, inputs, context):
    return context.add(
        AveragePool2DNode,
        name=layer.name,
        inputs=inputs,
        shape=context.output_shape,
        source=layer.name,
        pool_size=tuple(layer.pool_size),
        strides=tuple(layer.strides),
        padding=layer.padding,
    )


@register(layers.GlobalAveragePooling2D, supported_values=_CHANNELS_LAST)
def convert_global_average_pooling2d(layer, inputs, context):
    return context.add(
        GlobalAveragePool2DNode,
        name=layer.name,
        inputs=inputs,
        shape=context.output_shape,
        source=layer.name,
        keepdims=bool(layer.keepdims),
    )
