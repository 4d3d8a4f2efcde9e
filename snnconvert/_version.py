"""The package version, written here only: pyproject.toml reads it (``dynamic``)."""

__version__ = "0.1.0"
