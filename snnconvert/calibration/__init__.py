"""Calibration of a converted network on sample data.

* :mod:`~snnconvert.calibration.percentile`: one ``scale_firing_rates`` per layer from
  a high percentile of its activations (:func:`calibrate`).
"""

from snnconvert.calibration.percentile import (
    DEFAULT_PERCENTILE,
    DEFAULT_TARGET_RATE,
    Calibration,
    HighValues,
    calibrate,
    spikes_per_step,
)

__all__ = [
    "DEFAULT_PERCENTILE",
    "DEFAULT_TARGET_RATE",
    "Calibration",
    "HighValues",
    "calibrate",
    "spikes_per_step",
]
