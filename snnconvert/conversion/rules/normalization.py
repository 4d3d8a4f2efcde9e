"""BatchNormalization, Normalization and Rescaling: fixed affine maps at inference.

It is emitted as an affine node; :func:`~snnconvert.ir.fold_affine_into_linear`
later folds it into a Dense or Conv that feeds it directly.
"""

import keras
import numpy as np
from keras import layers

from snnconvert.conversion.registry import register
from snnconvert.ir import AffineNode


@register(layers.BatchNormalization)
def convert_batch_normalization(layer, inputs, context):
    shape = context.output_shape
    axis = layer.axis if isinstance(layer.axis, int) else layer.axis[0]
    axis = axis if axis >= 0 else axis + len(shape) + 1
    channels = shape[axis - 1]
    gamma = layer.gamma.numpy() if layer.scale else np.ones(channels, np.float32)
    beta = layer.beta.numpy() if layer.center else np.zeros(channels, np.float32)
    mean = layer.moving_mean.numpy()
    variance = layer.moving_variance.numpy()
    scale = gamma / np.sqrt(variance + layer.epsilon)
    offset = beta - mean * scale
    if axis != len(shape):  # not the last axis: make it broadcast over the trailing axes
        trailing = [1] * (len(shape) - axis)
        scale, offset = scale.reshape(-1, *trailing), offset.reshape(-1, *trailing)
    return context.add(
        AffineNode,
        name=layer.name,
        inputs=inputs,
        shape=shape,
        source=layer.name,
        scale=scale,
        offset=offset,
    )


@register(layers.Rescaling)
def convert_rescaling(layer, inputs, context):
    scale = _per_sample(np.asarray(layer.scale, np.float32), context.output_shape)
    offset = _per_sample(np.asarray(layer.offset, np.float32), context.output_shape)
    return context.add(AffineNode, name=layer.name, inputs=inputs, shape=context.output_shape,
                       source=layer.name, scale=scale, offset=offset)


@register(layers.Normalization)
def convert_normalization(layer, inputs, context):
    """Keras divides by ``max(sqrt(variance), epsilon)``; so does this affine."""
    mean = keras.ops.convert_to_numpy(layer.mean).astype(np.float32)
    spread = np.maximum(np.sqrt(keras.ops.convert_to_numpy(layer.variance)), keras.config.epsilon())
    spread = spread.astype(np.float32)
    if layer.invert:
        scale, offset = spread, mean
    else:
        scale, offset = 1 / spread, -mean / spread
    shape = context.output_shape
    return context.add(AffineNode, name=layer.name, inputs=inputs, shape=shape, source=layer.name,
                       scale=_per_sample(scale, shape), offset=_per_sample(offset, shape))


def _per_sample(array, shape):
    """``array`` without a leading batch axis of size 1, so it broadcasts against ``shape``."""
    while array.ndim > len(shape) and array.shape[0] == 1:
        array = array[0]
    return array
