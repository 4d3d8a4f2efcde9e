"""Arithmetic written directly on tensors in a Functional model (``x * 0.5 + 1``).

Keras records such expressions as operations of ``keras.ops`` in the model graph.
With one tensor and one constant, ``+ - * /`` are affine and convert exactly; a
sum or difference of two tensors is a merge. Anything else (a product of two
signals, a constant divided by a signal) is not linear: it is refused, or run as a
non-spiking layer when the user allows it (``non_spiking``).
"""

import keras
import numpy as np
from keras.src.ops import numpy as keras_numpy  # the classes Keras records for tensor arithmetic

from snnconvert.conversion.registry import register
from snnconvert.conversion.rules.merging import add_sum
from snnconvert.conversion.rules.nonspiking import convert_as_keras_layer
from snnconvert.errors import ConversionError
from snnconvert.ir import AffineNode


@register(keras_numpy.Add, keras_numpy.Subtract, keras_numpy.Multiply, keras_numpy.Divide, keras_numpy.TrueDivide,
          keras_numpy.Negative)
def convert_tensor_arithmetic(operation, inputs, context):
    kind = type(operation).__name__
    arguments = list(context.call_arguments.args)
    tensor_positions = [i for i, a in enumerate(arguments) if isinstance(a, keras.KerasTensor)]
    if kind == "Negative":
        return _affine(operation, inputs, context, scale=np.float32(-1), offset=np.float32(0))
    if len(tensor_positions) == 2 and kind in ("Add", "Subtract"):
        return add_sum(operation, inputs, context, (1.0, -1.0) if kind == "Subtract" else ())
    if len(tensor_positions) != 1 or len(arguments) != 2:
        return convert_as_keras_layer(
            operation, inputs, context, f"combines {len(tensor_positions)} tensors by {kind} (not a linear operation)"
        )
    constant = _constant(arguments[1 - tensor_positions[0]], context.output_shape, operation)
    tensor_first = tensor_positions[0] == 0
    one, zero = np.ones_like(constant), np.zeros_like(constant)
    if kind == "Add":
        scale, offset = one, constant
    elif kind == "Subtract":
        scale, offset = (one, -constant) if tensor_first else (-one, constant)
    elif kind == "Multiply":
        scale, offset = constant, zero
    elif tensor_first:  # Divide / TrueDivide by a constant
        scale, offset = 1 / constant, zero
    else:
        return convert_as_keras_layer(operation, inputs, context, "divides a constant by a signal (not linear)")
    return _affine(operation, inputs, context, scale=scale, offset=offset)


def _affine(operation, inputs, context, *, scale, offset):
    return context.add(AffineNode, name=operation.name, inputs=inputs, shape=context.output_shape,
                       source=operation.name, scale=scale, offset=offset)


def _constant(value, shape, operation):
    """``value`` as a float32 array that broadcasts against one sample of ``shape``."""
    array = np.asarray(value, dtype=np.float32)
    if array.ndim > len(shape):  # a leading batch axis of size 1
        if array.shape[0] != 1 or array.ndim != len(shape) + 1:
            raise ConversionError(
                f"Operation {operation.name!r} uses a constant of shape {array.shape}, which does not "
                f"broadcast against one sample of shape {shape}."
            )
        array = array[0]
    return array
