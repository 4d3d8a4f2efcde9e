"""What a simulation returns: outputs over time and exact per-layer spike statistics."""

import dataclasses
from typing import Any

import numpy as np


@dataclasses.dataclass
class PopulationActivity:
    """Spikes of one neuron population over a simulation.

    Counts come straight from the neurons' integer spike counts (equivalently
    ``output * dt / amplitude``), never from averaging outputs or counting non-zero
    steps, so a neuron firing twice in a step counts twice. For a rate population the
    counts are the expected ones, ``rate * dt`` summed over steps.

    Attributes:
        node: name of the population in the spiking graph.
        layer: the Keras layer it came from.
        spiking: False for a rate (non-spiking) population.
        per_image: spikes of the whole population for each image, ``[n_images]``.
        per_neuron: spikes of each neuron summed over all images, ``[n_neurons]``.
    """

    node: str
    layer: str
    spiking: bool
    per_image: np.ndarray
    per_neuron: np.ndarray
    n_steps: int
    dt: float

    @property
    def n_images(self) -> int:
        return len(self.per_image)

    @property
    def n_neurons(self) -> int:
        return len(self.per_neuron)

    @property
    def total_spikes(self) -> int | float:
        total = float(self.per_image.sum())
        return int(round(total)) if self.spiking else total

    @property
    def spikes_per_image(self) -> float:
        return self.total_spikes / self.n_images

    @property
    def rates_hz(self) -> np.ndarray:
        """Mean firing rate of each neuron over all images and steps, in Hz."""
        return self.per_neuron / (self.n_images * self.n_steps * self.dt)

    @property
    def mean_rate_hz(self) -> float:
        return float(self.rates_hz.mean())

    @property
    def max_rate_hz(self) -> float:
        return float(self.rates_hz.max())

    @property
    def silent_fraction(self) -> float:
        """Share of neurons that never spiked on any image."""
        return float(np.mean(self.per_neuron == 0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "node": self.node,
            "spiking": self.spiking,
            "neurons": self.n_neurons,
            "total_spikes": self.total_spikes,
            "spikes_per_image": self.spikes_per_image,
            "mean_rate_hz": self.mean_rate_hz,
            "max_rate_hz": self.max_rate_hz,
            "silent_fraction": self.silent_fraction,
        }


@dataclasses.dataclass
class SimulationResult:
    """Outputs over time and spike statistics of one run.

    Attributes:
        outputs: graph output name -> ``[n_images, n_steps, ...]`` values.
        activity: layer name -> :class:`PopulationActivity`, in network order.
        probes: probed node name -> ``[n_images, n_steps, ...]`` values.
    """

    outputs: dict[str, np.ndarray]
    activity: dict[str, PopulationActivity]
    probes: dict[str, np.ndarray]
    n_steps: int
    dt: float
    n_images: int

    def __post_init__(self) -> None:
        # Key populations by their Keras layer unless a layer (called twice) owns several.
        layers = [activity.layer for activity in self.activity.values()]
        self.activity = {
            (a.layer if layers.count(a.layer) == 1 else a.node): a for a in self.activity.values()
        }

    @property
    def output(self) -> np.ndarray:
        """The only output's values over time (``[n_images, n_steps, ...]``)."""
        if len(self.outputs) != 1:
            raise ValueError(
                f"This result holds {len(self.outputs)} outputs; use `outputs[name]` "
                "(an evaluation keeps outputs only with keep_outputs=True)."
            )
        return next(iter(self.outputs.values()))

    @property
    def spikes_per_layer(self) -> dict[str, int | float]:
        """Layer name -> total spikes over all images and steps."""
        return {name: a.total_spikes for name, a in self.activity.items()}

    @property
    def total_spikes(self) -> int | float:
        return sum(a.total_spikes for a in self.activity.values())
