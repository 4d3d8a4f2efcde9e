"""Walks a Keras model's graph in topological order and applies the conversion rules."""

import keras

from snnconvert.conversion.context import ConversionContext
from snnconvert.conversion.registry import find_rule, has_rule
from snnconvert.conversion.rules.nonspiking import convert_as_keras_layer
from snnconvert.errors import ConversionError
from snnconvert.ir import InputNode, SpikingGraph


def build_graph(model, context: ConversionContext):
    """The :class:`~snnconvert.ir.SpikingGraph` equivalent to ``model``."""
    functional = _functional_view(model)
    # Input nodes first, in the model's input order: data arrays are matched to them.
    input_names = [
        context.add(InputNode, name=layer.name, inputs=(), shape=_known_shape(layer, tensor), source=layer.name)
        for tensor in functional.inputs
        for layer in [_producer(tensor).operation]
    ]
    outputs = _walk(functional, input_names, context, outputs_leave_network=True)
    context.check_layer_options_used()
    return SpikingGraph(context.nodes, outputs)


def _walk(functional, input_names, context, outputs_leave_network):
    """Convert the layers of ``functional`` whose inputs are the IR nodes ``input_names``;
    return the IR names of its outputs. A nested model is walked in place, its node
    names prefixed with its own name (``"block/conv"``)."""
    output_ids = {id(tensor) for tensor in functional.outputs}
    names = {id(tensor): name for tensor, name in zip(functional.inputs, input_names, strict=True)}
    ordered = _topological_nodes(functional.outputs)
    consumed = {id(t) for node in ordered for t in node.input_tensors}
    for keras_node in ordered:
        layer = keras_node.operation
        if isinstance(layer, keras.layers.InputLayer):
            if id(keras_node.output_tensors[0]) not in names:
                raise ConversionError(
                    f"Input layer {layer.name!r} is used by the model but is not one of its inputs."
                )
            continue
        inputs = [names[id(tensor)] for tensor in keras_node.input_tensors]
        # Only a value that leaves the network and feeds nothing else may lose a softmax.
        is_output = outputs_leave_network and all(
            id(t) in output_ids and id(t) not in consumed for t in keras_node.output_tensors
        )
        if isinstance(layer, keras.Model):
            with context.scope(layer.name):
                produced = _walk(_functional_view(layer), inputs, context, is_output)
        else:
            context.output_shapes = [_known_shape(layer, t) for t in keras_node.output_tensors]
            context.is_model_output = is_output
            context.call_arguments = keras_node.arguments
            context.call_tensors = keras_node.input_tensors
            produced = _rule_for(layer, context)(layer, inputs, context)
        produced = [produced] if isinstance(produced, str) else list(produced)
        for tensor, name in zip(keras_node.output_tensors, produced, strict=True):
            names[id(tensor)] = name
    return [names[id(tensor)] for tensor in functional.outputs]


def _rule_for(layer, context):
    """The layer's conversion rule; a layer without one runs as a non-spiking Keras layer
    if the user allowed it."""
    if has_rule(layer) or not context.allows_rate_layer(layer):
        return find_rule(layer).convert
    return convert_as_keras_layer


def _functional_view(model):
    if not isinstance(model, keras.Model):
        raise ConversionError(f"Expected a keras.Model, received {type(model).__name__}.")
    if isinstance(model, keras.Sequential):
        functional = getattr(model, "_functional", None)
        if functional is None:
            raise ConversionError(
                f"Sequential model {model.name!r} has no known input shape, so its graph "
                "cannot be walked. Start it with `keras.Input(shape=...)` or call "
                "`model.build(input_shape)` before converting."
            )
        return functional
    if not hasattr(model, "outputs") or model.outputs is None or not hasattr(model, "_inbound_nodes"):
        raise ConversionError(
            f"Model {model.name!r} is a subclassed keras.Model whose graph is defined in "
            "Python code and cannot be walked. Rebuild it with the Functional or "
            "Sequential API to convert it."
        )
    return model


def _topological_nodes(outputs):
    """Keras graph nodes that produce ``outputs``, each after the nodes it reads."""
    ordered, done, in_progress = [], set(), set()
    stack = [(_producer(tensor), False) for tensor in reversed(outputs)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            in_progress.discard(id(node))
            done.add(id(node))
            ordered.append(node)
            continue
        if id(node) in in_progress:
            continue
        in_progress.add(id(node))
        stack.append((node, True))
        for tensor in reversed(node.input_tensors):
            parent = _producer(tensor)
            if id(parent) not in done:
                stack.append((parent, False))
    return ordered


def _producer(tensor):
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        raise ConversionError(f"Tensor {tensor!r} has no Keras history; the model graph is incomplete.")
    operation, node_index, _ = history
    return operation._inbound_nodes[node_index]


def _known_shape(layer, tensor):
    shape = tuple(tensor.shape[1:])
    if any(dim is None for dim in shape):
        raise ConversionError(
            f"Layer {layer.name!r} has an output of shape {tuple(tensor.shape)} with unknown "
            "dimensions; a spiking network needs fixed sizes. Give the model a fixed input "
            "shape, e.g. `keras.Input(shape=(28, 28, 1))`, and convert that model."
        )
    return shape
