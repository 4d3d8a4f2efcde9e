"""Argument checks shared by the public entry points.

Each check names the argument and the value received, so errors read the same
everywhere (Keras style: "`dt` must be > 0. Received: dt=0").
"""

import math
import numbers

import numpy as np


def check_positive_number(name, value):
    """Return ``value`` as a float, or raise ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a number. Received: {name}={value!r}")
    value = float(value)
    if not math.isfinite(value) or not value > 0:
        raise ValueError(f"`{name}` must be a finite number > 0. Received: {name}={value!r}")
    return value


def check_positive_int(name, value, *, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"`{name}` must be an integer. Received: {name}={value!r}")
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}. Received: {name}={value!r}")
    return int(value)


def check_choice(name, value, choices):
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {options}. Received: {name}={value!r}")
    return value


def check_finite_array(name, array):
    """Raise if ``array`` holds NaN or infinity; these would poison every spike count."""
    array = np.asarray(array)
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"`{name}` contains {bad} NaN or infinite value(s). Clean or impute the data "
            "before simulating: a non-finite input makes every spike count meaningless."
        )
    return array
