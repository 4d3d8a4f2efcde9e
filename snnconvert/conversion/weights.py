"""Reading a layer's weights as the layer itself computes with them."""

import keras

from snnconvert.conversion.activations import apply_activation
from snnconvert.errors import ConversionError


def read_weight(layer, attribute="kernel"):
    """The layer's weight ``attribute`` as a numpy array, as used in its forward pass.

    ``layer.kernel`` (not ``get_weights()``) includes LoRA adapters. Quantized layers
    store integer kernels with separate scales and are refused.
    """
    mode = getattr(layer, "quantization_mode", None)
    if mode:
        raise ConversionError(
            f"Layer {layer.name!r} ({type(layer).__name__}) is quantized ({mode!r}); snnconvert "
            "converts float weights only. Convert the model before quantizing it."
        )
    return keras.ops.convert_to_numpy(getattr(layer, attribute))


def read_bias(layer):
    return keras.ops.convert_to_numpy(layer.bias) if layer.use_bias else None


def kernel_and_bias(layer):
    """``(kernel, bias or None)`` as numpy arrays, as used in the layer's forward pass."""
    return read_weight(layer), read_bias(layer)


def add_weighted_layer(node_type, layer, inputs, context, **options):
    """The weighted node for ``layer`` (kernel and bias read as above), followed by
    what its ``activation`` becomes; returns the name of the last node."""
    kernel, bias = kernel_and_bias(layer)
    linear = context.add(
        node_type,
        name=layer.name,
        inputs=inputs,
        shape=context.output_shape,
        source=layer.name,
        kernel=kernel,
        bias=bias,
        **options,
    )
    return apply_activation(layer, layer.activation, linear, context)
