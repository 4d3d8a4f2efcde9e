"""Argument parsing and error handling for ``snnconvert inspect | evaluate | sweep | export``."""

import argparse
import sys

from snnconvert.calibration import DEFAULT_PERCENTILE, DEFAULT_TARGET_RATE
from snnconvert.cli import commands
from snnconvert.cli.export import add_export_command
from snnconvert.cli.strategies import STRATEGIES
from snnconvert.conversion.context import MAX_POOLING_MODES, NON_SPIKING_MODES
from snnconvert.errors import ConversionError, ModelLoadError
from snnconvert.metrics.evaluation import READOUTS
from snnconvert.neurons import NEURON_TYPES
from snnconvert.simulation.encoding import DEFAULT_MAX_RATE, INPUT_ENCODINGS
from snnconvert.simulation.state import INITIAL_STATES

# Errors a user can fix from the message alone: printed as one line, no traceback.
_USER_ERRORS = (ConversionError, ModelLoadError, ValueError, FileNotFoundError, ImportError, OSError)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="snnconvert",
        description="Convert Keras models to spiking neural networks, evaluate and sweep them.",
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    inspect = subcommands.add_parser("inspect", help="show what each Keras layer becomes")
    inspect.add_argument("model", help="a .h5 or .keras model file")
    _add_conversion_options(inspect, multiple=False)
    _add_data_source_options(inspect, required=False, purpose=" (needed only to calibrate: --scale auto)")
    inspect.add_argument("--dt", type=float, default=0.001,
                         help="step length in seconds that --target-rate per step refers to (default 0.001)")
    inspect.set_defaults(run=commands.inspect)

    evaluate = subcommands.add_parser("evaluate", help="spiking accuracy and per-layer spikes")
    evaluate.add_argument("model", help="a .h5 or .keras model file")
    _add_data_options(evaluate)
    _add_conversion_options(evaluate, multiple=False)
    _add_simulation_options(evaluate, multiple=False)
    _add_strategy_option(evaluate)
    evaluate.add_argument("--output", help="also write the report as JSON to this file")
    evaluate.set_defaults(run=commands.evaluate)

    sweep = subcommands.add_parser("sweep", help="accuracy and spikes over scales, synapses and steps")
    sweep.add_argument("model", help="a .h5 or .keras model file")
    _add_data_options(sweep)
    _add_conversion_options(sweep, multiple=True)
    _add_simulation_options(sweep, multiple=True)
    _add_strategy_option(sweep)
    sweep.add_argument("--output", required=True, help="CSV file; rows are appended as they finish "
                       "and an existing file is resumed")
    sweep.add_argument("--plot", help="also draw accuracy and spikes against scale into this PNG")
    sweep.set_defaults(run=commands.sweep)
    add_export_command(subcommands)
    return parser


def _add_data_options(parser):
    _add_data_source_options(parser, required=True)
    parser.add_argument("--split", default="test", choices=("train", "test"))
    parser.add_argument("--n-test", type=int, help="use only the first N samples")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _add_data_source_options(parser, required, purpose=""):
    parser.add_argument("--dataset", required=required,
                        help="mnist, fashion_mnist, digits (offline), or a .npz file with x and y" + purpose)
    parser.add_argument("--data-dir", help="folder holding mnist/ and fashion-mnist/ IDX files "
                        "(default: $SNNCONVERT_DATA, else download)")
    parser.add_argument("--pixel-scale", type=float,
                        help="divide pixel values by this (default: the dataset's maximum, "
                        "255 for integer .npz data, 1 for float data)")


def _add_conversion_options(parser, multiple):
    nargs = "+" if multiple else None
    parser.add_argument("--scale", type=_scale, nargs=nargs, default=[10.0] if multiple else 10.0,
                        help="scale_firing_rates (default 10), or 'auto': one scale per layer, calibrated "
                        "on sample data (see --calibration-samples)")
    parser.add_argument("--calibration-samples", type=int,
                        help="with --scale auto: how many samples to calibrate on, drawn at random (seed 0) "
                        "from the dataset's training split, or from the evaluation data for a .npz file "
                        f"without x_train (default {commands.CALIBRATION_SAMPLES})")
    parser.add_argument("--percentile", type=float,
                        help="with --scale auto: percentile of each layer's positive activations that fires "
                        f"at the target rate (default {DEFAULT_PERCENTILE:g})")
    parser.add_argument("--target-rate", type=_target_rate,
                        help="with --scale auto: spikes per step at that percentile, or a rate in Hz such as "
                        f"500Hz (default {DEFAULT_TARGET_RATE:g} per step)")
    parser.add_argument("--synapse", type=float, nargs=nargs, default=[0.005] if multiple else 0.005,
                        help="low-pass synapse time constant in seconds, 0 for none (default 0.005)")
    parser.add_argument("--neuron-type", default="spiking", choices=tuple(NEURON_TYPES),
                        help="spiking or rate ReLU, or (rate) LIF neurons for ReLU layers (default spiking)")
    parser.add_argument("--max-pooling", default="spiking", choices=MAX_POOLING_MODES,
                        help="spiking max-pool, or replace max pooling by average pooling (default spiking)")
    parser.add_argument("--non-spiking", type=_non_spiking, default="error", metavar="error|rate|NAME,...",
                        help="layers with no spiking equivalent: refuse them (error, the default), run them "
                        "all as non-spiking rate layers (rate), or only the comma-separated layers named")


def _add_simulation_options(parser, multiple):
    parser.add_argument("--n-steps", type=int, nargs="+" if multiple else None,
                        default=[30] if multiple else 30, help="timesteps (default 30)")
    parser.add_argument("--dt", type=float, default=0.001, help="step length in seconds (default 0.001)")
    parser.add_argument("--initial-state", default="uniform", choices=INITIAL_STATES)
    parser.add_argument("--input-encoding", default="constant", choices=INPUT_ENCODINGS,
                        help="present each input as a constant current (default), or as Poisson spikes firing "
                        "at value x max rate, each worth 1/(max rate x dt) so the mean input is the value; "
                        "poisson needs inputs in [0, 1]")
    parser.add_argument("--max-rate", type=float,
                        help=f"with --input-encoding poisson: rate in Hz of an input of value 1, at most 1/dt "
                        f"(default {DEFAULT_MAX_RATE:g})")
    parser.add_argument("--readout", default="last", choices=READOUTS,
                        help="argmax of the last step, of the mean of the last --readout-steps, or of the "
                        "output low-pass filtered with --readout-tau (default last)")
    parser.add_argument("--readout-steps", type=int,
                        help="with --readout mean: how many final steps to average (default 10)")
    parser.add_argument("--readout-tau", type=float,
                        help="time constant in seconds of --readout filtered (default 0.01)")


def _add_strategy_option(parser):
    parser.add_argument("--strategy", default="default", choices=STRATEGIES,
                        help="one device (default); mirrored: split each batch across this machine's GPUs; "
                        "multiworker: across machines, one process per machine described by TF_CONFIG "
                        "(see docs/distributed.md); every process prints the whole result")


def _scale(text):
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'auto', received {text!r}") from None


def _non_spiking(text):
    return text if text in NON_SPIKING_MODES else [name.strip() for name in text.split(",") if name.strip()]


def _target_rate(text):
    """A number of spikes per step, or a string in Hz left for ``calibrate`` to check."""
    try:
        return float(text)
    except ValueError:
        return text


# Options that only mean something with another one: {option: (what it needs, default)}.
_CALIBRATION_OPTIONS = {
    "calibration_samples": commands.CALIBRATION_SAMPLES,
    "percentile": DEFAULT_PERCENTILE,
    "target_rate": DEFAULT_TARGET_RATE,
}
_READOUT_OPTIONS = {"readout_steps": ("mean", 10), "readout_tau": ("filtered", 0.01)}


def _resolve_dependent_options(args):
    """Fill the defaults of options that depend on another; refuse them without it, since
    an option that is silently ignored misleads."""
    scales = args.scale if isinstance(args.scale, list) else [args.scale]
    for key, default in _CALIBRATION_OPTIONS.items():
        if getattr(args, key) is None:
            setattr(args, key, default)
        elif "auto" not in scales:
            raise ValueError(f"--{key.replace('_', '-')} only applies with --scale auto.")
    if getattr(args, "input_encoding", None) == "poisson":
        args.max_rate = DEFAULT_MAX_RATE if args.max_rate is None else args.max_rate
    elif getattr(args, "max_rate", None) is not None:
        raise ValueError("--max-rate only applies with --input-encoding poisson.")
    for key, (readout, default) in _READOUT_OPTIONS.items():
        if not hasattr(args, key):
            continue
        if getattr(args, key) is None:
            setattr(args, key, default)
        elif args.readout != readout:
            raise ValueError(f"--{key.replace('_', '-')} only applies with --readout {readout}.")


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _resolve_dependent_options(args)
        return args.run(args) or 0
    except KeyboardInterrupt:
        print("snnconvert: interrupted", file=sys.stderr)
        return 130
    except _USER_ERRORS as error:
        message = str(error).strip() or type(error).__name__
        print(f"snnconvert: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
