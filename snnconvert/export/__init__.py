"""Exporters: write a converted spiking network in formats other simulators read.

``export(net, path, format=None)`` picks the exporter by ``format`` or by the file's
suffix; ``export_nir`` and ``to_nir`` are the NIR exporter's own entry points.
"""

from snnconvert.errors import ExportError
from snnconvert.export.base import Exporter, export, register_exporter
from snnconvert.export.nir import NirExporter, export_nir, to_nir

__all__ = ["ExportError", "Exporter", "NirExporter", "export", "export_nir", "register_exporter", "to_nir"]
