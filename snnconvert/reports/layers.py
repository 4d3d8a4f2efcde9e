"""What each Keras layer became: the rows of ``snnconvert inspect``."""

import keras

from snnconvert._tables import format_table
from snnconvert.ir import NeuronNode, SynapseNode


def layer_rows(keras_model, graph, calibration=None):
    """One dict per Keras layer, in model order, describing its spiking counterpart.

    With a :class:`~snnconvert.calibration.Calibration`, the rows of calibrated layers
    also hold ``calibrated_activation``: the activation percentile their scale came from.
    """
    by_layer = {}
    for node in graph:
        for layer_name in node.source.split("+"):
            by_layer.setdefault(layer_name, []).append(node)
    rows = []
    for name, layer in _layers_in_order(keras_model):
        nodes = by_layer.get(name, [])
        neurons = [n for n in nodes if isinstance(n, NeuronNode)]
        synapses = [n for n in nodes if isinstance(n, SynapseNode)]
        folded = [n for n in nodes if n.source.split("+")[0] != name]
        weighted = [n for n in nodes if hasattr(n, "fan_in") and n not in folded]
        rows.append({
            "layer": name,
            "type": type(layer).__name__,
            "becomes": _becomes(nodes, folded),
            "neuron_type": type(neurons[0].neuron_type).__name__ if neurons else "",
            "neurons": sum(n.size for n in neurons),
            "scale": neurons[0].gain if neurons else None,
            "synapse": synapses[0].synapse.tau if synapses else None,
            "parameters": int(layer.count_params()) if layer.built else 0,
            "fan_in": weighted[0].fan_in if weighted else None,
            **_calibration_columns(calibration, name),
        })
    return rows


def _calibration_columns(calibration, layer_name):
    if calibration is None or layer_name not in calibration.layers:
        return {}
    return {"calibrated_activation": calibration.layers[layer_name]["activation"],
            "calibration_percentile": calibration.percentile}


def _becomes(nodes, folded):
    if folded:
        return f"folded into {folded[0].source.split('+')[0]}"
    if not nodes:
        return "identity"
    return " + ".join(node.kind for node in nodes)


def _layers_in_order(model, prefix=""):
    """``(name, layer)`` for every layer, a nested model's layers in its place, named
    ``model/layer`` as in the spiking graph."""
    functional = getattr(model, "_functional", None) or model
    for layer in functional.layers if hasattr(functional, "layers") else model.layers:
        name = f"{prefix}{layer.name}"
        if prefix and isinstance(layer, keras.layers.InputLayer):
            continue  # a nested model's input is the outer value that feeds it
        if isinstance(layer, keras.Model):
            yield from _layers_in_order(layer, f"{name}/")
        else:
            yield name, layer


def format_layer_rows(rows):
    """Rows of :func:`layer_rows` as a text table."""
    header = ("layer", "type", "becomes", "neurons", "neuron type", "scale", "synapse", "params", "fan-in")
    lines = [
        (
            row["layer"],
            row["type"],
            row["becomes"],
            str(row["neurons"] or ""),
            row["neuron_type"],
            "" if row["scale"] is None else f"{row['scale']:g}",
            "" if row["synapse"] is None else f"{row['synapse']:g} s",
            f"{row['parameters']:,}",
            "" if row["fan_in"] is None else str(row["fan_in"]),
        )
        for row in rows
    ]
    percentiles = [row["calibration_percentile"] for row in rows if "calibration_percentile" in row]
    if percentiles:
        # The activation each calibrated scale was derived from; "never" for a silent layer.
        header += (f"p{percentiles[0]:g} activation",)
        lines = [line + (_activation_cell(row),) for line, row in zip(lines, rows)]
    return "\n".join(format_table(header, lines))


def _activation_cell(row):
    if "calibrated_activation" not in row:
        return ""
    activation = row["calibrated_activation"]
    return "never active" if activation is None else f"{activation:.4g}"
