"""One module per family of Keras layers; importing them fills the registry."""

from snnconvert.conversion.rules import (  # noqa: F401
    activation,
    convolution,
    core,
    merging,
    normalization,
    padding,
    pooling,
    reshaping,
)
