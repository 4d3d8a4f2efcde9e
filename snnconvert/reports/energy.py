"""An energy estimate beside the operation counts: a convention, not a measurement.

The spiking network is charged one accumulate per synaptic operation, the ANN one
multiply-accumulate per MAC, at the energies Horowitz gives for 32-bit floating point
in 45 nm CMOS ("Computing's energy problem (and what we can do about it)", ISSCC
2014): an add costs 0.9 pJ, a multiply 3.7 pJ, so a multiply-accumulate 4.6 pJ.
Memory access, which often costs more than arithmetic, and the neurons' own updates
are left out, so the figures compare arithmetic only. Other figures (another process,
8-bit integers) go in an :class:`EnergyModel` of one's own.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class EnergyModel:
    """Energy per operation, in picojoules, and where the figures come from."""

    picojoules_per_accumulate: float = 0.9
    picojoules_per_mac: float = 4.6
    source: str = "32-bit float in 45 nm CMOS (Horowitz, ISSCC 2014)"


HOROWITZ_45NM = EnergyModel()


def energy_estimate(synaptic_ops: float, ann_macs: float, model: EnergyModel = HOROWITZ_45NM) -> dict[str, Any]:
    """Estimated energy of ``synaptic_ops`` accumulates against ``ann_macs``
    multiply-accumulates (per image, say), JSON-ready, with its convention."""
    snn = synaptic_ops * model.picojoules_per_accumulate
    ann = ann_macs * model.picojoules_per_mac
    return {
        "snn_picojoules": snn,
        "ann_picojoules": ann,
        "ann_over_snn": ann / snn if snn else None,
        "picojoules_per_accumulate": model.picojoules_per_accumulate,
        "picojoules_per_mac": model.picojoules_per_mac,
        "convention": f"an estimate, not a measurement: {model.picojoules_per_accumulate:g} pJ per synaptic "
        f"operation (an accumulate) against {model.picojoules_per_mac:g} pJ per ANN multiply-accumulate, "
        f"{model.source}; arithmetic only, no memory access",
    }


def format_energy(estimate: dict[str, Any]) -> str:
    """One line for a summary: both energies, their ratio and the convention."""
    ratio = estimate["ann_over_snn"]
    versus = "" if ratio is None else f" ({ratio:.3g}x less)" if ratio >= 1 else f" ({1 / ratio:.3g}x more)"
    return (
        f"estimated energy per image: SNN {_joules(estimate['snn_picojoules'])}{versus}, ANN "
        f"{_joules(estimate['ann_picojoules'])} ({estimate['picojoules_per_accumulate']:g} pJ per synaptic op, "
        f"{estimate['picojoules_per_mac']:g} pJ per MAC; an estimate, not a measurement)"
    )


def _joules(picojoules: float) -> str:
    for unit, size in (("mJ", 1e9), ("uJ", 1e6), ("nJ", 1e3)):
        if picojoules >= size:
            return f"{picojoules / size:.3g} {unit}"
    return f"{picojoules:.3g} pJ"
