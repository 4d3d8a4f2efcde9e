"""The contract every neuron model signs, and what they share.

A neuron type is one module: a :class:`NeuronType` subclass declaring its rate curve
and, if it spikes, its state and window update. The simulator, calibration and the NIR
exporter ask only for what is written here; capability flags tell them what a type
cannot do, so they never switch on the type itself.
"""

import abc
import dataclasses
from typing import NamedTuple

import tensorflow as tf

from snnconvert._validation import check_positive_number
from snnconvert.ir.nodes import Rectifier
from snnconvert.neurons.response import drive


@dataclasses.dataclass(frozen=True)
class Response:
    """A population's response to its input current: its ``gain`` (from
    ``scale_firing_rates``; a number or a float32 scalar tensor) and its ``rectifier``.
    Called on a current, it gives the voltage rise per second of a rectified-linear
    neuron, ``gain * rectifier(J)``; other models read ``gain`` as they need."""

    gain: object = 1.0
    rectifier: Rectifier = Rectifier()

    def __call__(self, current):
        return drive(current, self.gain, self.rectifier)


UNIT_RESPONSE = Response()


class KernelUse(NamedTuple):
    """How snnconvert's compiled kernel (``kernels.integrate_spiking_relu``) runs a
    population's update, as the kernel's own options: ``rectify``, the kernel applies
    ``max(gain * J, 0)`` itself (otherwise the simulator passes it the neuron's
    :meth:`NeuronType.drive`, computed by TensorFlow); ``signed``, negative spikes are
    counted by their magnitude; ``signed_current``, the kernel integrates ``gain * J`` of
    either sign and fires ``max(floor(v), 0)`` (integrate-and-fire). A new kernel option
    is a new field here."""

    rectify: bool
    signed: bool
    signed_current: bool = False


class NotExportable(ValueError):
    """A neuron type (or these parameters of it) has no NIR form; the message says why
    and what to convert with instead."""


class NeuronType(abc.ABC):
    """A neuron model with an output ``amplitude`` (the weight of one spike).

    Every type gives its rate curve (:meth:`rates`) and its :meth:`rate_twin`. A type with
    ``spiking = True`` also gives :meth:`start` and :meth:`cumulative_counts` (checked when
    the class is made). The flags say what the simulator and exporter may do with it:

    * ``rectified``: its response takes Keras's rectifier options (LeakyReLU slope,
      threshold, ceiling); otherwise only a plain ReLU is converted to it.
    * ``closed_form``: for a current held since the first step, the spikes emitted up to
      step ``t`` are ``floor(v0 + t * drive(J) * dt)`` (``v0`` the initial voltage), as
      :meth:`cumulative_counts_constant` computes them; the simulator then compiles them
      with XLA and may time each spike to scatter it into the next layer.
    * ``linear_gain``: the response is ``rectifier(gain * J)``-like, so the gain can move
      into the weights feeding the population (NIR export).

    and the methods :meth:`kernel_use` (served by the compiled kernel?),
    :meth:`signed_spikes` and :meth:`to_nir` answer per population.

    Subclasses with more parameters list them in ``_parameters`` so that equality,
    hashing (neuron types key compiled functions) and ``repr`` see them all.
    """

    spiking = False
    rectified = False
    closed_form = False
    linear_gain = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.spiking:
            missing = [name for name in ("start", "cumulative_counts")
                       if getattr(cls, name) is getattr(NeuronType, name)]
            if missing:
                raise TypeError(f"{cls.__name__} is spiking but does not define {', '.join(missing)} "
                                "(see snnconvert.neurons.NeuronType).")

    def __init__(self, amplitude=1.0):
        self.amplitude = check_positive_number("amplitude", amplitude)

    def _parameters(self):
        return {"amplitude": self.amplitude}

    @abc.abstractmethod
    def rates(self, current, response=UNIT_RESPONSE):
        """Firing rate (Hz, before the amplitude) for a current of any shape, for a
        population with this :class:`Response`."""

    def rate_twin(self):
        """The non-spiking type with this type's rate curve and parameters: ``self``
        for a rate type; a spiking type overrides this to name its twin."""
        if not self.spiking:
            return self
        raise NotImplementedError(f"{type(self).__name__} does not declare its rate twin (`rate_twin()`).")

    def start(self, voltage):
        """A spiking population's state before the first step, from its voltage ``[batch, ...]``."""
        raise NotImplementedError(f"{type(self).__name__} neurons do not spike and keep no state.")

    def cumulative_counts(self, current, state, dt, current_is_cumulative=False, response=UNIT_RESPONSE):
        """The window update of a spiking population: spikes emitted up to each step
        ``[batch, steps, ...]`` (negative for negative spikes) and the new state, for a
        current ``[batch, steps, ...]`` (its running sum over the window if
        ``current_is_cumulative``)."""
        raise NotImplementedError(f"{type(self).__name__} neurons do not spike.")

    def cumulative_counts_constant(self, current, n_steps, state, dt, response=UNIT_RESPONSE):
        """:meth:`cumulative_counts` for a current ``[batch, ...]`` held for ``n_steps``
        steps; a ``closed_form`` type overrides it with its closed form."""
        repeated = tf.tile(tf.expand_dims(current, 1), [1, n_steps] + [1] * (len(current.shape) - 1))
        return self.cumulative_counts(repeated, state, dt, False, response)

    def kernel_use(self, rectifier):
        """How the compiled kernel runs this type's update for a population with
        ``rectifier`` (a :class:`KernelUse`), or ``None`` if it cannot."""
        return None

    def drive(self, current, response):
        """The voltage rise per second at each step for ``current``, which the compiled
        kernel integrates when it does not apply the response itself (a
        :class:`KernelUse` without ``rectify``)."""
        return response(current)

    def signed_spikes(self, rectifier):
        """Whether a population with ``rectifier`` can emit negative spikes."""
        return False

    def check_step(self, population, gain, dt):
        """Warn if a population of this type (named ``population``, with ``gain``) cannot
        follow its model at step ``dt``."""

    def to_nir(self, nir, shape, gain):
        """The population as a NIR node (``nir`` is the ``nir`` module) of ``shape``
        neurons with ``gain`` (1 where the export folds it into the weights); raises
        :class:`NotExportable` if there is none."""
        raise NotExportable(
            f"only spiking neurons map to NIR (spiking ReLU to IF, LIF to LIF), not {type(self).__name__}; "
            "convert with neuron_type='spiking' or 'lif'."
        )

    def __repr__(self):
        arguments = ", ".join(f"{key}={value:g}" for key, value in self._parameters().items())
        return f"{type(self).__name__}({arguments})"

    def __eq__(self, other):
        return type(self) is type(other) and self._parameters() == other._parameters()

    def __hash__(self):
        return hash((type(self).__name__, *self._parameters().items()))


def values_per_step(current, current_is_cumulative=False):
    """The current at each step of ``current`` ``[batch, steps, ...]``, one step at a
    time; a running sum (``current_is_cumulative``) is differenced step by step."""
    previous = None
    for step in range(current.shape[1]):
        value = current[:, step]
        if current_is_cumulative:
            value, previous = (value if previous is None else value - previous), value
        yield value


def __getattr__(name):
    # `differences` moved next to the signals it converts; imported lazily, because the
    # simulation package imports the neurons.
    if name == "differences":
        from snnconvert.simulation.signals import differences

        return differences
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
