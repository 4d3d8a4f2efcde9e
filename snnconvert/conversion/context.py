"""State shared by the conversion rules while one model is converted."""

import contextlib
import numbers

import numpy as np

from snnconvert._validation import check_choice, check_positive_number, short_repr
from snnconvert.errors import ConversionError
from snnconvert.ir import NeuronNode, Rectifier, SynapseNode
from snnconvert.neurons import as_neuron_type
from snnconvert.synapses import as_synapse

MAX_POOLING_MODES = ("spiking", "average")
NON_SPIKING_MODES = ("error", "rate")


class ConversionContext:
    """Collects IR nodes and resolves per-layer options for the rules.

    Args:
        neuron_type: the :class:`~snnconvert.neurons.NeuronType` for every population.
        scale_firing_rates: a positive number, or ``{layer name: factor}`` (layers not
            named are unscaled).
        synapse: ``None``, a time constant in seconds, or ``{layer name: value}``.
        max_pooling: ``"spiking"`` or ``"average"`` (see :func:`~snnconvert.convert`).
        non_spiking: ``"error"``, ``"rate"`` or the names of layers allowed to run as
            non-spiking rate layers.
        swap_activations: ``{activation name: NeuronType}``: activations (e.g. a
            custom LIF-like one) that become populations of that neuron type.
    """

    def __init__(self, neuron_type, scale_firing_rates=1.0, synapse=None, *, max_pooling="spiking",
                 non_spiking="error", swap_activations=None):
        self.neuron_type = neuron_type
        self._swaps = _check_swaps(swap_activations)
        self._swaps_used = set()
        self.max_pooling = check_choice("max_pooling", max_pooling, MAX_POOLING_MODES)
        self._non_spiking = _non_spiking_table(non_spiking)
        self._layer_options = {
            "scale_firing_rates": _per_layer("scale_firing_rates", scale_firing_rates, 1.0, _check_scale),
            "synapse": _per_layer("synapse", synapse, None, _check_synapse),
        }
        # option -> {key of its table: the scoped names of the layers that took their value from it}
        self._option_matches = {option: {} for option in self._layer_options}
        self.nodes = []
        self.notes = []
        self._names = set()
        self._scope = []
        self._neuron_layers = []
        self._rate_layers_used = set()
        # Set by the walker before each rule runs.
        self.output_shapes = []
        self.is_model_output = False
        self.call_arguments = None  # the Keras node's arguments (tensors and constants)
        self.call_tensors = ()  # its input tensors, in the order of the rule's ``inputs``

    @property
    def output_shape(self):
        return self.output_shapes[0]

    @contextlib.contextmanager
    def scope(self, model_name):
        """Inside, node names get the prefix ``model_name/`` (a nested model's layers)."""
        self._scope.append(model_name)
        try:
            yield
        finally:
            self._scope.pop()

    def scoped(self, name):
        """``name`` as it appears in the graph: prefixed by the nested models around it."""
        return "/".join([*self._scope, name])

    def add(self, node_type, *, name, inputs, shape, source, **params):
        """Append a node and return its (unique) name.

        A layer called several times gets ``name#2``, ``name#3``...: Keras never puts
        ``#`` in the names it generates, so these cannot collide with another layer.
        """
        name, source = self.scoped(name), self.scoped(source)
        unique = name
        call = 1
        while unique in self._names:
            call += 1
            unique = f"{name}#{call}"
        self._names.add(unique)
        params = {k: _as_float32(v) for k, v in params.items()}
        self.nodes.append(
            node_type(name=unique, inputs=tuple(inputs), shape=tuple(shape), source=source, **params)
        )
        return unique

    def shape_of(self, name):
        return next(node.shape for node in reversed(self.nodes) if node.name == name)

    def add_neurons(self, layer, x, rectifier=Rectifier(), neuron_type=None):
        """A population reading ``x`` with response ``rectifier`` (plain ReLU by
        default), with ``layer``'s scale and synapse; of ``neuron_type`` if given,
        else of the conversion's neuron type."""
        key = self.scoped(layer.name)
        neuron_type = neuron_type or self.neuron_type
        if not rectifier.is_plain and not neuron_type.rectified:
            raise ConversionError(
                f"Layer {layer.name!r} ({type(layer).__name__}) is a ReLU with options ({rectifier}), "
                f"which {type(neuron_type).__name__} neurons cannot reproduce; they replace plain "
                "ReLUs only. Use the rectified-linear neuron types for this model."
            )
        scale, synapse = self._option_for("scale_firing_rates", layer), self._option_for("synapse", layer)
        self._neuron_layers.append(key)
        neurons = self.add(
            NeuronNode,
            name=f"{layer.name}.neurons",
            inputs=[x],
            shape=self.shape_of(x),
            source=layer.name,
            neuron_type=neuron_type,
            gain=scale,
            amplitude=neuron_type.amplitude / scale,
            rectifier=rectifier,
        )
        if synapse is None:
            return neurons
        return self.add(
            SynapseNode,
            name=f"{layer.name}.synapse",
            inputs=[neurons],
            shape=self.shape_of(neurons),
            source=layer.name,
            synapse=synapse,
        )

    def _option_for(self, option, layer):
        """``layer``'s value of a per-layer option: a nested model's layer is found by its
        scoped name or by its own name; otherwise the global value. Which key served which
        layer is recorded: :meth:`check_layer_options_used` refuses an own name that served
        several layers."""
        table, scoped = self._layer_options[option], self.scoped(layer.name)
        key = next((name for name in (scoped, layer.name) if name in table), None)
        self._option_matches[option].setdefault(key, set()).add(scoped)
        return table[key]

    def swapped_neuron_type(self, activation):
        """The neuron type ``swap_activations`` gives ``activation``, or ``None``."""
        if activation in self._swaps:
            self._swaps_used.add(activation)
        return self._swaps.get(activation)

    def allows_rate_layer(self, layer):
        """Whether ``layer`` may run as a non-spiking (rate) layer (named by its own
        name or, inside a nested model, its scoped one)."""
        allowed = self._non_spiking
        return allowed is True or layer.name in allowed or self.scoped(layer.name) in allowed

    def refuse_or_allow(self, layer, what):
        """Raise the error for a layer with no spiking meaning unless it was allowed to
        run as a rate layer; ``what`` says what about the layer has no equivalent."""
        key = self.scoped(layer.name)
        if self.allows_rate_layer(layer):
            self._rate_layers_used.update({key, layer.name})
            return
        raise ConversionError(
            f"Layer {layer.name!r} ({type(layer).__name__}) {what}, which has no spiking "
            "equivalent in snnconvert. Replace it in the Keras model (e.g. by relu) and "
            f"retrain, or run it as a non-spiking rate layer with non_spiking=['{key}'] "
            "(or non_spiking='rate' for all such layers)."
        )

    def check_layer_options_used(self):
        """Per-layer options must name layers that own neurons, each name one layer (an own
        name that several nested layers share is ambiguous); a typo is not ignored."""
        known = set(self._neuron_layers) | {name.rsplit("/", 1)[-1] for name in self._neuron_layers}
        for option, table in self._layer_options.items():
            unknown = sorted(name for name in table if name is not None and name not in known)
            if unknown:
                raise ConversionError(
                    f"`{option}` names {short_repr(unknown)}, which are not layers with neurons in this "
                    f"model. Layers with neurons: {self._neuron_layers}."
                )
            for name, layers in self._option_matches[option].items():
                if name is not None and len(layers) > 1:
                    layers = sorted(layers)
                    raise ConversionError(
                        f"`{option}` names {name!r}, which matches several layers with neurons: {layers} "
                        "(a nested model's layer is also found by its own name). Name each layer you mean "
                        f"by its scoped name, one of {layers}, e.g. {option}={{{layers[-1]!r}: ...}}."
                    )
        unused = sorted(set(self._swaps) - self._swaps_used)
        if unused:
            raise ConversionError(
                f"`swap_activations` names activations {short_repr(unused)} that no layer of this model uses."
            )
        if self._non_spiking is not True:
            unused = sorted(self._non_spiking - self._rate_layers_used)
            if unused:
                raise ConversionError(
                    f"`non_spiking` names {short_repr(unused)}, which are not layers of this model that lack a "
                    "spiking equivalent; only such layers can run as rate layers."
                )


def _check_swaps(value):
    """``{activation name: NeuronType}``, checked."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(name, str) for name in value):
        raise ValueError(
            "`swap_activations` must be a dict of activation name -> neuron type, e.g. "
            f"{{'soft_lif': snnconvert.LIF()}}. Received: swap_activations={short_repr(value)}"
        )
    return {name: as_neuron_type(neuron_type) for name, neuron_type in value.items()}


def _non_spiking_table(value):
    """``True`` (any layer may run as a rate layer) or the set of layer names allowed."""
    if isinstance(value, str):
        check_choice("non_spiking", value, NON_SPIKING_MODES)
        return value == "rate" or set()
    try:
        names = set(value)
    except TypeError:
        names = None
    if names is None or not all(isinstance(name, str) for name in names):
        raise ValueError(
            f"`non_spiking` must be 'error', 'rate' or a list of layer names. Received: non_spiking={short_repr(value)}"
        )
    return names


def _per_layer(option, value, default, check):
    """``{None: global value, layer name: value, ...}`` from a number or a dict."""
    if isinstance(value, dict):
        table = {None: default}
        for layer_name, layer_value in value.items():
            if not isinstance(layer_name, str):
                raise ValueError(f"`{option}` keys must be layer names. Received key {short_repr(layer_name)}.")
            table[layer_name] = check(layer_value, f"{option}[{short_repr(layer_name)}]")
        return table
    return {None: check(value, option)}


def _check_scale(value, name="scale_firing_rates"):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a positive number or a dict of them. Received: {short_repr(value)}")
    return check_positive_number(name, value)


def _check_synapse(value, name):
    try:
        return as_synapse(value)
    except ValueError as error:
        message = str(error).replace("`synapse`", f"`{name}`").replace("synapse=", f"{name}=")
        raise ValueError(message) from None


def _as_float32(value):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float32)
    return value
