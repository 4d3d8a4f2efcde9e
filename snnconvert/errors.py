"""Exceptions raised by snnconvert."""


class ConversionError(ValueError):
    """A Keras model, layer or option that cannot be turned into a spiking network.

    The message names the layer (or file) at fault and what the user can do about it.
    """


class ModelLoadError(ValueError):
    """A file that is missing, corrupt, unsafe to load, or not a Keras model."""


class ExportError(ConversionError):
    """A part of the spiking graph that the target format cannot express.

    A ``ConversionError``, so code that catches conversion problems catches it too.
    """
