"""The table of conversion rules, keyed by Keras layer class.

A rule is a function ``rule(layer, inputs, context) -> output node name(s)``
registered for one or more Keras layer classes. Options a rule does not support are
declared next to it as data, so the walker can refuse them with a precise message
before the rule runs.
"""

import dataclasses

from snnconvert.errors import ConversionError

_RULES = {}


@dataclasses.dataclass(frozen=True)
class Rule:
    convert: object
    # config key -> the values this rule accepts (anything else is refused)
    supported_values: dict


def register(*layer_types, supported_values=None):
    """Decorator: make ``function`` the conversion rule for ``layer_types``.

    Args:
        supported_values: ``{config_key: allowed values}``; a layer whose config holds
            another value for that key raises a :class:`ConversionError`.
    """

    def decorator(function):
        rule = Rule(function, dict(supported_values or {}))
        for layer_type in layer_types:
            if layer_type in _RULES:
                raise ValueError(f"A conversion rule for {layer_type.__name__} already exists.")
            _RULES[layer_type] = rule
        return function

    return decorator


def has_rule(layer):
    return type(layer) in _RULES


def find_rule(layer):
    """The rule for ``layer``'s exact class (a subclass may change ``call``, so no MRO walk)."""
    rule = _RULES.get(type(layer))
    if rule is None:
        supported = ", ".join(sorted({t.__name__ for t in _RULES}))
        raise ConversionError(
            f"Layer {layer.name!r} of type {type(layer).__name__} has no spiking "
            f"equivalent in snnconvert. Supported layer types: {supported}. Replace the "
            "layer in the Keras model (and retrain or copy weights), or run it as a "
            f"non-spiking layer with non_spiking=['{layer.name}'] (or non_spiking='rate')."
        )
    # Only read the config when needed: serialising a layer that holds a lambda fails.
    config = layer.get_config() if rule.supported_values else {}
    for key, allowed in rule.supported_values.items():
        value = config.get(key)
        if _normalise(value) not in [_normalise(v) for v in allowed]:
            raise ConversionError(
                f"Layer {layer.name!r} ({type(layer).__name__}) uses {key}={value!r}, which "
                f"snnconvert does not convert yet; supported: {', '.join(map(repr, allowed))}. "
                "Rebuild the layer with a supported value."
            )
    return rule


def _normalise(value):
    return tuple(value) if isinstance(value, list) else value


def supported_layer_types():
    return sorted(_RULES, key=lambda layer_type: layer_type.__name__)
