"""Turning user data (arrays or ``tf.data`` datasets) into checked float32 batches.

Data is converted one batch at a time, so a large uint8 dataset is never copied
whole to float32.
"""

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
    arrays = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    _check_count(arrays, input_nodes)
    # Arrays are converted batch by batch; lazy array-likes (with shape, len and
    # slicing) stay lazy.
    arrays = [array if hasattr(array, "shape") else np.asarray(array) for array in arrays]
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
        batch = [_as_checked_float(a[start:start + batch_size], n) for a, n in zip(arrays, input_nodes)]
        yield batch, temporal, None if labels is None else np.asarray(labels[start:start + batch_size])


def count_samples(inputs):
    """Number of samples, or ``None`` when unknown (a dataset of unknown length)."""
    if isinstance(inputs, tf.data.Dataset):
        return None
    first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
    return len(first)


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
    for element in dataset:
        x, y = element if isinstance(element, tuple) else (element, None)
        x = x.numpy()
        temporal = [_is_temporal(x, input_nodes[0], n_steps)]
        yield [_as_checked_float(x, input_nodes[0])], temporal, None if y is None else y.numpy()


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
            f"({', '.join(n.name for n in input_nodes)}) but received {len(arrays)} array(s)."
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
    raise ValueError(
        f"Input {node.name!r} expects samples of shape {node.shape} (or "
        f"[n, n_steps, *{node.shape}] over time). Received an array of shape "
        f"{shape}. Reshape or preprocess the data to match the model."
    )


def _as_checked_float(array, node):
    return check_finite_array(f"input {node.name!r}", np.asarray(array, dtype=np.float32))
