"""Argument checks shared by the public entry points.

Each check names the argument and the value received, so errors read the same
everywhere (Keras style: "`dt` must be > 0. Received: dt=0"). A received value is
shown through :func:`short_repr`, so a huge one (a 20 MB string, a list of a million
names) cannot turn the message into megabytes.
"""

import math
import numbers
import reprlib

import numpy as np

# Long enough to recognise a value, short enough that a message stays one readable line.
MESSAGE_VALUE_LIMIT = 160
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 80
_SHORT.maxlong = 40
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxset = _SHORT.maxfrozenset = _SHORT.maxdict = 8
_SHORT.maxlevel = 3


def short_repr(value, limit=MESSAGE_VALUE_LIMIT):
    """``repr(value)`` abbreviated to at most ``limit`` characters, for error messages."""
    if isinstance(value, int) and value.bit_length() > 1000:  # Python refuses to print the longest
        return f"<int of {_digits(abs(value))} digits>"
    try:
        text = _SHORT.repr(value)
    except Exception:  # a broken __repr__
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _digits(number):
    estimate = math.floor(math.log10(number)) + 1  # the float logarithm can round up at 99...9
    return estimate - 1 if 10 ** (estimate - 1) > number else estimate


def short_text(text, limit=MESSAGE_VALUE_LIMIT):
    """The first line of ``text`` cut to ``limit`` characters: foreign error text in one line."""
    lines = str(text).strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def check_positive_number(name, value):
    """Return ``value`` as a float, or raise ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a number. Received: {name}={short_repr(value)}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range, shown as itself (abbreviated)
        number = math.inf
    else:
        value = number
    if not math.isfinite(number) or not number > 0:
        raise ValueError(f"`{name}` must be a finite number > 0. Received: {name}={short_repr(value)}")
    return number


def check_positive_int(name, value, *, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"`{name}` must be an integer. Received: {name}={short_repr(value)}")
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}. Received: {name}={short_repr(value)}")
    return int(value)


def check_choice(name, value, choices):
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {options}. Received: {name}={short_repr(value)}")
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
