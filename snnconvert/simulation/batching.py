"""Turning user data (arrays or ``tf.data`` datasets) into checked float32 batches.

Data is converted one batch at a time, so a large uint8 dataset is never copied
whole to float32.
"""

import os

import numpy as np
import tensorflow as tf

from snnconvert._validation import check_finite_array


def iterate_batches(inputs, labels, input_nodes, n_steps, batch_size):
    """Yield ``(arrays, temporal, labels)`` per batch.

    ``arrays`` is a list of float32 arrays, one per graph input; ``temporal`` says for
    each whether it carries a time axis; ``labels`` is the batch's labels or ``None``.
    ``inputs`` is an array, a list of arrays (one per input), or a ``tf.data.Dataset``
    of ``x`` or ``(x, y)`` elements, batched or not.
    """
    if isinstance(inputs, tf.data.Dataset):
        yield from _dataset_batches(inputs, labels, input_nodes, n_steps, batch_size)
        return
    arrays = _input_arrays(inputs)
    _check_count(arrays, input_nodes)
    lengths = {len(array) for array in arrays}
    if len(lengths) > 1:
        raise ValueError(f"All inputs must hold the same number of samples. Received {sorted(lengths)}.")
    n_samples = lengths.pop()
    if n_samples == 0:
        raise ValueError("No samples to simulate: the input is empty.")
    if labels is not None and len(labels) != n_samples:
        raise ValueError(f"Received {len(labels)} labels for {n_samples} samples.")
    temporal = [_is_temporal(array, node, n_steps) for array, node in zip(arrays, input_nodes)]
    for start in range(0, n_samples, batch_size):
        batch = [_as_checked_float(a[start:start + batch_size], n, start) for a, n in zip(arrays, input_nodes)]
        yield batch, temporal, None if labels is None else np.asarray(labels[start:start + batch_size])


# Share of the memory available at the call that values kept over time may take: the rest
# is for the simulation itself, TensorFlow, and the copies made while joining windows.
KEPT_MEMORY_SHARE = 0.5


def available_memory():
    """Bytes of memory available now (``MemAvailable`` on Linux; else the physical memory)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None  # unknown: nothing is refused


class MemoryLimitError(ValueError, MemoryError):
    """What was asked would need more memory than it may take; raised before allocating."""


def check_kept_memory(what, n_samples, n_steps, sizes, *, probes=False, limit=None):
    """Refuse, before anything is allocated, to keep ``sizes`` float32 values (per sample and
    step) of ``n_samples`` samples at each of ``n_steps`` steps, naming what to lower."""
    lower = "the number of samples or n_steps" + (", or probe fewer nodes" if probes else "")
    check_memory(
        f"{what} would keep {n_samples:,} samples x {n_steps:,} steps x {sum(sizes):,} values x 4 bytes",
        4 * n_samples * n_steps * sum(sizes),
        f"Lower {lower}; evaluate() keeps no outputs over time (unless keep_outputs=True).",
        limit,
    )


def check_memory(what, needed, way_out, limit=None):
    """Raise :class:`MemoryLimitError` if ``needed`` bytes exceed ``limit`` (by default
    :data:`KEPT_MEMORY_SHARE` of the memory available now). ``what`` says what needs them,
    ``way_out`` how to need less."""
    share = ""
    if limit is None:
        available = available_memory()
        if available is None:
            return
        limit, share = KEPT_MEMORY_SHARE * available, f" ({KEPT_MEMORY_SHARE:.0%} of the memory available now)"
    if needed > limit:
        raise MemoryLimitError(f"{what}: {_gib(needed)}, more than the {_gib(limit)} allowed{share}. {way_out}")


def _gib(n_bytes):
    return f"{n_bytes / 2**30:,.1f} GiB" if n_bytes >= 2**27 else f"{n_bytes / 2**20:,.1f} MiB"


def count_samples(inputs):
    """Number of samples, or ``None`` when unknown (a dataset of unknown length)."""
    if isinstance(inputs, tf.data.Dataset):
        return None
    return len(_input_arrays(inputs)[0])


def _input_arrays(inputs):
    """One array per graph input. Lazy array-likes (with shape, len and slicing) stay
    lazy: data is converted batch by batch."""
    values = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if not values:
        raise ValueError("No inputs: received an empty list instead of one array per model input.")
    arrays = []
    for value in values:
        if value is None or isinstance(value, (str, bytes, dict)):
            raise TypeError(
                "Inputs must be arrays shaped [n_samples, ...], a list of such arrays (one per "
                f"model input), or a tf.data.Dataset. Received {type(value).__name__}."
            )
        array = value if hasattr(value, "shape") else np.asarray(value)
        if len(array.shape) == 0:
            raise ValueError(
                f"Inputs need a sample axis, [n_samples, ...]. Received a scalar: {value!r}."
            )
        arrays.append(array)
    return arrays


def _dataset_batches(dataset, labels, input_nodes, n_steps, batch_size):
    if labels is not None:
        raise ValueError("Pass labels inside the tf.data.Dataset as (x, y) elements, not separately.")
    if len(input_nodes) != 1:
        raise ValueError(
            f"tf.data datasets are supported for single-input networks; this one has "
            f"{len(input_nodes)} inputs. Pass a list of arrays, one per input, instead."
        )
    spec = dataset.element_spec
    x_spec = spec[0] if isinstance(spec, tuple) else spec
    if not _is_batched(tuple(x_spec.shape), input_nodes[0], n_steps):
        dataset = dataset.batch(batch_size)
    first_sample = 0
    for element in dataset:
        x, y = element if isinstance(element, tuple) else (element, None)
        x = x.numpy()
        temporal = [_is_temporal(x, input_nodes[0], n_steps)]
        yield [_as_checked_float(x, input_nodes[0], first_sample)], temporal, None if y is None else y.numpy()
        first_sample += len(x)


def _is_batched(shape, node, n_steps):
    """Whether dataset elements of ``shape`` are batches (else single samples).

    One extra axis is ambiguous: a batch of images, or one sample over ``n_steps``
    steps. A batch made by ``Dataset.batch`` has an unknown size (``None``); a fixed
    size equal to ``n_steps`` is read as time. (A dataset batched with
    ``drop_remainder=True`` and a batch size equal to ``n_steps`` is therefore misread;
    its labels then fail the label check instead of giving a wrong accuracy.)
    """
    extra = len(shape) - len(node.shape)
    if extra == 2:
        return True
    return extra == 1 and (shape[0] is None or shape[0] != n_steps)


def _check_count(arrays, input_nodes):
    if len(arrays) != len(input_nodes):
        raise ValueError(
            f"The network has {len(input_nodes)} input(s) "
            f"({', '.join(n.name for n in input_nodes)}) but received {len(arrays)} array(s) "
            "(a list or tuple is read as one array per input; pass a single input as one array)."
        )


def _is_temporal(array, node, n_steps):
    shape = tuple(array.shape)
    if shape[1:] == node.shape:
        return False
    if len(shape) >= 2 and shape[2:] == node.shape:
        if array.shape[1] != n_steps:
            raise ValueError(
                f"Input {node.name!r} varies over {shape[1]} steps but n_steps={n_steps}; "
                f"pass n_steps={shape[1]} or trim the input."
            )
        return True
    hint = " A single sample needs a sample axis: pass x[None]." if shape == node.shape else ""
    raise ValueError(
        f"Input {node.name!r} expects samples of shape {node.shape} (or "
        f"[n, n_steps, *{node.shape}] over time). Received an array of shape "
        f"{shape}. Reshape or preprocess the data to match the model.{hint}"
    )


def _as_checked_float(array, node, first_sample):
    """``array`` as float32, refusing what has no meaning as a current (text, complex
    numbers, NaN, infinity). ``first_sample`` locates ``array[0]`` in the whole data."""
    what = f"Input {node.name!r}"
    array = np.asarray(array)
    if array.dtype.kind not in "biufO":
        raise ValueError(f"{what} must hold real numbers. Received an array of dtype {array.dtype}.")
    try:
        converted = array.astype(np.float32, copy=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} must hold real numbers; its values cannot become floats ({error}).") from None
    check_finite_array(what, array if array.dtype.kind == "f" else converted, first_sample)
    if converted is not array and not np.all(np.isfinite(converted)):
        raise ValueError(
            f"{what} holds values beyond float32's range (about 3.4e38 in magnitude); the "
            "simulation computes in float32. Rescale the data."
        )
    return converted
