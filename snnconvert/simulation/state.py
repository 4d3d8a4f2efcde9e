"""Initial membrane state of spiking populations."""

import zlib

import numpy as np

INITIAL_STATES = ("uniform", "half", "zeros")


def initial_voltage(kind, population, shape, first_sample, seed=0):
    """Membrane voltage before the first step, in ``[0, 1)`` of the threshold.

    Args:
        kind: one of ``INITIAL_STATES``:

            * ``"uniform"`` (the default): uniform random in ``[0, 1)``. The spike
              count of a neuron is then its integrated input rounded up or down at
              random, unbiased on average: a neuron whose input is worth 0.3 spikes in
              the run fires with probability 0.3, so weak inputs still carry
              information downstream, and neurons that receive equal input do not
              fire in lockstep. Draws are seeded per sample, so results do not depend
              on the batch size or on how data is split across devices.
            * ``"half"``: every neuron starts at 0.5: counts are the integrated input
              rounded to nearest, deterministic without a seed, but anything below
              half a spike is lost and equal inputs fire in lockstep.
            * ``"zeros"``: the textbook start; counts are truncated (``floor``), so a
              short simulation loses half a spike per active neuron on average.
        population: the population's name (part of the seed, so populations differ).
        shape: ``(batch, *population shape)``.
        first_sample: index in the dataset of the batch's first sample.
        seed: the user's seed.
    """
    if kind == "half":
        return np.full(shape, 0.5, dtype=np.float32)
    if kind == "zeros":
        return np.zeros(shape, dtype=np.float32)
    if kind == "uniform":
        stream = zlib.crc32(population.encode())
        voltage = np.empty(shape, dtype=np.float32)
        for offset in range(shape[0]):
            voltage[offset] = sample_generator(seed, stream, first_sample + offset).random(shape[1:], dtype=np.float32)
        return voltage
    raise ValueError(f"`initial_state` must be one of {INITIAL_STATES}. Received: {kind!r}")


def sample_generator(seed, stream, sample):
    """The random generator of one sample: seeded by the user's ``seed``, a ``stream``
    number (what is drawn, e.g. a hash of the population's name) and the sample's index
    in the dataset, so draws do not depend on how the data is batched."""
    return np.random.default_rng((seed, stream, sample))
