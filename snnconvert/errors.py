"""Exceptions raised by snnconvert."""


class ConversionError(ValueError):
    """A Keras model, layer or option that cannot be turned into a spiking network.

    The message names the layer (or file) at fault and what the user can do about it.
    """


class ModelLoadError(ValueError):
    """A file that is missing, corrupt, unsafe to load, or not a Keras model."""
