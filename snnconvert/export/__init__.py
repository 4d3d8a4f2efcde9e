"""Exporters: write a converted spiking network in formats other simulators read.

``snnconvert.export(net, path, format=None)`` (also ``snnconvert.export.export``)
picks the exporter by ``format`` or by the file's suffix; ``export_nir`` and
``to_nir`` are the NIR exporter's own entry points.
"""

import os
import sys
import types
from typing import Any

from snnconvert.errors import ExportError
from snnconvert.export.base import Exporter, export, register_exporter
from snnconvert.export.nir import NirExporter, export_nir, to_nir

__all__ = ["ExportError", "Exporter", "NirExporter", "export", "export_nir", "register_exporter", "to_nir"]


class _CallableModule(types.ModuleType):
    """This package, callable as :func:`export`: ``snnconvert.export`` names both the
    package (``snnconvert.export.to_nir``) and the function users call."""

    def __call__(self, network: Any, path: str | os.PathLike[str], format: str | None = None,
                 **options: Any) -> Any:
        return export(network, path, format, **options)


sys.modules[__name__].__class__ = _CallableModule
