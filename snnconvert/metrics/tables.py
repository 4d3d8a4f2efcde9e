"""The per-layer activity table shared by ``EvaluationResult.summary`` and the evaluation report."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from snnconvert._tables import format_table

Layer = Mapping[str, Any]
Column = tuple[str, Callable[[Layer], str]]


def _total_spikes(layer: Layer) -> str:
    # A rate population's counts are expected values, not whole spikes.
    if layer["spiking"]:
        return f"{layer['total_spikes']:,}"
    return f"{layer['total_spikes']:,.1f} (rate)"


ACTIVITY_COLUMNS: tuple[Column, ...] = (
    ("layer", lambda layer: str(layer["layer"])),
    ("neurons", lambda layer: f"{layer['neurons']:,}"),
    ("total spikes", _total_spikes),
    ("spikes/image", lambda layer: f"{layer['spikes_per_image']:,.1f}"),
    ("mean Hz", lambda layer: f"{layer['mean_rate_hz']:.1f}"),
    ("max Hz", lambda layer: f"{layer['max_rate_hz']:.1f}"),
    ("silent", lambda layer: f"{layer['silent_fraction']:.1%}"),
)


def format_activity_table(layers: Iterable[Layer], extra_columns: Sequence[Column] = ()) -> list[str]:
    """Lines of a table with one row per layer (dicts as ``PopulationActivity.to_dict``
    gives), the activity columns first, then ``extra_columns`` as ``(title, cell)`` pairs."""
    columns = (*ACTIVITY_COLUMNS, *extra_columns)
    header = tuple(title for title, _ in columns)
    rows = [tuple(cell(layer) for _, cell in columns) for layer in layers]
    return format_table(header, rows)
