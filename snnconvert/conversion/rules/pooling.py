"""Pooling layers: average pooling (linear, spikes pass unchanged in kind) and max
pooling, which becomes a spiking max-pool or, with ``max_pooling="average"``, the
matching average pooling."""

from keras import layers

from snnconvert.conversion.registry import register
from snnconvert.ir import pooling as ir

_OPTIONS = {"data_format": ["channels_last", "channels_first"]}
_WINDOW_OPTIONS = {**_OPTIONS, "padding": ["valid", "same"]}

_AVERAGE = {
    layers.AveragePooling1D: ir.AveragePool1DNode,
    layers.AveragePooling2D: ir.AveragePool2DNode,
    layers.AveragePooling3D: ir.AveragePool3DNode,
}
_GLOBAL_AVERAGE = {
    layers.GlobalAveragePooling1D: ir.GlobalAveragePool1DNode,
    layers.GlobalAveragePooling2D: ir.GlobalAveragePool2DNode,
    layers.GlobalAveragePooling3D: ir.GlobalAveragePool3DNode,
}
# Max pooling layer -> (spiking max-pool node, the average pooling that may replace it)
_MAX = {
    layers.MaxPooling1D: (ir.MaxPool1DNode, ir.AveragePool1DNode),
    layers.MaxPooling2D: (ir.MaxPool2DNode, ir.AveragePool2DNode),
    layers.MaxPooling3D: (ir.MaxPool3DNode, ir.AveragePool3DNode),
}
_GLOBAL_MAX = {
    layers.GlobalMaxPooling1D: (ir.GlobalMaxPool1DNode, ir.GlobalAveragePool1DNode),
    layers.GlobalMaxPooling2D: (ir.GlobalMaxPool2DNode, ir.GlobalAveragePool2DNode),
    layers.GlobalMaxPooling3D: (ir.GlobalMaxPool3DNode, ir.GlobalAveragePool3DNode),
}


def _window_options(layer):
    return {
        "pool_size": tuple(int(v) for v in layer.pool_size),
        "strides": tuple(int(v) for v in layer.strides),
        "padding": layer.padding,
        "data_format": layer.data_format,
    }


def _global_options(layer):
    return {"keepdims": bool(layer.keepdims), "data_format": layer.data_format}


def _add(node_type, layer, inputs, context, options):
    return context.add(node_type, name=layer.name, inputs=inputs, shape=context.output_shape,
                       source=layer.name, **options)


@register(*_AVERAGE, supported_values=_WINDOW_OPTIONS)
def convert_average_pooling(layer, inputs, context):
    return _add(_AVERAGE[type(layer)], layer, inputs, context, _window_options(layer))


@register(*_GLOBAL_AVERAGE, supported_values=_OPTIONS)
def convert_global_average_pooling(layer, inputs, context):
    return _add(_GLOBAL_AVERAGE[type(layer)], layer, inputs, context, _global_options(layer))


@register(*_MAX, supported_values=_WINDOW_OPTIONS)
def convert_max_pooling(layer, inputs, context):
    spiking, average = _MAX[type(layer)]
    return _max_or_average(layer, inputs, context, spiking, average, _window_options(layer))


@register(*_GLOBAL_MAX, supported_values=_OPTIONS)
def convert_global_max_pooling(layer, inputs, context):
    spiking, average = _GLOBAL_MAX[type(layer)]
    return _max_or_average(layer, inputs, context, spiking, average, _global_options(layer))


def _max_or_average(layer, inputs, context, spiking, average, options):
    if context.max_pooling == "spiking":
        return _add(spiking, layer, inputs, context, {**options, "input_shape": context.shape_of(inputs[0])})
    context.notes.append(
        f"{context.scoped(layer.name)} ({type(layer).__name__}) now averages its inputs instead of taking their "
        "maximum (max_pooling='average'): the network computes a different function than the "
        "Keras model and its accuracy changes. Check it (rate mode shows the effect without "
        "spikes), or convert with max_pooling='spiking'."
    )
    return _add(average, layer, inputs, context, options)
