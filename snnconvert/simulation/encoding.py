"""How an input held constant over time is presented to the spiking network.

* ``"constant"``: the value itself is the input current at every step.
* ``"poisson"``: a value ``p`` in ``[0, 1]`` becomes rate-coded spikes. At each step
  an input fires with probability ``p * max_rate * dt``, and each spike is worth
  ``1 / (max_rate * dt)``, so the expected input at every step is ``p``, the constant
  current: the network is driven by the same mean, plus Bernoulli noise whose variance
  per step is ``p * (1 / (max_rate * dt) - p)``, smallest at ``max_rate * dt = 1``.

Inputs given with a time axis, ``[n, n_steps, ...]`` (e.g. event frames of a DVS
recording), are taken as they are under either encoding: currents per step, not
rescaled.

Draws are seeded per sample (as the uniform initial state is), and each sample's
generator is consumed step by step, so the spikes of a sample depend neither on the
batch size nor on how the steps are split into windows.
"""

import zlib

import numpy as np

from snnconvert._validation import check_choice, check_positive_number
from snnconvert.simulation.state import sample_generator

INPUT_ENCODINGS = ("constant", "poisson")

# With the default dt of 1 ms, 1000 Hz is one spike per step at p = 1: the highest rate
# one spike per step can carry, and the one with the least noise (spikes then fire with
# probability p and are worth 1, the constant current's own scale).
DEFAULT_MAX_RATE = 1000.0


def check_encoding(input_encoding, max_rate, dt):
    """``(input_encoding, max_rate)`` checked; ``max_rate`` is ``None`` for ``"constant"``."""
    check_choice("input_encoding", input_encoding, INPUT_ENCODINGS)
    if input_encoding == "constant":
        if max_rate is not None:
            raise ValueError(
                f"`max_rate` only applies with input_encoding='poisson'. Received: max_rate={max_rate!r} "
                "with input_encoding='constant'; drop max_rate or pass input_encoding='poisson'."
            )
        return input_encoding, None
    max_rate = check_positive_number("max_rate", DEFAULT_MAX_RATE if max_rate is None else max_rate)
    if max_rate * dt > 1:
        raise ValueError(
            f"`max_rate` * `dt` must be <= 1: an input fires at most one spike per step. Received: "
            f"max_rate={max_rate:g} Hz, dt={dt:g} s (product {max_rate * dt:g}). Lower max_rate to at "
            f"most 1/dt = {1 / dt:g} Hz, or shorten dt."
        )
    return input_encoding, max_rate


class PoissonInput:
    """Rate-coded spikes of one batch of one input, produced window by window.

    Args:
        values: the batch, ``[batch, *shape]``, probabilities in ``[0, 1]`` of
            ``max_rate``.
        name: the input's name (part of the seed, so several inputs differ).
        first_sample: index in the dataset of the batch's first sample.
        seed: the user's seed.
        max_rate: firing rate in Hz of an input of value 1.
        dt: step length in seconds.
    """

    def __init__(self, values, name, first_sample, seed, max_rate, dt):
        _check_probabilities(values, name, first_sample)
        self._probability = values * np.float32(max_rate * dt)
        self._spike_value = np.float32(1 / (max_rate * dt))
        stream = zlib.crc32(f"poisson input {name}".encode())
        self._generators = [sample_generator(seed, stream, first_sample + i) for i in range(len(values))]

    def next_steps(self, n_steps):
        """The input over the next ``n_steps`` steps, ``[batch, n_steps, *shape]``."""
        shape = self._probability.shape[1:]
        spikes = np.empty((len(self._generators), n_steps, *shape), dtype=np.float32)
        for sample, generator in enumerate(self._generators):
            # Drawn step-major, so splitting the steps into windows draws the same numbers.
            draws = generator.random((n_steps, *shape), dtype=np.float32)
            spikes[sample] = (draws < self._probability[sample]) * self._spike_value
        return spikes


def _check_probabilities(values, name, first_sample):
    outside = (values < 0) | (values > 1)
    if np.any(outside):
        position = tuple(int(i) for i in np.argwhere(outside)[0])
        raise ValueError(
            f"Input {name!r} holds {values[position]:g} at sample {first_sample + position[0]}, position "
            f"{position[1:]}: Poisson encoding reads each value as a firing probability in [0, 1] of max_rate. "
            "Scale the data into [0, 1] (e.g. divide pixels by 255), or use input_encoding='constant'."
        )
