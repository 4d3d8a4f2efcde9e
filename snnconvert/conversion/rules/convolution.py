"""Convolutions: plain, grouped, depthwise, separable and transposed, 1-D to 3-D.

Every convolution node is channels last (see :mod:`snnconvert.ir.weighted`). A
``channels_first`` layer becomes ``Permute -> convolution -> Permute`` rather than a
node with a ``data_format`` field: TensorFlow's CPU convolutions are channels-last
only, so the simulator would transpose anyway, and with a single layout the ops, the
event-driven path, the operation counts, BatchNormalization folding and any exporter
each handle one kernel convention; the permutes are ordinary nodes they already know.
A BatchNormalization after a channels_first convolution therefore stays a separate
(exact) affine node: it follows the permute, not the kernel.
"""

import numpy as np
from keras import layers

from snnconvert.conversion.activations import apply_activation
from snnconvert.conversion.registry import register
from snnconvert.conversion.rules.reshaping import add_channels_last
from snnconvert.conversion.weights import kernel_and_bias, read_bias, read_weight
from snnconvert.ir import (
    Conv1DNode,
    Conv1DTransposeNode,
    Conv2DNode,
    Conv2DTransposeNode,
    Conv3DNode,
    Conv3DTransposeNode,
    DepthwiseConv1DNode,
    DepthwiseConv2DNode,
    PermuteNode,
)

_CONVOLUTION = {1: Conv1DNode, 2: Conv2DNode, 3: Conv3DNode}
_DEPTHWISE = {1: DepthwiseConv1DNode, 2: DepthwiseConv2DNode}
_TRANSPOSED = {1: Conv1DTransposeNode, 2: Conv2DTransposeNode, 3: Conv3DTransposeNode}

# Every option Keras 3 offers is converted; these lists refuse, by name, any value a
# later Keras might add.
_OPTIONS = {"data_format": ["channels_last", "channels_first"], "padding": ["valid", "same"]}
_CAUSAL = {**_OPTIONS, "padding": ["valid", "same", "causal"]}


@register(layers.Conv2D, layers.Conv3D, supported_values=_OPTIONS)
@register(layers.Conv1D, supported_values=_CAUSAL)
def convert_convolution(layer, inputs, context):
    kernel, bias = kernel_and_bias(layer)

    def add(x, shape):
        return context.add(
            _CONVOLUTION[layer.rank], name=layer.name, inputs=[x], shape=shape, source=layer.name,
            kernel=kernel, bias=bias, groups=layer.groups, **_window_options(layer),
        )

    return _channels_last(layer, inputs[0], context, add)


@register(layers.DepthwiseConv1D, layers.DepthwiseConv2D, supported_values=_OPTIONS)
def convert_depthwise_convolution(layer, inputs, context):
    kernel, bias = kernel_and_bias(layer)

    def add(x, shape):
        return _add_depthwise(layer, layer.name, x, shape, kernel, bias, context)

    return _channels_last(layer, inputs[0], context, add)


@register(layers.SeparableConv1D, layers.SeparableConv2D, supported_values=_OPTIONS)
def convert_separable_convolution(layer, inputs, context):
    """A depthwise node, then a pointwise (1x1) convolution holding the bias."""
    depthwise, pointwise = read_weight(layer, "depthwise_kernel"), read_weight(layer, "pointwise_kernel")
    bias = read_bias(layer)

    def add(x, shape):
        between = (*shape[:-1], depthwise.shape[-2] * depthwise.shape[-1])
        x = _add_depthwise(layer, f"{layer.name}.depthwise", x, between, depthwise, None, context)
        return context.add(
            _CONVOLUTION[layer.rank], name=layer.name, inputs=[x], shape=shape, source=layer.name,
            kernel=pointwise, bias=bias,
        )

    return _channels_last(layer, inputs[0], context, add)


@register(layers.Conv1DTranspose, layers.Conv2DTranspose, layers.Conv3DTranspose, supported_values=_OPTIONS)
def convert_convolution_transpose(layer, inputs, context):
    kernel, bias = kernel_and_bias(layer)
    # Keras's kernel is [*window, out, in]; the IR keeps the output channel last.
    kernel = np.swapaxes(kernel, -1, -2)

    def add(x, shape):
        return context.add(
            _TRANSPOSED[layer.rank], name=layer.name, inputs=[x], shape=shape, source=layer.name,
            kernel=kernel, bias=bias, output_padding=layer.output_padding, **_window_options(layer),
        )

    return _channels_last(layer, inputs[0], context, add)


def _window_options(layer):
    return dict(strides=tuple(layer.strides), padding=layer.padding, dilation_rate=tuple(layer.dilation_rate))


def _add_depthwise(layer, name, x, shape, kernel, bias, context):
    """Keras's ``[*window, channels, multiplier]`` kernel as one group per channel."""
    channels = kernel.shape[-2]
    return context.add(
        _DEPTHWISE[layer.rank], name=name, inputs=[x], shape=shape, source=layer.name,
        kernel=kernel.reshape(*kernel.shape[:-2], 1, -1), bias=bias, groups=channels,
        **_window_options(layer),
    )


def _channels_last(layer, x, context, add_linear):
    """``add_linear(x, shape)`` adds the layer's linear nodes on channels-last values of
    output ``shape`` and returns the last one's name; for a channels_first layer its
    input and output are permuted around them. Then the layer's activation."""
    shape = context.output_shape
    channels_first = layer.data_format == "channels_first"
    if channels_first:
        _note_keras_bias_bug(layer, shape, context)
        rank = len(shape) - 1
        x = add_channels_last(layer, x, context)
        shape = (*shape[1:], shape[0])
    y = add_linear(x, shape)
    if channels_first:
        y = context.add(
            PermuteNode, name=f"{layer.name}.channels_first", inputs=[y], shape=context.output_shape,
            source=layer.name, dims=(rank, *range(rank)),
        )
    return apply_activation(layer, layer.activation, y, context)


def _note_keras_bias_bug(layer, shape, context):
    # Keras 3's TensorFlow ``ops.add`` turns ``x + bias.reshape(1, C, 1, ...)`` into a
    # channels-last ``bias_add`` whenever x's last axis also has C entries.
    if layer.use_bias and shape[-1] == shape[0]:
        context.notes.append(
            f"{context.scoped(layer.name)}: channels_first with as many channels as entries on the last axis "
            f"({shape[0]}); Keras's TensorFlow backend then adds the bias along the last axis "
            "(a Keras bug), while the converted network adds it per channel as the layer "
            "defines, so the two differ by the bias's placement."
        )
