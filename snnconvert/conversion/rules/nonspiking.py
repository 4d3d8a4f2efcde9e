"""Layers with no spiking equivalent, run as they are when the user allows it.

There is no registered rule for most of them: the walker falls back to
:func:`convert_as_keras_layer` for a layer type without a rule, but only for layers
named in ``non_spiking`` (or all, with ``non_spiking="rate"``). Products of two
signals (the ``Multiply`` layer) are registered, because they are refused with a
reason of their own.
"""

import keras
from keras import layers

from snnconvert.conversion.registry import register
from snnconvert.errors import ConversionError
from snnconvert.ir import InputSlot, NonSpikingLayerNode


def convert_as_keras_layer(layer, inputs, context, what=None):
    """A :class:`~snnconvert.ir.NonSpikingLayerNode` running ``layer`` at every step,
    called with the arguments it has in the model."""
    if len(context.output_shapes) != 1:
        raise ConversionError(
            f"Layer {layer.name!r} ({type(layer).__name__}) has {len(context.output_shapes)} outputs; "
            "only single-output layers can run as non-spiking layers."
        )
    context.refuse_or_allow(layer, what or f"of type {type(layer).__name__}")
    context.notes.append(f"{context.scoped(layer.name)}: {type(layer).__name__} runs as a non-spiking Keras layer.")
    args, kwargs = _call_structure(context.call_arguments, context.call_tensors)
    return context.add(NonSpikingLayerNode, name=layer.name, inputs=inputs, shape=context.output_shape,
                       source=layer.name, layer=layer, call_args=args, call_kwargs=kwargs)


def _call_structure(arguments, tensors):
    """The call's ``(args, kwargs)`` with each input tensor replaced by its slot: its
    position among ``tensors``, the node's inputs in the order the walker lists them."""
    slots = {}
    for position, tensor in enumerate(tensors):
        slots.setdefault(id(tensor), position)

    def slot(value):
        return InputSlot(slots[id(value)]) if isinstance(value, keras.KerasTensor) else value

    return tuple(keras.tree.map_structure(slot, list(arguments.args))), keras.tree.map_structure(
        slot, dict(arguments.kwargs)
    )


@register(layers.Multiply)
def convert_multiply(layer, inputs, context):
    return convert_as_keras_layer(layer, inputs, context, "multiplies two signals (not a linear operation)")
