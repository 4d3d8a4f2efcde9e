"""The evaluation report: accuracies, then per-layer spikes and operations."""

from snnconvert.metrics.tables import format_activity_table
from snnconvert.reports.energy import HOROWITZ_45NM, energy_estimate, format_energy
from snnconvert.reports.operations import ann_macs, synaptic_operations

# What the report adds to the activity table of ``EvaluationResult.summary``.
_REPORT_COLUMNS = (
    ("scale", lambda layer: f"{layer['scale']:.4g}"),
    ("synops/image", lambda layer: f"{layer['synaptic_ops_per_image']:,.0f}"),
)


def evaluation_report(network, result, energy_model=HOROWITZ_45NM, **context):
    """A JSON-ready dict describing ``result`` (an ``EvaluationResult`` of ``network``).

    ``context`` (model path, dataset, options, the calibration record...) is stored as
    given. Each layer's entry holds the ``scale`` (gain) its population ran with, so a
    calibrated network's per-layer scales are in the report. ``energy_estimate`` holds
    the energy per image by ``energy_model`` (:mod:`snnconvert.reports.energy`).
    """
    simulation = result.simulation
    n_images = simulation.n_images
    synops = synaptic_operations(network.graph, simulation.activity)
    layers = []
    for name, activity in simulation.activity.items():
        layers.append({**activity.to_dict(), "scale": float(network.graph[activity.node].gain),
                       "synaptic_ops_per_image": synops[name] / n_images})
    return {
        **context,
        "n_images": n_images,
        "n_steps": simulation.n_steps,
        "dt": simulation.dt,
        "readout": result.readout,
        "keras_accuracy": result.keras_accuracy,
        "snn_accuracy": result.accuracy,
        "accuracy_per_step": [float(a) for a in result.accuracy_per_step],
        "time_to_accuracy_steps": result.time_to_accuracy(),
        "non_spiking_layers": network.non_spiking_layers,
        "spikes_per_image": result.spikes_per_image,
        "synaptic_ops_per_image": sum(synops.values()) / n_images,
        "ann_macs_per_image": ann_macs(network.graph),
        "energy_estimate": energy_estimate(sum(synops.values()) / n_images, ann_macs(network.graph), energy_model),
        "layers": layers,
    }


def format_evaluation_report(report):
    """The report of :func:`evaluation_report` as text for a terminal."""
    keras = report["keras_accuracy"]
    lines = [
        f"images {report['n_images']}, {report['n_steps']} steps of {report['dt'] * 1e3:g} ms, "
        f"readout: {report['readout']}",
        f"keras accuracy {'n/a' if keras is None else f'{keras:.2%}'}   "
        f"spiking accuracy {report['snn_accuracy']:.2%}",
        f"spikes per image {report['spikes_per_image']:,.0f}   synaptic ops per image "
        f"{report['synaptic_ops_per_image']:,.0f}   ANN MACs per image {report['ann_macs_per_image']:,}",
        f"the spiking accuracy stays within 0.5 points of its final value from step "
        f"{report['time_to_accuracy_steps']} on",
        *([format_energy(report["energy_estimate"])] if "energy_estimate" in report else []),
        *_calibration_lines(report.get("calibration")),
        *([f"non-spiking (rate) layers: {', '.join(report['non_spiking_layers'])}"]
          if report["non_spiking_layers"] else []),
        "",
    ]
    lines.extend(format_activity_table(report["layers"], _REPORT_COLUMNS))
    return "\n".join(lines)


def _calibration_lines(calibration):
    if not calibration:
        return []
    rates = sorted({layer["target_rate"] for layer in calibration["layers"].values()})
    source = f" from {calibration['source']}" if calibration.get("source") else ""
    return [
        f"scales calibrated on {calibration['n_samples']:,} samples{source}: each layer's "
        f"{calibration['percentile']:g}th percentile activation fires "
        f"{' / '.join(f'{rate:g}' for rate in rates)} spike(s) per step"
    ]
