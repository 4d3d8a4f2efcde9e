"""Reports built from a converted network and its results: tables, JSON, CSV, plots."""

from snnconvert.reports.energy import HOROWITZ_45NM, EnergyModel, energy_estimate
from snnconvert.reports.layers import format_layer_rows, layer_rows
from snnconvert.reports.operations import ann_macs, fan_out, synaptic_operations

__all__ = [
    "HOROWITZ_45NM",
    "EnergyModel",
    "ann_macs",
    "energy_estimate",
    "fan_out",
    "format_layer_rows",
    "layer_rows",
    "synaptic_operations",
]
