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


def check_finite_array(what, array, first_index=0):
    """Raise if ``array`` holds NaN or infinity; these would poison every spike count.

    ``what`` describes the array in the message ("Input 'img'"); ``first_index`` is the
    index of ``array[0]`` in the whole data, so the message points at the right sample.
    """
    array = np.asarray(array)
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
        position = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        value = array[position]
        raise ValueError(
            f"{what} contains NaN or infinite values: sample {first_index + position[0]} holds "
            f"{value} at position {position[1:]}. Clean or impute the data before simulating: "
            "a non-finite input makes every spike count meaningless."
        )
    return array
