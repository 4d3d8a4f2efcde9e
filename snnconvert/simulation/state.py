"""Initial membrane state of spiking populations."""

import numpy as np

INITIAL_STATES = ("half", "zeros", "uniform")


def initial_voltage(kind, shape, rng):
    """Membrane voltage before the first step, in ``[0, 1)`` of the threshold.

    * ``"half"`` (the default): every neuron starts at 0.5. Spike counts are then
      ``round`` rather than ``floor`` of the integrated input, which removes the
      half-spike-per-neuron deficit of a zero start while staying deterministic
      (the same counts whatever the batching or device).
    * ``"zeros"``: the textbook start; counts are truncated, so short simulations
      undercount.
    * ``"uniform"``: uniform random in ``[0, 1)`` from the simulator's seeded generator;
      unbiased like ``"half"`` and desynchronises neurons that receive equal input.
    """
    if kind == "half":
        return np.full(shape, 0.5, dtype=np.float32)
    if kind == "zeros":
        return np.zeros(shape, dtype=np.float32)
    if kind == "uniform":
        return rng.random(shape, dtype=np.float32)
    raise ValueError(f"`initial_state` must be one of {INITIAL_STATES}. Received: {kind!r}")
