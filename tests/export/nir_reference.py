"""A small numpy simulator of the NIR node types that snnconvert exports, written from
NIR's definitions, to check exported files independently of snnconvert's simulator.

Time is discretised in steps of ``dt`` seconds. A spike is a unit impulse, so a node
that emits ``n`` spikes in a step outputs ``n / dt`` for that step (the impulse spread
over the step); the ``Input`` value is held constant over the run, and a node with
several incoming edges receives their sum, as NIR defines it. Integrate-and-fire
(``v' = r * I``) advances ``v += dt * r * I`` per step; the leaky integrator
(``tau * v' = v_leak - v + r * I``) uses the exact solution for an input held over the step.

Three readings of ``nir.IF`` firing are available:

* ``"nir"``, NIR's text: a spike when ``v > v_threshold``, at most one per step, and
  ``v`` set to ``v_reset``.
* ``"subtractive"``, snnconvert's spiking ReLU: the current is rectified,
  ``floor(v / v_threshold)`` spikes per step (several allowed) and each spike subtracts
  ``v_threshold``; the continuous-time limit of both readings agrees for currents
  that do not go negative.
* ``"clipped"``, Sinabs's ``IAF`` as ``sinabs.from_nir`` builds it: the current is not
  rectified, spikes and reset are subtractive as above, and the voltage is clipped
  below at ``-v_threshold`` after each step.

``nir.LIF`` (``tau * v' = v_leak - v + r * I``, solved exactly for a current held over
the step) fires at most one spike a step when ``v > v_threshold`` and sets ``v`` to
``v_reset`` under every reading; under ``"subtractive"`` (snnconvert's neurons) the
voltage is also clipped below at 0 after each step, as snnconvert's LIF does.
"""

import numpy as np


def run_nir_graph(graph, x, n_steps, dt, if_reading="nir"):
    """Outputs of every node over time: ``{name: [batch, n_steps, *shape]}``.

    ``x`` is ``{input node name: [batch, *shape]}`` (or one array for a single input).
    """
    order, sources = _topological_order(graph)
    if not isinstance(x, dict):
        (input_name,) = [name for name in order if type(graph.nodes[name]).__name__ == "Input"]
        x = {input_name: x}
    states = {}
    history = {name: [] for name in order}
    for _ in range(n_steps):
        values = {}
        for name in order:
            node = graph.nodes[name]
            kind = type(node).__name__
            if kind == "Input":
                value = np.asarray(x[name], np.float64)
            else:
                value = _STEP[kind](node, sum(values[s] for s in sources[name]), states, name, dt, if_reading)
            values[name] = value
            history[name].append(value)
    return {name: np.stack(steps, axis=1) for name, steps in history.items()}


def _topological_order(graph):
    sources = {name: [] for name in graph.nodes}
    for source, target in graph.edges:
        sources[target].append(source)
    order, done = [], set()
    while len(order) < len(graph.nodes):
        ready = [name for name in graph.nodes if name not in done and all(s in done for s in sources[name])]
        assert ready, "the graph has a cycle"
        order.extend(ready)
        done.update(ready)
    return order, sources


def _affine(node, x, *_):
    return x @ np.asarray(node.weight, np.float64).T + node.bias


def _linear(node, x, *_):
    return x @ np.asarray(node.weight, np.float64).T


def _scale(node, x, *_):
    return x * node.scale


def _flatten(node, x, *_):
    start = node.start_dim + 1  # the batch axis comes first here
    end = x.ndim if node.end_dim == -1 else node.end_dim + 2
    return x.reshape(*x.shape[:start], -1, *x.shape[end:])


def _convolution(x, weight, bias, stride, padding, dilation, groups):
    """``x`` ``[batch, C_in, *spatial]``, ``weight`` ``[C_out, C_in / groups, *kernel]``."""
    rank = weight.ndim - 2
    x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    kernel = weight.shape[2:]
    out_spatial = [
        (x.shape[2 + a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1 for a in range(rank)
    ]
    c_out, c_in_group = weight.shape[:2]
    out_group = c_out // groups
    result = np.zeros((x.shape[0], c_out, *out_spatial))
    for tap in np.ndindex(*kernel):
        window = tuple(
            slice(tap[a] * dilation[a], tap[a] * dilation[a] + stride[a] * (out_spatial[a] - 1) + 1, stride[a])
            for a in range(rank)
        )
        patch = x[(slice(None), slice(None)) + window]
        for g in range(groups):
            inputs = patch[:, g * c_in_group:(g + 1) * c_in_group]
            taps = weight[(slice(g * out_group, (g + 1) * out_group), slice(None)) + tap]
            result[:, g * out_group:(g + 1) * out_group] += np.einsum("bi...,oi->bo...", inputs, taps)
    return result + np.asarray(bias).reshape(-1, *([1] * rank))


def _conv1d(node, x, *_):
    return _convolution(x, node.weight, node.bias, [node.stride], [node.padding], [node.dilation], node.groups)


def _conv2d(node, x, *_):
    return _convolution(x, node.weight, node.bias, node.stride, node.padding, node.dilation, node.groups)


def _average_pool(node, x, *_):
    (kernel_rows, kernel_cols), (stride_rows, stride_cols) = node.kernel_size, node.stride
    assert not np.any(node.padding), "the reference pools without padding"
    rows = (x.shape[2] - kernel_rows) // stride_rows + 1
    cols = (x.shape[3] - kernel_cols) // stride_cols + 1
    total = np.zeros((*x.shape[:2], rows, cols))
    for i, j in np.ndindex(kernel_rows, kernel_cols):
        total += x[:, :, i:i + stride_rows * (rows - 1) + 1:stride_rows, j:j + stride_cols * (cols - 1) + 1:stride_cols]
    return total / (kernel_rows * kernel_cols)


def _integrate_and_fire(node, current, states, name, dt, reading):
    voltage = states.get(name, np.zeros_like(current))
    if reading == "nir":
        voltage = voltage + dt * node.r * current
        spikes = (voltage > node.v_threshold).astype(np.float64)
        voltage = np.where(spikes > 0, node.v_reset, voltage)
    elif reading == "subtractive":
        voltage = voltage + dt * node.r * np.maximum(current, 0)
        spikes = np.floor(voltage / node.v_threshold)
        voltage = voltage - spikes * node.v_threshold
    elif reading == "clipped":
        voltage = voltage + dt * node.r * current
        spikes = np.maximum(np.floor(voltage / node.v_threshold), 0)
        voltage = np.maximum(voltage - spikes * node.v_threshold, -node.v_threshold)
    else:
        raise ValueError(f"unknown IF reading {reading!r}")
    states[name] = voltage
    return spikes / dt


def _leaky_integrate_and_fire(node, current, states, name, dt, reading):
    decay = np.exp(-dt / node.tau)
    target = node.v_leak + node.r * current
    voltage = states.get(name, np.zeros_like(current))
    voltage = target + (voltage - target) * decay
    spiked = voltage > node.v_threshold
    voltage = np.where(spiked, node.v_reset, voltage)
    if reading == "subtractive":
        voltage = np.maximum(voltage, 0)
    states[name] = voltage
    return spiked / dt


def _leaky_integrator(node, current, states, name, dt, _):
    decay = np.exp(-dt / node.tau)
    voltage = states.get(name, np.zeros_like(current))
    voltage = decay * voltage + (1 - decay) * (node.v_leak + node.r * current)
    states[name] = voltage
    return voltage


def _identity(node, x, *_):
    return x


_STEP = {
    "Affine": _affine,
    "Linear": _linear,
    "Scale": _scale,
    "Flatten": _flatten,
    "Conv1d": _conv1d,
    "Conv2d": _conv2d,
    "AvgPool2d": _average_pool,
    "IF": _integrate_and_fire,
    "LI": _leaky_integrator,
    "LIF": _leaky_integrate_and_fire,
    "Output": _identity,
}
