"""Neuron models: rectified linear (rate and spiking) and leaky integrate-and-fire.

See :mod:`snnconvert.neurons.rectified` and :mod:`snnconvert.neurons.lif` for the
conventions each follows, and :class:`NeuronType` for what a new type provides.
"""

from snnconvert._validation import short_repr
from snnconvert.neurons.base import KernelUse, NeuronType, NotExportable, Response
from snnconvert.neurons.lif import LIF, LIFRate, LIFState
from snnconvert.neurons.rectified import RectifiedLinear, SpikingRectifiedLinear, SpikingState
from snnconvert.neurons.response import drive, rectify

# isort: split
from snnconvert.neurons.integrate_fire import IntegrateAndFire  # after what it builds on

__all__ = [
    "IntegrateAndFire",
    "LIF",
    "LIFRate",
    "LIFState",
    "KernelUse",
    "NEURON_TYPES",
    "NeuronType",
    "NotExportable",
    "RectifiedLinear",
    "Response",
    "SpikingRectifiedLinear",
    "SpikingState",
    "as_neuron_type",
    "drive",
    "rectify",
]

NEURON_TYPES = {
    "spiking": SpikingRectifiedLinear,
    "integrate_and_fire": IntegrateAndFire,
    "rate": RectifiedLinear,
    "lif": LIF,
    "lif_rate": LIFRate,
}


def as_neuron_type(value):
    """Accept a :class:`NeuronType` instance or one of the names in ``NEURON_TYPES``."""
    if isinstance(value, NeuronType):
        return value
    if isinstance(value, str) and value in NEURON_TYPES:
        return NEURON_TYPES[value]()
    names = ", ".join(repr(name) for name in NEURON_TYPES)
    raise ValueError(
        f"`neuron_type` must be a NeuronType instance or one of {names}. "
        f"Received: neuron_type={short_repr(value)}"
    )
