"""Element-wise operations, and the non-spiking layers a user allowed.

The non-spiking ones are not linear: they see the value at each step (a cumulative
input is differenced first) and return per-step values.
"""

import keras
import tensorflow as tf

from snnconvert.ir import elementwise as ir
from snnconvert.simulation.ops.registry import implements
from snnconvert.simulation.signals import Signal, add_constant, common_form


@implements(ir.AffineNode)
def affine(node, inputs):
    signal = inputs[0]
    scaled = Signal(signal.tensor * tf.constant(node.scale), signal.temporal, signal.cumulative)
    return add_constant(scaled, tf.constant(node.offset))


@implements(ir.NonSpikingActivationNode)
def non_spiking_activation(node, inputs):
    signal = inputs[0].per_step()
    return Signal(keras.activations.get(node.function)(signal.tensor), signal.temporal)


@implements(ir.NonSpikingLayerNode)
def non_spiking_layer(node, inputs):
    tensors, (temporal, _) = common_form([signal.per_step() for signal in inputs])
    if not temporal:
        return Signal(_call(node, tensors), temporal=False)
    n_steps = max(tensor.shape[1] for tensor in tensors)
    # Fold time into the batch so the layer runs once per window, like a linear op.
    folded = [tf.reshape(_tiled(t, n_steps), [-1, *t.shape[2:]]) for t in tensors]
    result = _call(node, folded)
    return Signal(tf.reshape(result, [-1, n_steps, *node.shape]), temporal=True)


def _tiled(tensor, n_steps):
    """A static input expanded with a time axis of length 1, repeated to ``n_steps``."""
    if tensor.shape[1] == n_steps:
        return tensor
    return tf.repeat(tensor, n_steps, axis=1)


def _call(node, tensors):
    """Call the Keras object as the model did, with ``tensors`` in the input slots."""
    def fill(value):
        return tensors[value.index] if isinstance(value, ir.InputSlot) else value

    args = keras.tree.map_structure(fill, list(node.call_args)) if node.call_args else [
        tensors if len(tensors) > 1 else tensors[0]
    ]
    kwargs = keras.tree.map_structure(fill, dict(node.call_kwargs))
    if getattr(node.layer, "_call_has_training_arg", False):
        kwargs["training"] = False
    return tf.cast(node.layer(*args, **kwargs), tf.float32)
