"""From a Keras model to a spiking graph: loading, the walker and the conversion rules."""

from snnconvert.conversion import rules  # noqa: F401  (registers every rule)
from snnconvert.conversion.convert import convert
from snnconvert.conversion.registry import register, supported_layer_types

__all__ = ["convert", "register", "supported_layer_types"]
