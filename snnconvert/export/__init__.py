"""Exporters: write a converted spiking network in formats other simulators read."""

from snnconvert.export.nir import ExportError, export_nir, to_nir

__all__ = ["ExportError", "export_nir", "to_nir"]
