"""Dense layers and convolutions (channels last, see :mod:`snnconvert.ir.weighted`)."""

import numpy as np
import tensorflow as tf

from snnconvert.ir import weighted as ir
from snnconvert.ir.geometry import same_padding
from snnconvert.simulation.ops.registry import implements
from snnconvert.simulation.signals import add_constant, map_linear


def _constant(array):
    return None if array is None else tf.constant(array)


@implements(ir.DenseNode)
def dense(node, inputs):
    kernel = tf.constant(node.kernel)

    def apply(x):
        if len(x.shape) == 2:
            return tf.matmul(x, kernel)
        return tf.tensordot(x, kernel, axes=[[len(x.shape) - 1], [0]])

    return add_constant(map_linear(apply, inputs[0]), _constant(node.bias))


def convolution(node, inputs):
    # The input's spatial sizes are static (the graph fixes every node's shape).
    spatial = tuple(inputs[0].tensor.shape[-node.rank - 1:-1])
    return add_constant(map_linear(_convolve(node, spatial), inputs[0]), _constant(node.bias))


for _node_type in (ir.Conv1DNode, ir.Conv2DNode, ir.Conv3DNode, ir.DepthwiseConv1DNode, ir.DepthwiseConv2DNode):
    implements(_node_type)(convolution)


def _convolve(node, spatial):
    """The bias-free convolution of ``node`` as a function of a ``[batch, *spatial, channels]`` tensor."""
    strides, dilations = node.strides, node.dilation_rate
    if node.padding == "causal":
        causal = [[0, 0], [dilations[0] * (node.kernel.shape[0] - 1), 0], [0, 0]]
        pad, padding = (lambda x: tf.pad(x, causal)), "VALID"
    else:
        pad, padding = (lambda x: x), node.padding.upper()
    subsample = None
    if any(s > 1 for s in strides) and any(d > 1 for d in dilations):
        # TensorFlow refuses strides and dilation together: convolve at stride 1 on
        # the input padded as the strided convolution would pad it, then keep every
        # stride-th output (what Keras does for depthwise layers).
        pad = _explicit_padding(node, spatial, pad)
        padding, subsample, strides = "VALID", strides, (1,) * node.rank
    apply = _grouped_convolution(node.kernel, node.groups, strides, padding, dilations)

    def convolve(x):
        y = apply(pad(x))
        if subsample is not None:
            y = y[(slice(None), *(slice(None, None, s) for s in subsample))]
        return y

    return convolve


def _explicit_padding(node, spatial, pad):
    """``pad`` followed by the zeros that ``"same"`` padding adds around an input of
    ``spatial`` sizes (``pad`` alone for any other padding)."""
    if node.padding != "same":
        return pad
    paddings = [[0, 0]]
    for size_in, size_out, size, stride, dilation in zip(
        spatial, node.shape[:-1], node.kernel.shape[:-2], node.strides, node.dilation_rate
    ):
        paddings.append(list(same_padding(size_in, size_out, stride, dilation * (size - 1) + 1)))
    paddings.append([0, 0])
    return lambda x: tf.pad(pad(x), paddings)


def _grouped_convolution(kernel, groups, strides, padding, dilations):
    rank = kernel.ndim - 2
    if groups == 1:
        constant = tf.constant(kernel)
        return lambda x: tf.nn.convolution(x, constant, strides, padding, dilations=dilations)
    if kernel.shape[-2] == 1 and rank <= 2:
        return _depthwise(kernel, groups, strides, padding, dilations)
    # TensorFlow's CPU kernels convolve groups only in some builds (oneDNN, 2-D), so
    # each group is convolved on its own: the same sums, in any build.
    kernels = [tf.constant(part) for part in np.split(kernel, groups, axis=-1)]

    def grouped(x):
        parts = tf.split(x, groups, axis=-1)
        return tf.concat(
            [tf.nn.convolution(part, k, strides, padding, dilations=dilations) for part, k in zip(parts, kernels)],
            axis=-1,
        )

    return grouped


def _depthwise(kernel, channels, strides, padding, dilations):
    """One group per input channel, with TensorFlow's depthwise kernel (1-D as 2-D)."""
    window = kernel.shape[:-2]
    depthwise = tf.constant(kernel.reshape(*window, channels, kernel.shape[-1] // channels))
    if len(window) == 2:
        return lambda x: tf.nn.depthwise_conv2d(x, depthwise, (1, *strides, 1), padding, dilations=dilations)
    depthwise = depthwise[None]

    def depthwise_1d(x):
        y = tf.nn.depthwise_conv2d(x[:, None], depthwise, (1, 1, *strides, 1), padding,
                                   dilations=(1, *dilations))
        return y[:, 0]

    return depthwise_1d


def convolution_transpose(node, inputs):
    # TensorFlow's transposed kernel is [*window, out, in].
    kernel = tf.constant(np.swapaxes(node.kernel, -1, -2))

    def apply(x):
        output_shape = tf.concat([tf.shape(x)[:1], node.shape], axis=0)
        return tf.nn.conv_transpose(x, kernel, output_shape, node.strides, node.padding.upper(),
                                    dilations=node.dilation_rate)

    return add_constant(map_linear(apply, inputs[0]), _constant(node.bias))


for _node_type in (ir.Conv1DTransposeNode, ir.Conv2DTransposeNode, ir.Conv3DTransposeNode):
    implements(_node_type)(convolution_transpose)
