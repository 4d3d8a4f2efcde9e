"""Reading a layer's weights as the layer itself computes with them."""

import keras

from snnconvert.errors import ConversionError


def kernel_and_bias(layer):
    """``(kernel, bias or None)`` as numpy arrays, as used in the layer's forward pass.

    ``layer.kernel`` (not ``get_weights()``) includes LoRA adapters. Quantized layers
    store integer kernels with separate scales and are refused.
    """
    mode = getattr(layer, "quantization_mode", None)
    if mode:
        raise ConversionError(
            f"Layer {layer.name!r} ({type(layer).__name__}) is quantized ({mode!r}); snnconvert "
            "converts float weights only. Convert the model before quantizing it."
        )
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    bias = keras.ops.convert_to_numpy(layer.bias) if layer.use_bias else None
    return kernel, bias
