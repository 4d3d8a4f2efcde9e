"""Layers that only change the shape: the values keep their row-major order."""

from keras import layers

from snnconvert.conversion.registry import register
from snnconvert.errors import ConversionError
from snnconvert.ir import ReshapeNode


@register(layers.Flatten, layers.Reshape)
def convert_reshape(layer, inputs, context):
    if getattr(layer, "data_format", "channels_last") == "channels_first" and len(context.shape_of(inputs[0])) > 1:
        raise ConversionError(
            f"Layer {layer.name!r} flattens channels_first data, which reorders values; "
            "snnconvert only converts channels_last models so far. Rebuild the model "
            "with data_format='channels_last'."
        )
    return context.add(
        ReshapeNode, name=layer.name, inputs=inputs, shape=context.output_shape, source=layer.name
    )
