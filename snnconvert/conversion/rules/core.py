"""Dense and the layers that do nothing at inference."""

from keras import layers

from snnconvert.conversion.registry import register
from snnconvert.conversion.weights import add_weighted_layer
from snnconvert.ir import DenseNode


@register(layers.Dense)
def convert_dense(layer, inputs, context):
    return add_weighted_layer(DenseNode, layer, inputs, context)


@register(
    layers.Dropout,
    layers.SpatialDropout1D,
    layers.SpatialDropout2D,
    layers.SpatialDropout3D,
    layers.GaussianNoise,
    layers.GaussianDropout,
    layers.AlphaDropout,
    layers.ActivityRegularization,
    layers.Identity,
)
def convert_identity(layer, inputs, context):
    """Regularisation layers are the identity at inference time."""
    return inputs[0]
