"""What each ``snnconvert`` subcommand does, in terms of the Python API."""

import json
import time
import zipfile
from pathlib import Path

import numpy as np

from snnconvert._tables import format_table
from snnconvert.calibration import calibrate
from snnconvert.cli.options import CALIBRATION_SAMPLES  # noqa: F401  (kept importable from here)
from snnconvert.cli.strategies import make_strategy
from snnconvert.conversion import convert
from snnconvert.data.datasets import DATASETS
from snnconvert.data.preprocess import fit_to_input
from snnconvert.data.sources import check_npz_arrays, load_labelled_data
from snnconvert.loading import load_keras_model
from snnconvert.reports.evaluation import evaluation_report, format_evaluation_report
from snnconvert.reports.layers import format_layer_rows, layer_rows
from snnconvert.reports.sweep import plot_sweep, run_sweep


def inspect(args):
    model = load_keras_model(args.model)
    network, calibration = _convert(args, model)
    rows = layer_rows(model, network.graph, calibration)
    print(f"model {args.model}: {len(rows)} layers -> {network.graph!r}")
    print(format_layer_rows(rows))
    for note in network.notes:
        print(f"note: {note}")


def evaluate(args):
    # First: a multi-worker strategy must start before anything else runs TensorFlow ops.
    strategy, replicas = make_strategy(args.strategy)
    _build_kernels()
    model = load_keras_model(args.model)
    # Converted before the data is read: the model's own problems (e.g. an input of
    # unknown size) are reported before any mismatch between it and the data.
    network, calibration = _convert(args, model)
    x, y, _ = _load_data(args, model)
    start = time.perf_counter()
    result = network.evaluate(
        x, y, args.n_steps, batch_size=args.batch_size, readout=args.readout,
        readout_steps=args.readout_steps, readout_tau=args.readout_tau, progress=not args.quiet, dt=args.dt,
        initial_state=args.initial_state, strategy=strategy, **_encoding_options(args),
    )
    report = evaluation_report(
        network, result, model=str(args.model), dataset=args.dataset, scale=args.scale,
        synapse=args.synapse, neuron_type=args.neuron_type, initial_state=args.initial_state,
        input_encoding=args.input_encoding, max_rate=args.max_rate,
        wall_time_s=time.perf_counter() - start, strategy=args.strategy, replicas=replicas,
        calibration=None if calibration is None else calibration.to_dict(),
    )
    print(format_evaluation_report(report))
    for note in network.notes:
        print(f"note: {note}")
    if args.output:
        with open(args.output, "w") as file:
            json.dump(report, file, indent=2)
        print(f"report written to {args.output}")


def sweep(args):
    # First, as in evaluate: a multi-worker strategy must start before any TensorFlow op.
    strategy, replicas = make_strategy(args.strategy)
    _build_kernels()
    model = load_keras_model(args.model)
    convert(model, **_conversion_options(args))  # the model's own problems first, as in evaluate
    x, y, own_scale = _load_data(args, model)
    # The data's own pixel scale given explicitly is recorded as not given, as sweeps always did.
    pixel_scale = None if args.pixel_scale == own_scale else args.pixel_scale
    settings = {"model": str(args.model), "dataset": args.dataset, "split": args.split,
                "pixel_scale": pixel_scale, **_conversion_options(args),
                **_strategy_settings(args.strategy, replicas)}
    calibration_options = {}
    if "auto" in args.scale:
        calibration = _calibration(args, model)
        calibration_options = {"calibration": calibration}
        # A resumed sweep must have been calibrated the same way.
        settings["calibration"] = {"source": calibration.source, "percentile": calibration.percentile,
                                   "target_rate": args.target_rate, "n_samples": calibration.n_samples}
    synapses = {} if args.synapse is None else {"synapses": args.synapse}  # none given: the API's default
    rows = run_sweep(
        model, x, y, scales=args.scale, n_steps=args.n_steps, **synapses,
        output=args.output, batch_size=args.batch_size, progress=not args.quiet,
        readout=args.readout, readout_steps=args.readout_steps, readout_tau=args.readout_tau, dt=args.dt,
        initial_state=args.initial_state, settings=settings, conversion_options=_conversion_options(args),
        strategy=strategy, **_encoding_options(args), **calibration_options,
    )
    header = ("scale", "synapse", "steps", "accuracy", "spikes/img", "synops/img", "t-to-acc", "time s")
    table = [
        (row["scale"] if isinstance(row["scale"], str) else f"{row['scale']:g}", f"{row['synapse']:g}",
         row["n_steps"], f"{row['accuracy']:.2%}", f"{row['spikes_per_image']:,.0f}",
         f"{row['synaptic_ops_per_image']:,.0f}", row["time_to_accuracy_steps"], f"{row['wall_time_s']:.1f}")
        for row in rows
    ]
    print("\n".join(format_table(header, table)))
    print(f"keras accuracy {rows[0]['keras_accuracy']:.2%}; rows in {args.output}")
    if args.plot:
        plot_sweep(rows, args.plot)
        print(f"plot written to {args.plot}")


def _load_data(args, model):
    """``(x, y, pixel_scale)``: the data fitted to the model's input, and the data's own pixel scale."""
    images, labels, pixel_scale = load_labelled_data(args.dataset, args.split, data_dir=args.data_dir)
    if args.n_test is not None:
        if args.n_test < 1:
            raise ValueError(f"`--n-test` must be >= 1. Received: {args.n_test}")
        images, labels = images[: args.n_test], labels[: args.n_test]
    if len(images) == 0:
        raise ValueError(f"Dataset {args.dataset!r} holds no samples.")
    if len(model.inputs) != 1:
        raise ValueError("The command line evaluates single-input models; use the Python API.")
    scale = args.pixel_scale if args.pixel_scale is not None else pixel_scale
    return fit_to_input(images, tuple(model.inputs[0].shape[1:]), scale), labels, pixel_scale


def _convert(args, model):
    """``(network, calibration)``: the network with --scale (calibrated for auto; else ``None``)."""
    options = _conversion_options(args)
    if args.synapse is not None:  # else the API's default
        options["synapse"] = args.synapse
    if args.scale != "auto":
        return convert(model, scale_firing_rates=args.scale, **options), None
    convert(model, **options)  # the model's own problems before any data is read
    calibration = _calibration(args, model)
    return convert(model, scale_firing_rates=calibration, **options), calibration


def _build_kernels():
    """Compile the CPU kernels now if they are not cached, so that the note saying so gets
    its own line instead of breaking into a progress bar. After the strategy: this lists
    the devices, which a multi-worker strategy must be created before."""
    from snnconvert.simulation import kernels

    kernels.available()


def _encoding_options(args):
    """The input encoding for ``evaluate``; none for the default constant current, so a sweep
    begun before Poisson input existed still resumes."""
    if args.input_encoding == "constant":
        return {}
    return {"input_encoding": args.input_encoding, "max_rate": args.max_rate}


def _strategy_settings(name, replicas):
    """What a sweep records of ``--strategy``, as evaluate's report does; nothing for the
    default, so a sweep begun before --strategy existed still resumes."""
    return {} if name == "default" else {"strategy": name, "replicas": replicas}


def _conversion_options(args):
    return {"neuron_type": args.neuron_type, "max_pooling": args.max_pooling, "non_spiking": args.non_spiking}


def _calibration(args, model):
    """Scales for --scale auto, from samples of the training split (or the evaluation data)."""
    if args.dataset is None:
        raise ValueError(
            "--scale auto chooses each layer's scale from sample data: give --dataset (its training "
            "split is used, or the data of a .npz file), or give --scale a number."
        )
    if args.calibration_samples < 1:
        raise ValueError(f"`--calibration-samples` must be >= 1. Received: {args.calibration_samples}")
    images, pixel_scale, source = _calibration_images(args.dataset, args.data_dir)
    if len(model.inputs) != 1:
        raise ValueError("The command line calibrates single-input models; use snnconvert.calibrate.")
    count = min(args.calibration_samples, len(images))
    chosen = np.sort(np.random.default_rng(0).choice(len(images), count, replace=False))
    scale = args.pixel_scale if args.pixel_scale is not None else pixel_scale
    x = fit_to_input(images[chosen], tuple(model.inputs[0].shape[1:]), scale)
    calibration = calibrate(model, x, percentile=args.percentile, target_rate=args.target_rate, dt=args.dt,
                            batch_size=getattr(args, "batch_size", 100), progress=not getattr(args, "quiet", True),
                            **_conversion_options(args))
    calibration.source = source
    print(f"calibration: {count} samples drawn at random from {source}")
    return calibration


def _calibration_images(dataset, data_dir):
    """``(images, pixel_scale, description)``: the training split when there is one."""
    if dataset in DATASETS:
        images, _, pixel_scale = load_labelled_data(dataset, "train", data_dir=data_dir)
        return images, pixel_scale, f"the {dataset} training split"
    path = Path(dataset)
    try:
        with np.load(path, allow_pickle=False) as archive:
            train = archive["x_train"] if "x_train" in archive.files else None
    except (FileNotFoundError, zipfile.BadZipFile, EOFError, OSError, ValueError):
        train = None  # load_labelled_data below gives the precise error
    if train is not None:
        check_npz_arrays(path, ("x_train", train))
    if train is not None and len(train):
        return train, 255.0 if np.issubdtype(train.dtype, np.integer) else 1.0, f"x_train of {path.name}"
    images, _, pixel_scale = load_labelled_data(dataset, data_dir=data_dir)
    return images, pixel_scale, f"the evaluation data of {path.name} (it has no x_train)"
