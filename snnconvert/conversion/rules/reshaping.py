"""Layers that only change the shape: the values keep their row-major order."""

from keras import layers

from snnconvert.conversion.registry import register
from snnconvert.ir import PermuteNode, ReshapeNode


@register(layers.Flatten, layers.Reshape)
def convert_reshape(layer, inputs, context):
    source = inputs[0]
    shape = context.shape_of(source)
    if getattr(layer, "data_format", "channels_last") == "channels_first" and len(shape) > 1:
        # Keras moves the channels last before flattening channels_first data.
        source = add_channels_last(layer, source, context)
    return context.add(ReshapeNode, name=layer.name, inputs=[source], shape=context.output_shape, source=layer.name)


def add_channels_last(layer, x, context):
    """A ``<layer>.channels_last`` permute of ``x`` (channels first) to channels last."""
    shape = context.shape_of(x)
    dims = (*range(1, len(shape)), 0)
    return context.add(PermuteNode, name=f"{layer.name}.channels_last", inputs=[x],
                       shape=tuple(shape[d] for d in dims), source=layer.name, dims=dims)
