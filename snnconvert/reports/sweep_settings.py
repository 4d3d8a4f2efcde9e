"""What a sweep records of its settings, and whether a file's rows were made the same way.

Settings are compared as they take effect, not as they were spelled: an option left
out and the same option given at its default are one setting, and so are two paths
naming one model file. The model file's content is recorded too (SHA-256), so a model
replaced at the same path is not taken for the one the rows were made with.
"""

import hashlib
import inspect
import json
import warnings
from pathlib import Path

from snnconvert.conversion import convert
from snnconvert.network import SpikingNetwork
from snnconvert.simulation import Simulator
from snnconvert.simulation.encoding import DEFAULT_MAX_RATE

MODEL_HASH = "model_sha256"
# Neither shapes a row: the row's own key, or what only says which file is meant.
_NOT_DEFAULTED = {"scale_firing_rates", "synapse", "self", "model"}


def _option_defaults():
    """Defaults of every option a sweep passes on: ``evaluate``'s, the simulator's, ``convert``'s.
    (The simulator's from its class: tests wrap ``SpikingNetwork.simulator``.)"""
    defaults = {}
    for function in (SpikingNetwork.evaluate, Simulator.__init__, convert):
        for name, parameter in inspect.signature(function).parameters.items():
            if parameter.default is not inspect.Parameter.empty and name not in _NOT_DEFAULTED:
                defaults[name] = parameter.default
    return defaults


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def record_model(settings, model):
    """``settings`` with the model file (given as ``model``, or already as ``settings["model"]``)
    named by its resolved path and its content hash; unchanged for a model held in memory."""
    named = settings.get("model", model)
    if not isinstance(named, (str, Path)) or not Path(named).is_file():
        return settings
    path = Path(named).resolve()
    return {**settings, "model": str(path), MODEL_HASH: file_sha256(path)}


def encode(settings):
    """The settings as stored in the CSV: sorted JSON (objects without a JSON form as text)."""
    return json.dumps(settings, sort_keys=True, default=str)


def resolved(settings):
    """``settings`` (a dict, or its JSON) as they take effect: defaults filled in, paths resolved."""
    if isinstance(settings, str):
        settings = json.loads(settings)
    settings = json.loads(encode(settings))  # tuples as lists, objects as text, as stored
    defaults = json.loads(encode(_option_defaults()))
    effective = {**defaults, **{key: value for key, value in settings.items() if value is not None}}
    if effective.get("input_encoding") == "poisson" and effective.get("max_rate") is None:
        effective["max_rate"] = DEFAULT_MAX_RATE
    for key in ("model", "dataset"):
        value = effective.get(key)
        if isinstance(value, str) and Path(value).is_file():
            effective[key] = str(Path(value).resolve())
    return effective


def check_same_settings(path, stored, settings):
    """Refuse (``ValueError``) rows of ``path`` whose ``stored`` settings differ from
    ``settings`` (both JSON), naming the first setting that differs. Rows from before model
    hashes were recorded resume with a warning: their model file cannot be checked."""
    ours, theirs = resolved(settings), resolved(stored)
    unchecked = MODEL_HASH in ours and MODEL_HASH not in theirs
    if unchecked:
        theirs[MODEL_HASH] = ours[MODEL_HASH]
        theirs.setdefault("model", ours.get("model"))  # Python sweeps did not name the file either
    differing = sorted(key for key in ours.keys() | theirs.keys() if ours.get(key) != theirs.get(key))
    if differing:
        key = differing[0]
        what = "the model file's content" if key == MODEL_HASH else f"{key!r}"
        raise ValueError(
            f"{str(path)!r} holds a sweep made with other settings: {what} was "
            f"{_shown(theirs.get(key))} there and is {_shown(ours.get(key))} now"
            + (f" (and {len(differing) - 1} more: {', '.join(differing[1:])})" if len(differing) > 1 else "")
            + "; its rows cannot be resumed. Choose another --output or delete it."
        )
    if unchecked:
        warnings.warn(
            f"{str(path)!r} was written before sweeps recorded the model file's hash; resuming it "
            "on trust that the model file is unchanged since.",
            stacklevel=3,
        )


def _shown(value):
    return "unset" if value is None else json.dumps(value)
