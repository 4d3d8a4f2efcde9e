"""Dense and the layers that do nothing at inference."""

from keras import layers

from snnconvert.conversion.activations import apply_activation
from snnconvert.conversion.registry import register
from snnconvert.conversion.weights import kernel_and_bias
from snnconvert.ir import DenseNode


@register(layers.Dense)
def convert_dense(layer, inputs, context):
    kernel, bias = kernel_and_bias(layer)
    linear = context.add(
        DenseNode,
        name=layer.name,
        inputs=inputs,
        shape=context.output_shape,
        source=layer.name,
        kernel=kernel,
        bias=bias,
    )
    return apply_activation(layer, layer.activation, linear, context)


@register(
    layers.Dropout,
    layers.SpatialDropout1D,
    layers.SpatialDropout2D,
    layers.SpatialDropout3D,
    layers.GaussianNoise,
    layers.GaussianDropout,
    layers.AlphaDropout,
    layers.ActivityRegularization,
)
def convert_identity(layer, inputs, context):
    """Regularisation layers are the identity at inference time."""
    return inputs[0]
