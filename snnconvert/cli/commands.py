"""What each ``snnconvert`` subcommand does, in terms of the Python API."""

import json
import time

from snnconvert.conversion import convert
from snnconvert.data.preprocess import fit_to_input
from snnconvert.data.sources import load_labelled_data
from snnconvert.loading import load_keras_model
from snnconvert.reports.evaluation import evaluation_report, format_evaluation_report
from snnconvert.reports.layers import format_layer_rows, layer_rows
from snnconvert.reports.sweep import plot_sweep, run_sweep


def inspect(args):
    model = load_keras_model(args.model)
    network = convert(model, scale_firing_rates=args.scale, synapse=args.synapse,
                      neuron_type=args.neuron_type)
    rows = layer_rows(model, network.graph)
    print(f"model {args.model}: {len(rows)} layers -> {network.graph!r}")
    print(format_layer_rows(rows))
    for note in network.notes:
        print(f"note: {note}")


def evaluate(args):
    model = load_keras_model(args.model)
    x, y = _load_data(args, model)
    network = convert(model, scale_firing_rates=args.scale, synapse=args.synapse,
                      neuron_type=args.neuron_type)
    start = time.perf_counter()
    result = network.evaluate(
        x, y, args.n_steps, batch_size=args.batch_size, readout=args.readout,
        readout_steps=args.readout_steps, progress=not args.quiet, dt=args.dt,
        initial_state=args.initial_state,
    )
    report = evaluation_report(
        network, result, model=str(args.model), dataset=args.dataset, scale=args.scale,
        synapse=args.synapse, neuron_type=args.neuron_type, initial_state=args.initial_state,
        wall_time_s=time.perf_counter() - start,
    )
    print(format_evaluation_report(report))
    for note in network.notes:
        print(f"note: {note}")
    if args.output:
        with open(args.output, "w") as file:
            json.dump(report, file, indent=2)
        print(f"report written to {args.output}")


def sweep(args):
    model = load_keras_model(args.model)
    x, y = _load_data(args, model)
    rows = run_sweep(
        model, x, y, scales=args.scale, synapses=args.synapse, n_steps=args.n_steps,
        output=args.output, batch_size=args.batch_size, progress=not args.quiet,
        readout=args.readout, readout_steps=args.readout_steps, dt=args.dt,
        initial_state=args.initial_state,
        settings={"model": str(args.model), "dataset": args.dataset, "split": args.split,
                  "pixel_scale": args.pixel_scale},
    )
    header = (f"{'scale':>8} {'synapse':>8} {'steps':>6} {'accuracy':>9} {'spikes/img':>11} "
              f"{'synops/img':>12} {'time s':>7}")
    print(header)
    for row in rows:
        print(f"{row['scale']:>8g} {row['synapse']:>8g} {row['n_steps']:>6d} {row['accuracy']:>9.2%} "
              f"{row['spikes_per_image']:>11,.0f} {row['synaptic_ops_per_image']:>12,.0f} {row['wall_time_s']:>7.1f}")
    print(f"keras accuracy {rows[0]['keras_accuracy']:.2%}; rows in {args.output}")
    if args.plot:
        plot_sweep(rows, args.plot)
        print(f"plot written to {args.plot}")


def _load_data(args, model):
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
    return fit_to_input(images, tuple(model.inputs[0].shape[1:]), scale), labels
