"""TensorFlow implementations of the spiking graph's nodes, one module per family.

Neuron populations and synapses are in :mod:`snnconvert.simulation.populations`;
everything else registers itself in :mod:`snnconvert.simulation.ops.registry` when
its module is imported here.
"""

from snnconvert.simulation.ops import elementwise, merging, pooling, readout, shaping, weighted  # noqa: F401
from snnconvert.simulation.ops.registry import OPS, STATEFUL_OPS  # noqa: F401
