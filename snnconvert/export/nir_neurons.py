"""Neuron populations in the NIR export (the rule used by ``nir.NirExporter``).

* Spiking ReLU: ``nir.IF(r=gain, v_threshold=1, v_reset=0)``; ``r`` is 1 where the
  gain is folded into the weights feeding the population (``nir_scales``).
* LIF: snnconvert's voltage relaxes towards the current ``J`` with time constant
  ``tau_rc / gain`` (the scale divides the time constants), crosses 1 to spike and
  resets to 0, which is ``nir.LIF(tau=tau_rc / gain, r=1, v_leak=0, v_threshold=1,
  v_reset=0)``. NIR's LIF has no refractory period, so only ``tau_ref = 0`` exports.

Either way a spike amplitude other than 1 becomes a ``Scale`` node after the neurons,
unless it is folded into the weights its spikes reach.
"""

import numpy as np

from snnconvert.neurons.lif import LIF
from snnconvert.neurons.rectified import SpikingRectifiedLinear


def neurons(builder, node):
    value = builder.single_input(node)
    neuron = node.neuron_type
    if isinstance(neuron, SpikingRectifiedLinear):
        _check_plain_response(builder, node, "NIR's IF neuron has")
        gain = 1.0 if node.name in builder.folding.unit_gain else node.gain
        population = builder.nir.IF(
            r=_full(value.shape, gain), v_threshold=_full(value.shape, 1), v_reset=_full(value.shape, 0)
        )
    elif isinstance(neuron, LIF):
        _check_plain_response(builder, node, "NIR's LIF neuron has")
        if neuron.tau_ref > 0:
            raise builder.refuse(
                node, f"its LIF neurons have a refractory period (tau_ref={neuron.tau_ref:g} s) and NIR's LIF "
                "has none; convert with neuron_type=snnconvert.LIF(tau_ref=0) to export.",
            )
        population = builder.nir.LIF(
            tau=_full(value.shape, neuron.tau_rc / node.gain), r=_full(value.shape, 1),
            v_leak=_full(value.shape, 0), v_threshold=_full(value.shape, 1), v_reset=_full(value.shape, 0),
        )
    else:
        raise builder.refuse(
            node, f"only spiking neurons map to NIR (spiking ReLU to IF, LIF to LIF), not {type(neuron).__name__}; "
            "convert with neuron_type='spiking' or 'lif'.",
        )
    name = builder.emit(node.name, population, value.nir_name)
    if node.amplitude != 1 and node.name not in builder.folding.no_amplitude:
        amplitude = builder.nir.Scale(scale=_full(value.shape, node.amplitude))
        name = builder.emit(f"{node.name}.amplitude", amplitude, name)
    return type(value)(name, value.index)


def _check_plain_response(builder, node, neuron_has):
    if not node.rectifier.is_plain:
        raise builder.refuse(
            node, f"its response ({node.rectifier}) is not a plain ReLU, and {neuron_has} no slope, threshold "
            "shift or ceiling on its input.",
        )


def _full(shape, value):
    return np.full(shape, value, np.float32)
