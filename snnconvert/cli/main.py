"""Argument parsing and error handling for ``snnconvert inspect | evaluate | sweep | export``.

Nothing here imports TensorFlow: ``--help`` and bad arguments are answered before it
loads (see :mod:`.checks`); the commands themselves (:mod:`.commands`) load it quietly.
"""

import argparse
import re
import sys

from snnconvert.cli import options
from snnconvert.cli.checks import check_arguments
from snnconvert.cli.export import add_export_command
from snnconvert.cli.strategies import STRATEGIES
from snnconvert.errors import ConversionError, ModelLoadError

# Errors a user can fix from the message alone: printed as one line, no traceback.
_USER_ERRORS = (ConversionError, ModelLoadError, ValueError, FileNotFoundError, ImportError, OSError)

_EPILOG = ("Set SNNCONVERT_TF_LOGS=1 to see TensorFlow's own start-up messages and warnings, "
           "which snnconvert hides.")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="snnconvert", epilog=_EPILOG,
        description="Convert Keras models to spiking neural networks, evaluate and sweep them.",
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    inspect = _add_command(subcommands, "inspect", "show what each Keras layer becomes")
    _add_conversion_options(inspect, multiple=False, scale_default=None)
    _add_data_source_options(inspect, required=False, purpose=" (needed only to calibrate: --scale auto)")
    inspect.add_argument("--dt", type=float, default=0.001,
                         help="step length in seconds that --target-rate per step refers to (default 0.001)")

    for name, multiple, summary in (("evaluate", False, "spiking accuracy and per-layer spikes"),
                                    ("sweep", True, "accuracy and spikes over scales, synapses and steps")):
        command = _add_command(subcommands, name, summary)
        _add_data_options(command)
        _add_conversion_options(command, multiple=multiple, scale_default="auto")
        _add_simulation_options(command, multiple=multiple)
        _add_strategy_option(command)
    evaluate, sweep = subcommands.choices["evaluate"], subcommands.choices["sweep"]
    evaluate.add_argument("--output", help="also write the report as JSON to this file")
    sweep.add_argument("--output", required=True, help="CSV file; rows are appended as they finish "
                       "and an existing file is resumed")
    sweep.add_argument("--plot", help="also draw accuracy and spikes against scale into this PNG")
    add_export_command(subcommands, epilog=_EPILOG)
    return parser


def _add_command(subcommands, name, summary):
    command = subcommands.add_parser(name, help=summary, description=summary, epilog=_EPILOG)
    command.add_argument("model", help="a .h5 or .keras model file")
    command.set_defaults(run=_run_command(name))
    return command


def _run_command(name):
    """Runs ``commands.<name>``, imported only then: it loads TensorFlow."""
    def run(args):
        from snnconvert.cli.quiet import import_tensorflow_quietly

        import_tensorflow_quietly()
        from snnconvert.cli import commands

        return getattr(commands, name)(args)
    return run


def _add_data_options(parser):
    _add_data_source_options(parser, required=True)
    parser.add_argument("--split", default="test", choices=("train", "test"),
                        help="the split to evaluate on (default test)")
    parser.add_argument("--n-test", type=int, help="use only the first N samples (default: all)")
    parser.add_argument("--batch-size", type=int, default=100, help="samples simulated at once (default 100)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _add_data_source_options(parser, required, purpose=""):
    parser.add_argument("--dataset", required=required,
                        help="mnist, fashion_mnist, digits (offline), or a .npz file with x and y" + purpose)
    parser.add_argument("--data-dir", help="folder holding mnist/ and fashion-mnist/ IDX files "
                        "(default: $SNNCONVERT_DATA, else download)")
    parser.add_argument("--pixel-scale", type=float,
                        help="divide pixel values by this (default: the dataset's maximum, "
                        "255 for integer .npz data, 1 for float data)")


def _add_conversion_options(parser, multiple, scale_default):
    nargs = "+" if multiple else None
    if scale_default == "auto":
        scale_help = ("default auto, since the data is at hand (the Python API's convert() defaults to 1)")
    else:
        scale_help = "default auto with --dataset, else 1 as in the Python API's convert()"
    parser.add_argument("--scale", type=_scale, nargs=nargs,
                        default=[scale_default] if multiple else scale_default,
                        help="scale_firing_rates: a number, or 'auto': one scale per layer, calibrated on sample "
                        f"data (see --calibration-samples); {scale_help}")
    parser.add_argument("--calibration-samples", type=int,
                        help="with --scale auto: how many samples to calibrate on, drawn at random (seed 0) "
                        "from the dataset's training split, or from the evaluation data for a .npz file "
                        f"without x_train (default {options.CALIBRATION_SAMPLES})")
    parser.add_argument("--percentile", type=float,
                        help="with --scale auto: percentile of each layer's positive activations that fires "
                        f"at the target rate (default {options.DEFAULT_PERCENTILE:g})")
    parser.add_argument("--target-rate", type=_target_rate,
                        help="with --scale auto: spikes per step at that percentile, or a rate in Hz such as "
                        f"500Hz (default {options.DEFAULT_TARGET_RATE:g} per step)")
    parser.add_argument("--synapse", type=float, nargs=nargs,
                        help="low-pass synapse time constant in seconds, 0 for none (default: the Python API's "
                        "default, currently none)")
    parser.add_argument("--neuron-type", default="spiking", choices=options.NEURON_TYPES,
                        help="spiking (NengoDL's rectifying neuron) or rate ReLU, integrate_and_fire on the signed "
                        "current, or "
                        "(rate) LIF neurons for ReLU layers (default spiking; the Python API's deep-network defaults "
                        "under scale_firing_rates='auto' are not yet the command line's)")
    parser.add_argument("--max-pooling", default="spiking", choices=options.MAX_POOLING_MODES,
                        help="spiking max-pool, or replace max pooling by average pooling (default spiking)")
    parser.add_argument("--non-spiking", type=_non_spiking, default="error", metavar="error|rate|NAME,...",
                        help="layers with no spiking equivalent: refuse them (error, the default), run them "
                        "all as non-spiking rate layers (rate), or only the comma-separated layers named")


def _add_simulation_options(parser, multiple):
    parser.add_argument("--n-steps", type=int, nargs="+" if multiple else None,
                        default=[30] if multiple else 30, help="timesteps (default 30)")
    parser.add_argument("--dt", type=float, default=0.001, help="step length in seconds (default 0.001)")
    parser.add_argument("--initial-state", default="uniform", choices=options.INITIAL_STATES,
                        help="each neuron's voltage before the first step (default uniform)")
    parser.add_argument("--input-encoding", default="constant", choices=options.INPUT_ENCODINGS,
                        help="present each input as a constant current (default), or as Poisson spikes firing "
                        "at value x max rate, each worth 1/(max rate x dt) so the mean input is the value; "
                        "poisson needs inputs in [0, 1]")
    parser.add_argument("--max-rate", type=float,
                        help=f"with --input-encoding poisson: rate in Hz of an input of value 1, at most 1/dt "
                        f"(default {options.DEFAULT_MAX_RATE:g})")
    parser.add_argument("--readout", default="last", choices=options.READOUTS,
                        help="argmax of the last step, of the mean of the last --readout-steps, or of the "
                        "output low-pass filtered with --readout-tau (default last)")
    parser.add_argument("--readout-steps", type=int,
                        help=f"with --readout mean: how many final steps to average (default {options.READOUT_STEPS})")
    parser.add_argument("--readout-tau", type=float,
                        help=f"time constant in seconds of --readout filtered (default {options.READOUT_TAU:g})")


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
    return text if text in options.NON_SPIKING_MODES else [name.strip() for name in text.split(",") if name.strip()]


def _target_rate(text):
    """A number of spikes per step, or a string in Hz left for ``calibrate`` to check."""
    try:
        return float(text)
    except ValueError:
        return text


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_arguments(args)
        return args.run(args) or 0
    except KeyboardInterrupt:
        print("snnconvert: interrupted", file=sys.stderr)
        return 130
    except _USER_ERRORS as error:
        message = str(error).strip() or type(error).__name__
        print(f"snnconvert: error: {in_flag_terms(message)}", file=sys.stderr)
        return 2


# A parameter the way the API's checks name it: in backquotes, or as the value received.
_PARAMETER = re.compile(r"`(\w+)`|(?<=Received: )(\w+)=")


def in_flag_terms(message):
    """``message`` with the Python API's parameter names (```n_steps```, ``Received:
    n_steps=0``) replaced by the flags that set them (```--n-steps```, ``Received:
    --n-steps=0``): an error from the API reaches a user who typed flags. Other mentions
    stay: they are advice about the Python API itself (e.g. for a model only Python can load)."""
    def flag(match):
        name = match.group(1) or match.group(2)
        if name not in options.FLAGS:
            return match.group(0)
        return f"`{options.FLAGS[name]}`" if match.group(1) else f"{options.FLAGS[name]}="
    return _PARAMETER.sub(flag, message)


if __name__ == "__main__":
    sys.exit(main())
