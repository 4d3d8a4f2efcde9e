"""Pooling nodes in the NIR export (rules used by ``nir.NirExporter``).

NIR has ``AvgPool2d`` and ``SumPool2d`` only. A 1-D average pool is written as
the ``Conv1d`` that computes it: each channel's window averaged with weights
``1 / pool_size``, zero across channels. Max pooling has no NIR node at all.
"""

import numpy as np


def average_pool_2d(builder, node):
    value = builder.spatial_input(node, 2)
    _check_pool_layout(builder, node)
    pool = builder.nir.AvgPool2d(
        kernel_size=np.array(node.pool_size), stride=np.array(node.strides), padding=np.array([0, 0])
    )
    return builder.channels_first_value(builder.emit(node.name, pool, value.nir_name), node.shape)


def global_average_pool_2d(builder, node):
    value = builder.spatial_input(node, 2)
    _check_pool_layout(builder, node)
    spatial = np.array(builder.graph[node.inputs[0]].shape[:-1])
    pool = builder.nir.AvgPool2d(kernel_size=spatial, stride=spatial, padding=np.array([0, 0]))
    pooled = builder.emit(node.name, pool, value.nir_name)
    return _flattened_unless_kept(builder, node, pooled, spatial_axes=2)


def average_pool_1d(builder, node):
    value = builder.spatial_input(node, 1)
    _check_pool_layout(builder, node)
    conv = _averaging_conv1d(builder, node.inputs[0], node.pool_size[0], node.strides[0])
    return builder.channels_first_value(builder.emit(node.name, conv, value.nir_name), node.shape)


def global_average_pool_1d(builder, node):
    value = builder.spatial_input(node, 1)
    _check_pool_layout(builder, node)
    length = builder.graph[node.inputs[0]].shape[0]
    conv = _averaging_conv1d(builder, node.inputs[0], length, length)
    pooled = builder.emit(node.name, conv, value.nir_name)
    return _flattened_unless_kept(builder, node, pooled, spatial_axes=1)


def max_pool(builder, node):
    raise builder.refuse(
        node, f"NIR has no max-pooling node, and spiking max pooling ({node.kind}) gates each window on the "
        "input it has accumulated, a state no NIR node holds; convert with max_pooling=\"average\" to export "
        "it as average pooling.",
    )


def _check_pool_layout(builder, node):
    if getattr(node, "data_format", "channels_last") != "channels_last":
        raise builder.refuse(node, "only channels_last pooling is exported.")
    if getattr(node, "padding", "valid") != "valid":
        raise builder.refuse(node, "NIR's pooling does not exclude padded cells; use 'valid' padding.")


def _averaging_conv1d(builder, input_name, window, stride):
    length, channels = builder.graph[input_name].shape
    dtype = np.float32
    weight = np.zeros((channels, channels, window), dtype)
    weight[np.arange(channels), np.arange(channels)] = 1 / window
    return builder.nir.Conv1d(
        input_shape=int(length), weight=weight, stride=int(stride), padding=0, dilation=1, groups=1,
        bias=np.zeros(channels, dtype),
    )


def _flattened_unless_kept(builder, node, pooled, spatial_axes):
    channels = node.shape[-1]
    if node.keepdims:
        return builder.channels_first_value(pooled, node.shape)
    flatten = builder.nir.Flatten(
        input_type={"input": np.array([channels] + [1] * spatial_axes)}, start_dim=0, end_dim=-1
    )
    return builder.channels_first_value(builder.emit(f"{node.name}.flatten", flatten, pooled), (channels,))
