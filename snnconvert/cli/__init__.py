"""The ``snnconvert`` command: a thin shell over the Python API."""

from snnconvert.cli.main import main

__all__ = ["main"]
