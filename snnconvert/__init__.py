"""snnconvert: turn trained Keras models into spiking neural networks and run them.

    >>> import snnconvert
    >>> from snnconvert.data import load_images
    >>> x_train, _ = load_images("mnist", "train", n=1000)
    >>> x_test, y_test = load_images("mnist", "test", n=500)
    >>> net = snnconvert.convert("models/mnist_cnn.h5", scale_firing_rates="auto", calibration_data=x_train)
    >>> result = net.evaluate(x_test, y_test, n_steps=16)
    >>> result.accuracy, result.spikes_per_layer
"""

import importlib
import importlib.util
from typing import TYPE_CHECKING

from snnconvert._version import __version__  # noqa: F401  (the one place it is written)

# Public name -> the module that defines it. Imported on first use (PEP 562): most of
# them load TensorFlow, which the command line must not wait for to answer --help.
_EXPORTS = {
    "Calibration": "snnconvert.calibration",
    "calibrate": "snnconvert.calibration",
    "convert": "snnconvert.conversion",
    "ConversionError": "snnconvert.errors",
    "ModelLoadError": "snnconvert.errors",
    "ExportError": "snnconvert.errors",
    "export_nir": "snnconvert.export",
    "load_keras_model": "snnconvert.loading",
    "SpikingNetwork": "snnconvert.network",
    "IntegrateAndFire": "snnconvert.neurons",
    "LIF": "snnconvert.neurons",
    "LIFRate": "snnconvert.neurons",
    "NeuronType": "snnconvert.neurons",
    "RectifiedLinear": "snnconvert.neurons",
    "SpikingRectifiedLinear": "snnconvert.neurons",
    "Lowpass": "snnconvert.synapses",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # the same names, for type checkers and editors
    from snnconvert.calibration import Calibration, calibrate  # noqa: F401
    from snnconvert.conversion import convert  # noqa: F401
    from snnconvert.errors import ConversionError, ExportError, ModelLoadError  # noqa: F401
    from snnconvert.export import export_nir  # noqa: F401
    from snnconvert.loading import load_keras_model  # noqa: F401
    from snnconvert.network import SpikingNetwork  # noqa: F401
    from snnconvert.neurons import LIF, IntegrateAndFire, LIFRate, NeuronType, RectifiedLinear, SpikingRectifiedLinear  # noqa: F401
    from snnconvert.synapses import Lowpass  # noqa: F401


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f"{__name__}.{name}")  # e.g. snnconvert.neurons, as when imported eagerly
    else:
        raise AttributeError(f"module 'snnconvert' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
