"""Dense and the layers that do nothing at inference."""

from keras import layers

from snnconvert.conversion.activations import apply_activation
from snnconvert.conversion.registry import register
from snnconvert.ir import DenseNode


@register(layers.Dense)
def convert_dense(layer, inputs, context):
    kernel, *rest = layer.get_weights()
    linear = context.add(
        DenseNode,
        name=layer.name,
        inputs=inputs,
        shape=context.output_shape,
        source=layer.name,
        kernel=kernel,
        bias=rest[0] if layer.use_bias else None,
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
