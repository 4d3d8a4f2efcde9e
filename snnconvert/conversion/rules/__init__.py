"""One module per family of Keras layers; importing them fills the registry."""

from snnconvert.conversion.rules import (  # noqa: F401
    activation,
    arithmetic,
    convolution,
    core,
    merging,
    nonspiking,
    normalization,
    padding,
    pooling,
    reshaping,
)
