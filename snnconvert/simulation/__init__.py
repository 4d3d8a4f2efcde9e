"""TensorFlow simulation of spiking graphs."""

from snnconvert.simulation.simulator import Simulator
from snnconvert.simulation.state import INITIAL_STATES

__all__ = ["INITIAL_STATES", "Simulator"]
