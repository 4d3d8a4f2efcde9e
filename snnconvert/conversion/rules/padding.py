"""Layers that move values around without weights: padding, cropping, upsampling,
permuting. All are linear, so spikes pass through them unchanged in kind.

The 1-D, 2-D and 3-D variants share one node each, which lists its parameter for
every non-batch axis; the channel axis (last, or first with ``channels_first``)
gets the neutral value.
"""

from keras import layers

from snnconvert.conversion.registry import register
from snnconvert.ir import CropNode, PermuteNode, UpSampleNode, ZeroPadNode


def _spatial_pairs(value, n_spatial):
    """Keras's padding/cropping argument as one ``(before, after)`` pair per spatial axis."""
    if n_spatial == 1:
        return ((int(value[0]), int(value[1])),)
    return tuple((int(before), int(after)) for before, after in value)


def _with_channel_axis(per_spatial_axis, neutral, layer):
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return (neutral, *per_spatial_axis)
    return (*per_spatial_axis, neutral)


def _n_spatial(layer):
    return int(type(layer).__name__[-2])  # ZeroPadding2D -> 2


@register(layers.ZeroPadding1D, layers.ZeroPadding2D, layers.ZeroPadding3D)
def convert_zero_padding(layer, inputs, context):
    pairs = _spatial_pairs(layer.padding, _n_spatial(layer))
    return context.add(ZeroPadNode, name=layer.name, inputs=inputs, shape=context.output_shape,
                       source=layer.name, padding=_with_channel_axis(pairs, (0, 0), layer))


@register(layers.Cropping1D, layers.Cropping2D, layers.Cropping3D)
def convert_cropping(layer, inputs, context):
    pairs = _spatial_pairs(layer.cropping, _n_spatial(layer))
    return context.add(CropNode, name=layer.name, inputs=inputs, shape=context.output_shape,
                       source=layer.name, cropping=_with_channel_axis(pairs, (0, 0), layer))


@register(layers.UpSampling1D, layers.UpSampling3D)
@register(layers.UpSampling2D, supported_values={"interpolation": ["nearest"]})
def convert_upsampling(layer, inputs, context):
    size = layer.size
    factors = (int(size),) if isinstance(size, int) else tuple(int(v) for v in size)
    return context.add(UpSampleNode, name=layer.name, inputs=inputs, shape=context.output_shape,
                       source=layer.name, factors=_with_channel_axis(factors, 1, layer))


@register(layers.Permute)
def convert_permute(layer, inputs, context):
    # Keras counts the axes from 1 (after the batch axis); the IR from 0.
    return context.add(PermuteNode, name=layer.name, inputs=inputs, shape=context.output_shape,
                       source=layer.name, dims=tuple(int(d) - 1 for d in layer.dims))
