"""Layers with no spiking equivalent, run as they are when the user allows it.

There is no registered rule here: the walker falls back to :func:`convert_as_keras_layer`
for a layer type without a rule, but only for layers named in ``non_spiking`` (or
all, with ``non_spiking="rate"``). Products of two signals (``Multiply``) are
registered, because they are linear only when one factor is a constant.
"""

from keras import layers

from snnconvert.conversion.registry import register
from snnconvert.errors import ConversionError
from snnconvert.ir import NonSpikingLayerNode


def convert_as_keras_layer(layer, inputs, context):
    """A :class:`~snnconvert.ir.NonSpikingLayerNode` running ``layer`` at every step."""
    if len(context.output_shapes) != 1:
        raise ConversionError(
            f"Layer {layer.name!r} ({type(layer).__name__}) has {len(context.output_shapes)} outputs; "
            "only single-output layers can run as non-spiking layers."
        )
    context.refuse_or_allow(layer, f"of type {type(layer).__name__}")
    context.notes.append(f"{context.scoped(layer.name)}: {type(layer).__name__} runs as a non-spiking Keras layer.")
    return context.add(NonSpikingLayerNode, name=layer.name, inputs=inputs, shape=context.output_shape,
                       source=layer.name, layer=layer)


@register(layers.Multiply)
def convert_multiply(layer, inputs, context):
    context.refuse_or_allow(layer, "multiplies two signals (not a linear operation)")
    context.notes.append(f"{context.scoped(layer.name)}: Multiply runs as a non-spiking Keras layer.")
    return context.add(NonSpikingLayerNode, name=layer.name, inputs=inputs, shape=context.output_shape,
                       source=layer.name, layer=layer)
