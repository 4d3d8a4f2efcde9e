"""Layers that merge several inputs."""

from keras import layers

from snnconvert.conversion.registry import register
from snnconvert.errors import ConversionError
from snnconvert.ir import AddNode, ConcatenateNode


@register(layers.Add, layers.Subtract, layers.Average)
def convert_sum(layer, inputs, context):
    if isinstance(layer, layers.Subtract):
        coefficients = (1.0, -1.0)
    elif isinstance(layer, layers.Average):
        coefficients = (1.0 / len(inputs),) * len(inputs)
    else:
        coefficients = ()
    return add_sum(layer, inputs, context, coefficients)


def add_sum(layer, inputs, context, coefficients):
    """An :class:`~snnconvert.ir.AddNode` summing ``inputs`` times ``coefficients``."""
    shape = context.output_shape
    mismatched = [name for name in inputs if context.shape_of(name) != shape]
    if mismatched:
        raise ConversionError(
            f"Layer {layer.name!r} ({type(layer).__name__}) broadcasts inputs of different shapes "
            f"{[context.shape_of(n) for n in inputs]}; only equal shapes are converted."
        )
    return context.add(AddNode, name=layer.name, inputs=inputs, shape=shape, source=layer.name,
                       coefficients=coefficients)


@register(layers.Concatenate)
def convert_concatenate(layer, inputs, context):
    rank = len(context.output_shape) + 1  # with the batch axis, as Keras counts
    axis = layer.axis if layer.axis >= 0 else layer.axis + rank
    if axis == 0:
        raise ConversionError(
            f"Layer {layer.name!r} concatenates along the batch axis, which has no meaning "
            "for a network that processes one sample at a time."
        )
    return context.add(
        ConcatenateNode,
        name=layer.name,
        inputs=inputs,
        shape=context.output_shape,
        source=layer.name,
        axis=axis - 1,
    )
