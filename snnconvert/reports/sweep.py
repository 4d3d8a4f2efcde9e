"""Sweeps over scale, synapse and number of steps, written row by row to CSV.

Each finished combination is appended and flushed at once, so an interrupted sweep
keeps its rows, and running it again with the same file resumes where it stopped.
"""

import itertools
import time

from tqdm.auto import tqdm

from snnconvert.conversion import convert
from snnconvert.loading import load_keras_model
from snnconvert.reports.operations import synaptic_operations
from snnconvert.reports.sweep_file import SWEEP_FIELDS, SweepFile
from snnconvert.reports.sweep_settings import check_same_settings, encode, record_model
from snnconvert.simulation.batching import count_samples

__all__ = ["SWEEP_FIELDS", "plot_sweep", "run_sweep"]

# A run has reached its accuracy from the step where it stays within this of the final one.
TIME_TO_ACCURACY_TOLERANCE = 0.005


def run_sweep(model, x, y, *, scales, synapses=(0.0,), n_steps=(30,), output=None,
              batch_size=100, progress=True, settings=None, calibration=None, conversion_options=None,
              strategy=None, **evaluate_options):
    """Evaluate every combination of ``scales`` x ``synapses`` x ``n_steps``.

    Args:
        model: a ``keras.Model`` or a model file.
        x, y: evaluation data (as for ``SpikingNetwork.evaluate``).
        scales: numbers, and ``"auto"`` for the per-layer scales of ``calibration``
            (from :func:`~snnconvert.calibrate`); its rows have scale ``"auto"``.
        output: a CSV path; existing rows there are kept and their combinations
            skipped (resume), provided they were made with the same settings (as they
            take effect: defaults filled in, paths resolved, the model file's SHA-256).
            The file is locked while the sweep runs: a second sweep on it is refused.
        conversion_options: further arguments of :func:`~snnconvert.convert` (neuron
            type, max pooling, non-spiking layers), the same for every run.
        settings: a dict describing the data (dataset, split, preprocessing...); it is
            stored with every row, with the evaluation options and the number of
            samples, and a resume refuses rows made with other settings. Its keys
            take precedence over the recorded ones.
        strategy: a ``tf.distribute.Strategy`` for every evaluation (see
            ``SpikingNetwork.evaluate``), recorded as its class name and number of
            replicas; ``None`` (default) for one device, recorded as nothing.

    Returns:
        the list of rows (dicts with ``SWEEP_FIELDS``), including resumed ones.
    """
    if "auto" in scales and calibration is None:
        raise ValueError("A sweep over scale 'auto' needs the calibrated scales: pass calibration=calibrate(...).")
    keras_model = load_keras_model(model)
    conversion_options = conversion_options or {}
    if strategy is not None:
        evaluate_options = {**evaluate_options, "strategy": strategy}
    settings = _recorded_settings(model, x, settings, calibration, conversion_options, evaluate_options)
    writer, rows = _open(output, settings)
    done = {(r["scale"], r["synapse"], r["n_steps"]) for r in rows}
    # The ANN's accuracy is the same for every combination: taken from the first run.
    keras_accuracy = rows[0]["keras_accuracy"] if rows else None
    try:
        for combo in tqdm(_combinations(scales, synapses, n_steps), desc="sweep", unit="run", disable=not progress):
            if combo in done:
                continue
            network = convert(keras_model, scale_firing_rates=calibration if combo[0] == "auto" else combo[0],
                              synapse=combo[1] or None, **conversion_options)
            row = _run_one(network, x, y, combo, keras_accuracy, batch_size=batch_size, **evaluate_options)
            keras_accuracy = row["keras_accuracy"]
            rows.append({**row, "settings": settings})
            if writer:
                writer.write(rows[-1])
    finally:
        if writer:
            writer.close()
    return rows


def _combinations(scales, synapses, n_steps):
    """``(scale, synapse, steps)`` in sweep order, each once: repeated values would only repeat rows."""
    return list(dict.fromkeys(
        (scale if scale == "auto" else float(scale), float(synapse), int(steps))
        for scale, synapse, steps in itertools.product(scales, synapses, n_steps)
    ))


def _recorded_settings(model, x, settings, calibration, conversion_options, evaluate_options):
    """The encoded settings stored with every row.

    Everything that shapes a row but is not its (scale, synapse, steps) key: a resume
    must not reuse rows made otherwise. The caller's ``settings`` take precedence.
    """
    recorded = {"n_samples": count_samples(x), **evaluate_options, **conversion_options}
    strategy = recorded.pop("strategy", None)
    if strategy is not None:
        # Described, not stored: the object's repr would differ from one run to the next.
        recorded.update(strategy=type(strategy).__name__, replicas=strategy.num_replicas_in_sync)
    if calibration is not None:
        recorded["calibration"] = calibration.to_dict() if hasattr(calibration, "to_dict") else calibration
    return encode(record_model({**recorded, **(settings or {})}, model))


def _run_one(network, x, y, combo, keras_accuracy, **evaluate_options):
    """One row (without its settings): ``network`` evaluated at ``combo``'s number of steps.

    The Keras model is evaluated only while ``keras_accuracy`` is still unknown.
    """
    scale, synapse, steps = combo
    start = time.perf_counter()
    result = network.evaluate(x, y, steps, compare_keras=keras_accuracy is None, progress=False,
                              **evaluate_options)
    elapsed = time.perf_counter() - start
    synops = synaptic_operations(network.graph, result.activity)
    return {
        "scale": scale,
        "synapse": synapse,
        "n_steps": steps,
        "accuracy": result.accuracy,
        "keras_accuracy": result.keras_accuracy if keras_accuracy is None else keras_accuracy,
        "spikes_per_image": result.spikes_per_image,
        "synaptic_ops_per_image": sum(synops.values()) / result.simulation.n_images,
        "time_to_accuracy_steps": result.time_to_accuracy(TIME_TO_ACCURACY_TOLERANCE),
        "wall_time_s": elapsed,
    }


def _open(output, settings):
    """``(file, rows)``: the locked sweep file and its rows, checked to be made with ``settings``."""
    if not output:
        return None, []
    file = SweepFile(output)
    try:
        for stored in dict.fromkeys(row["settings"] for row in file.rows):
            check_same_settings(output, stored, settings)
    except BaseException:
        file.close()
        raise
    return file, list(file.rows)


def plot_sweep(rows, path):
    """Four panels, one line per synapse (and n_steps): accuracy, spikes per image and
    time-to-accuracy against scale, and accuracy against synaptic operations."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 2, figsize=(11, 8))
    groups = sorted({(r["synapse"], r["n_steps"]) for r in rows})
    several_steps = len({steps for _, steps in groups}) > 1
    for synapse, steps in groups:
        label = "no synapse" if synapse == 0 else f"synapse {synapse * 1e3:g} ms"
        if several_steps:
            label += f", {steps} steps"
        _plot_group(axes, [r for r in rows if (r["synapse"], r["n_steps"]) == (synapse, steps)], label)
    keras_accuracy = rows[0]["keras_accuracy"] if rows else None
    if keras_accuracy is not None:
        for axis in (axes[0][0], axes[1][1]):
            axis.axhline(100 * keras_accuracy, color="black", linestyle="--", label="Keras model")
    _label_axes(axes)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _plot_group(axes, group, label):
    """One synapse's (and n_steps') rows on the four panels."""
    (accuracy_axis, spikes_axis), (time_axis, cost_axis) = axes
    selected = sorted((r for r in group if r["scale"] != "auto"), key=lambda r: r["scale"])
    scales = [r["scale"] for r in selected]
    accuracy = [100 * r["accuracy"] for r in selected]
    (line,) = accuracy_axis.plot(scales, accuracy, marker="o", label=label)
    spikes_axis.plot(scales, [r["spikes_per_image"] for r in selected], marker="o", label=label)
    time_axis.plot(scales, [r["time_to_accuracy_steps"] for r in selected], marker="o", label=label)
    cost_axis.plot([r["synaptic_ops_per_image"] for r in selected], accuracy, marker="o", label=label)
    # Calibrated per-layer scales have no single value: level lines against scale, a star against cost.
    for row in (r for r in group if r["scale"] == "auto"):
        style = {"color": line.get_color(), "linestyle": ":", "label": f"auto, {label}"}
        accuracy_axis.axhline(100 * row["accuracy"], **style)
        spikes_axis.axhline(row["spikes_per_image"], **style)
        time_axis.axhline(row["time_to_accuracy_steps"], **style)
        cost_axis.plot([row["synaptic_ops_per_image"]], [100 * row["accuracy"]], marker="*", markersize=12,
                       color=line.get_color(), linestyle="none", label=f"auto, {label}")


def _label_axes(axes):
    (accuracy_axis, spikes_axis), (time_axis, cost_axis) = axes
    accuracy_axis.set(xscale="log", xlabel="scale_firing_rates", ylabel="accuracy (%)",
                      title="Accuracy against scale")
    spikes_axis.set(xscale="log", yscale="log", xlabel="scale_firing_rates", ylabel="spikes per image",
                    title="Spikes against scale")
    time_axis.set(xscale="log", xlabel="scale_firing_rates", ylabel="steps",
                  title=f"Time to accuracy (within {100 * TIME_TO_ACCURACY_TOLERANCE:g} points of final)")
    cost_axis.set(xscale="log", xlabel="synaptic operations per image", ylabel="accuracy (%)",
                  title="Accuracy against synaptic operations")
    for axis in axes.flat:
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize="small")
