"""Checks of the command line's arguments that need neither TensorFlow nor the model.

They run before TensorFlow is loaded (several seconds), so that a typo is reported at
once, and they name flags, not the Python API's parameters. What only the model or the
data can tell (shapes, layers, file contents) is checked later by the API.
"""

import difflib
import math
import os
from importlib.util import find_spec
from pathlib import Path

from snnconvert.cli import options
from snnconvert.data.datasets import DATA_DIR_ENV, DATASETS

_AT_LEAST_ONE = ("n_steps", "batch_size", "n_test", "calibration_samples", "readout_steps")
_POSITIVE = ("dt", "pixel_scale", "readout_tau", "max_rate", "target_rate")


def check_arguments(args):
    """Fill the defaults that depend on other arguments and refuse what cannot work,
    with one ``ValueError`` or ``FileNotFoundError`` naming the flag."""
    if getattr(args, "scale", None) is None:  # inspect: calibrate when it has the data to
        args.scale = "auto" if getattr(args, "dataset", None) else 1.0
    _check_paths(args)
    if getattr(args, "dataset", None) is not None:
        check_dataset(args.dataset, args.data_dir)
    elif "auto" in _values(args, "scale"):
        raise ValueError("--scale auto chooses each layer's scale from sample data: give --dataset (its training "
                         "split is used, or the data of a .npz file), or give --scale a number.")
    _check_numbers(args)
    _resolve_dependent_options(args)


def _check_paths(args):
    if not Path(args.model).exists():
        raise FileNotFoundError(f"Model file '{args.model}' does not exist.")
    for flag in ("output", "plot"):
        path = getattr(args, flag, None)
        if path is not None and not Path(path).resolve().parent.is_dir():
            raise FileNotFoundError(f"--{flag} {path}: the folder {Path(path).parent} does not exist.")
    if getattr(args, "plot", None) and find_spec("matplotlib") is None:
        raise ImportError("--plot draws with matplotlib, which is not installed: pip install matplotlib, "
                          "or leave out --plot.")


def check_dataset(name, data_dir):
    """A known dataset name (with a data folder, if one is configured) or an existing .npz file."""
    if name in DATASETS:
        if name != "digits":  # digits ships with scikit-learn
            _check_data_dir(data_dir)
        return
    path = Path(name)
    if path.suffix != ".npz":
        known = ", ".join(DATASETS)
        close = difflib.get_close_matches(name.lower().replace("-", "_"), DATASETS, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"Unknown dataset {name!r} for --dataset: expected one of {known}, or a .npz file "
                         f"with arrays x and y (or x_test and y_test).{hint}")
    if not path.is_file():
        raise FileNotFoundError(f"Dataset file {str(path)!r} does not exist.")


def _check_data_dir(data_dir):
    if data_dir is not None:
        folder, source = Path(data_dir).expanduser(), "--data-dir"
    elif os.environ.get(DATA_DIR_ENV):
        folder, source = Path(os.environ[DATA_DIR_ENV]).expanduser(), f"${DATA_DIR_ENV}"
    else:
        return  # downloaded through Keras
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{source} {folder} is not a folder. Give the folder that holds mnist/ and fashion-mnist/ with the "
            f"official IDX files, or leave both --data-dir and {DATA_DIR_ENV} unset to download through Keras."
        )


def _check_numbers(args):
    for key in _AT_LEAST_ONE:
        for value in _values(args, key):
            if value < 1:
                raise ValueError(f"{_flag(key)} must be >= 1. Received: {_flag(key)} {value}")
    for key in _POSITIVE:
        for value in _values(args, key):
            if not isinstance(value, str) and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{_flag(key)} must be a finite number > 0. Received: {_flag(key)} {value:g}")
    for value in _values(args, "scale"):
        if value != "auto" and not (math.isfinite(value) and value > 0):
            raise ValueError(f"--scale must be a finite number > 0 or 'auto'. Received: --scale {value:g}")
    for value in _values(args, "synapse"):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError("--synapse must be a time constant in seconds >= 0 (0 for no synapse). "
                             f"Received: --synapse {value:g}")
    for value in _values(args, "percentile"):
        if not 0 < value <= 100:
            raise ValueError(f"--percentile must be > 0 and <= 100. Received: --percentile {value:g}")


def _values(args, key):
    """The values given for an option (a list for the sweep's), none when unset or absent."""
    value = getattr(args, key, None)
    return [] if value is None else [v for v in (value if isinstance(value, list) else [value]) if v is not None]


def _flag(key):
    return "--" + key.replace("_", "-")


# Options that only mean something with another one: {option: default}.
_CALIBRATION_OPTIONS = {
    "calibration_samples": options.CALIBRATION_SAMPLES,
    "percentile": options.DEFAULT_PERCENTILE,
    "target_rate": options.DEFAULT_TARGET_RATE,
}
_READOUT_OPTIONS = {"readout_steps": ("mean", options.READOUT_STEPS), "readout_tau": ("filtered", options.READOUT_TAU)}


def _resolve_dependent_options(args):
    """Fill the defaults of options that depend on another; refuse them without it, since
    an option that is silently ignored misleads."""
    scales = args.scale if isinstance(args.scale, list) else [args.scale]
    for key, default in _CALIBRATION_OPTIONS.items():
        if getattr(args, key) is None:
            setattr(args, key, default)
        elif "auto" not in scales:
            raise ValueError(f"{_flag(key)} only applies with --scale auto.")
    if getattr(args, "input_encoding", None) == "poisson":
        args.max_rate = options.DEFAULT_MAX_RATE if args.max_rate is None else args.max_rate
        if args.max_rate * args.dt > 1:
            raise ValueError(
                f"--max-rate x --dt must be <= 1: an input fires at most one spike per step. Received: "
                f"--max-rate {args.max_rate:g} with --dt {args.dt:g}. Lower --max-rate to at most {1 / args.dt:g}, "
                "or shorten --dt."
            )
    elif getattr(args, "max_rate", None) is not None:
        raise ValueError("--max-rate only applies with --input-encoding poisson.")
    for key, (readout, default) in _READOUT_OPTIONS.items():
        if not hasattr(args, key):
            continue
        if getattr(args, key) is None:
            setattr(args, key, default)
        elif args.readout != readout:
            raise ValueError(f"{_flag(key)} only applies with --readout {readout}.")
