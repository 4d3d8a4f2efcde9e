"""Layers that move values around without weights: padding, cropping, upsampling,
permuting. All are linear, so spikes pass through them unchanged in kind."""

from keras import layers

from snnconvert.conversion.registry import register
from snnconvert.ir import Crop2DNode, PermuteNode, UpSample2DNode, ZeroPad2DNode

_CHANNELS_LAST = {"data_format": ["channels_last"]}


def _pairs(value):
    return tuple(tuple(int(v) for v in pair) for pair in value)


@register(layers.ZeroPadding2D, supported_values=_CHANNELS_LAST)
def convert_zero_padding2d(layer, inputs, context):
    return context.add(ZeroPad2DNode, name=layer.name, inputs=inputs, shape=context.output_shape,
                       source=layer.name, padding=_pairs(layer.padding))


@register(layers.Cropping2D, supported_values=_CHANNELS_LAST)
def convert_cropping2d(layer, inputs, context):
    return context.add(Crop2DNode, name=layer.name, inputs=inputs, shape=context.output_shape,
                       source=layer.name, cropping=_pairs(layer.cropping))


@register(layers.UpSampling2D, supported_values={**_CHANNELS_LAST, "interpolation": ["nearest"]})
def convert_upsampling2d(layer, inputs, context):
    return context.add(UpSample2DNode, name=layer.name, inputs=inputs, shape=context.output_shape,
                       source=layer.name, factors=tuple(int(v) for v in layer.size))


@register(layers.Permute)
def convert_permute(layer, inputs, context):
    # Keras counts the axes from 1 (after the batch axis); the IR from 0.
    return context.add(PermuteNode, name=layer.name, inputs=inputs, shape=context.output_shape,
                       source=layer.name, dims=tuple(int(d) - 1 for d in layer.dims))
