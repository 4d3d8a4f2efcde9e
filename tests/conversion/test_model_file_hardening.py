"""Hostile model files and huge option values end in one short, clear error.

A model file is untrusted input: whatever it holds (a decompression bomb, JSON nested
100,000 deep, a number of 5,000 digits, a Lambda entry of the wrong type) must end in a
single-line ``ModelLoadError`` naming the file and the problem, never in a traceback,
a MemoryError or code being run. A huge option value must not make a huge message.
"""

import keras
import numpy as np
import pytest
from conversion_helpers import seq

import snnconvert
from snnconvert import ConversionError

L = keras.layers
# Room for the fixed wording of the longest message plus two abbreviated values.
MESSAGE_BOUND = 1000
OPTION_MESSAGE_BOUND = 500


def small_model():
    return seq((4,), L.Dense(3, activation="relu", name="hidden"), L.Dense(2, name="out"))


# ------------------------------------------------------------ huge option values
HUGE = "x" * 20_000_000
HUGE_OPTIONS = {
    "scale_firing_rates_string": ({"scale_firing_rates": HUGE}, ValueError, "scale_firing_rates='xxxx"),
    "scale_firing_rates_key": ({"scale_firing_rates": {HUGE: 2.0}}, ConversionError, "`scale_firing_rates` names ['xxxx"),
    "scale_firing_rates_key_bad_value": ({"scale_firing_rates": {HUGE: 0}}, ValueError, "scale_firing_rates['xx"),
    "scale_firing_rates_huge_int": ({"scale_firing_rates": 7 * 10**5000}, ValueError, "<int of 5001 digits>"),
    "synapse_string": ({"synapse": HUGE}, ValueError, "synapse='xxxx"),
    "neuron_type": ({"neuron_type": HUGE}, ValueError, "neuron_type='xxxx"),
    "max_pooling": ({"max_pooling": HUGE}, ValueError, "max_pooling='xxxx"),
    "non_spiking_names": ({"non_spiking": [f"layer{i}" for i in range(100_000)]}, ConversionError, "`non_spiking` names ['layer0'"),
    "non_spiking_mixed": ({"non_spiking": [HUGE, 3]}, ValueError, "non_spiking=['xxxx"),
    "swap_activations": ({"swap_activations": {HUGE: "lif"}}, ConversionError, "activations ['xxxx"),
    "target_rate": (
        {"scale_firing_rates": "auto", "calibration_data": np.ones((2, 4), np.float32), "target_rate": HUGE},
        ValueError,
        "target_rate='xxxx",
    ),
}


@pytest.mark.parametrize("options, error_type, part", HUGE_OPTIONS.values(), ids=HUGE_OPTIONS.keys())
def test_huge_option_value_gives_a_short_message(options, error_type, part):
    with pytest.raises(error_type) as error:
        snnconvert.convert(small_model(), **options)
    message = str(error.value)
    assert len(message) < OPTION_MESSAGE_BOUND, f"{len(message)} characters: {message[:300]}..."
    assert part in message, message
