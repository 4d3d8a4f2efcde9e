"""Neuron models: rectified linear (rate and spiking) and leaky integrate-and-fire.

See :mod:`snnconvert.neurons.rectified` and :mod:`snnconvert.neurons.lif` for the
conventions each follows.
"""

from snnconvert.neurons.base import NeuronType
from snnconvert.neurons.integrate_fire import IntegrateAndFire
from snnconvert.neurons.lif import LIF, LIFRate, LIFState
from snnconvert.neurons.rectified import (
    RectifiedLinear,
    SpikingRectifiedLinear,
    SpikingState,
    drive,
    rectify,
)

__all__ = [
    "IntegrateAndFire",
    "LIF",
    "LIFRate",
    "LIFState",
    "NEURON_TYPES",
    "NeuronType",
    "RectifiedLinear",
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
        f"Received: neuron_type={value!r}"
    )
