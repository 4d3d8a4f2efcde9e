"""From a Keras model to a spiking graph: loading, the walker and the conversion rules."""

from snnconvert.conversion import rules  # noqa: F401  (registers every rule)
from snnconvert.conversion.registry import register, supported_layer_types

__all__ = ["convert", "register", "supported_layer_types"]


def __getattr__(name):
    # ``convert`` calibrates, and calibration builds the unscaled graph with this package's
    # walker (conversion.graph): loading convert on first use lets either side be imported first.
    if name == "convert":
        from snnconvert.conversion.convert import convert

        globals()["convert"] = convert  # importing the module set the package's ``convert`` to it
        return convert
    raise AttributeError(f"module 'snnconvert.conversion' has no attribute {name!r}")
