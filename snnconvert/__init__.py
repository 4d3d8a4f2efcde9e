"""snnconvert: turn trained Keras models into spiking neural networks and run them.

    >>> import snnconvert
    >>> net = snnconvert.convert("model.h5", scale_firing_rates=10, synapse=0.005)
    >>> result = net.evaluate(x_test, y_test, n_steps=30, batch_size=100)
    >>> result.accuracy, result.spikes_per_layer
"""

# convert() calibrates, and calibration builds its graph with snnconvert.conversion.graph:
# importing the conversion package first lets both finish loading whichever is asked for.
from snnconvert.conversion import convert

# isort: split
from snnconvert.calibration import Calibration, calibrate
from snnconvert.errors import ConversionError, ModelLoadError
from snnconvert.export import export_nir
from snnconvert.loading import load_keras_model
from snnconvert.network import SpikingNetwork
from snnconvert.neurons import LIF, LIFRate, NeuronType, RectifiedLinear, SpikingRectifiedLinear
from snnconvert.synapses import Lowpass

__version__ = "0.1.0"

__all__ = [
    "LIF",
    "LIFRate",
    "Calibration",
    "ConversionError",
    "Lowpass",
    "ModelLoadError",
    "NeuronType",
    "RectifiedLinear",
    "SpikingNetwork",
    "SpikingRectifiedLinear",
    "calibrate",
    "convert",
    "export_nir",
    "load_keras_model",
]
