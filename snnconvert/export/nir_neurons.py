"""Neuron populations in the NIR export (the rule used by ``nir.NirExporter``).

* Spiking ReLU: ``nir.IF(r=gain, v_threshold=1, v_reset=0)``; ``r`` is 1 where the
  gain is folded into the weights feeding the population (``nir_scales``).
* LIF: snnconvert's voltage relaxes towards the current ``J`` with time constant
  ``tau_rc / gain`` (the scale divides the time constants), crosses 1 to spike and
  resets to 0, which is ``nir.LIF(tau=tau_rc / gain, r=1, v_leak=0, v_threshold=1,
  v_reset=0)``. NIR's LIF has no refractory period, so only ``tau_ref = 0`` exports.

Each neuron type gives its form (``NeuronType.to_nir``); either way a spike amplitude
other than 1 becomes a ``Scale`` node after the neurons, unless it is folded into the
weights its spikes reach.
"""

import numpy as np

from snnconvert.neurons import NotExportable


def neurons(builder, node):
    value = builder.single_input(node)
    # The neuron type gives its NIR form (NeuronType.to_nir); the gain is 1 where it is
    # folded into the weights feeding the population (nir_scales).
    gain = 1.0 if node.name in builder.folding.unit_gain else node.gain
    try:
        population = node.neuron_type.to_nir(builder.nir, value.shape, gain)
    except NotExportable as refusal:
        raise builder.refuse(node, str(refusal)) from None
    if not node.rectifier.is_plain:
        raise builder.refuse(
            node, f"its response ({node.rectifier}) is not a plain ReLU, and NIR's {type(population).__name__} "
            "neuron has no slope, threshold shift or ceiling on its input.",
        )
    name = builder.emit(node.name, population, value.nir_name)
    if node.amplitude != 1 and node.name not in builder.folding.no_amplitude:
        amplitude = builder.nir.Scale(scale=_full(value.shape, node.amplitude))
        name = builder.emit(f"{node.name}.amplitude", amplitude, name)
    return type(value)(name, value.index)


def _full(shape, value):
    return np.full(shape, value, np.float32)
