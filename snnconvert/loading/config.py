"""A model's stored configuration: JSON read within bounds and searched for stored code.

The configuration comes from the file, so it is untrusted: it may be nested deeper than
Python recurses, hold numbers Python refuses to read, or put any JSON type where Keras
writes a dict. Each of these becomes one ``ModelLoadError`` instead of a traceback.
"""

import json
import sys

from snnconvert._validation import short_repr, short_text
from snnconvert.errors import ModelLoadError

# Keras configs are kilobytes, a few megabytes for the largest applications; parsing JSON
# takes several times its size in memory, so far larger text is refused unread.
MAX_CONFIG_BYTES = 64 * 2**20
# A nested model adds about six levels (layers -> layer -> config -> layers ...), so this
# allows dozens of nesting levels while keeping far below Python's recursion limit, which
# Keras's own (recursive) deserialization would hit.
MAX_CONFIG_DEPTH = 200


def parse_config(path, text, where):
    """The JSON in ``text`` (the file's ``where``), or ``ModelLoadError`` naming the problem."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ModelLoadError(
            f"{str(path)!r} is refused: its {where} holds {len(text):,} bytes, more than the "
            f"{MAX_CONFIG_BYTES:,} any saved Keras model needs; the file is corrupt or crafted."
        )
    try:
        return json.loads(text)
    except RecursionError:
        raise ModelLoadError(
            f"{str(path)!r} is refused: its {where} is nested too deeply to read (no saved "
            "Keras model is); the file is corrupt or crafted."
        ) from None
    except UnicodeDecodeError as error:
        raise ModelLoadError(
            f"{str(path)!r} is corrupt: its {where} is not UTF-8 text ({short_text(error)}). Re-save the model."
        ) from None
    except json.JSONDecodeError as error:
        raise ModelLoadError(
            f"{str(path)!r} is corrupt: its {where} is not valid JSON ({short_text(error)}). Re-save the model."
        ) from None
    except ValueError:  # json hands over Python's refusal of over-long integers
        raise ModelLoadError(
            f"{str(path)!r} is refused: its {where} holds an integer of more than "
            f"{sys.get_int_max_str_digits()} digits, which no saved Keras model has; the file is "
            "corrupt or crafted."
        ) from None


def refuse_stored_code(path, config, where):
    """Refuse layers whose loading runs code: a Lambda's stored Python bytecode, or the
    TensorFlow graph a TFSMLayer loads from a folder the file names (which older Keras
    loaded even in safe mode). Neither has a spiking equivalent."""
    found = layers_of_classes(path, config, where, ("Lambda", "TFSMLayer"))
    if found["Lambda"]:
        shown = short_repr(found["Lambda"])
        raise ModelLoadError(
            f"{str(path)!r} contains Lambda layer(s) {shown}, whose Python code would be "
            "executed on load, so snnconvert keeps Keras safe mode on and refuses the file. "
            "Only if you trust the file: load it yourself with keras.models.load_model(path, "
            "safe_mode=False) and convert the model object with "
            f"non_spiking={shown}, which runs those layers as non-spiking rate layers "
            "(a Lambda layer has no spiking equivalent)."
        )
    if found["TFSMLayer"]:
        raise ModelLoadError(
            f"{str(path)!r} contains TFSMLayer layer(s) {short_repr(found['TFSMLayer'])}, which "
            "load and run a TensorFlow SavedModel from outside the file, so snnconvert refuses "
            "the file (such a layer has no spiking equivalent either)."
        )


def layers_of_classes(path, config, where, class_names):
    """``{class name: sorted names of its layers anywhere in config}`` ('?' where none is given)."""
    found = {class_name: set() for class_name in class_names}
    for entry in _dicts(path, config, where):
        class_name = entry.get("class_name")
        if isinstance(class_name, str) and class_name in found:
            layer_config = entry.get("config")
            name = layer_config.get("name") if isinstance(layer_config, dict) else None
            found[class_name].add(name if isinstance(name, str) else "?")
    return {class_name: sorted(names) for class_name, names in found.items()}


def _dicts(path, config, where):
    """Every dict in ``config``, walked with a stack (not recursion) down to MAX_CONFIG_DEPTH."""
    stack = [(config, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_CONFIG_DEPTH:
            raise ModelLoadError(
                f"{str(path)!r} is refused: its {where} is nested more than {MAX_CONFIG_DEPTH} "
                "levels deep, which no saved Keras model is; the file is corrupt or crafted."
            )
        if isinstance(value, dict):
            yield value
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value)
