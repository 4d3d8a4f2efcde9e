"""Reports built from a converted network and its results: tables, JSON, CSV, plots."""

from snnconvert.reports.layers import format_layer_rows, layer_rows
from snnconvert.reports.operations import ann_macs, fan_out, synaptic_operations

__all__ = ["ann_macs", "fan_out", "format_layer_rows", "layer_rows", "synaptic_operations"]
