"""Architectures from ``keras.applications`` (random weights, small inputs) convert and
match Keras in rate mode. ``benchmarks/applications_matrix.py`` prints the full list."""

import keras
import numpy as np
import pytest
from conversion_helpers import randomize_weights

import snnconvert

A = keras.applications

# name -> (builder, input size, conversion options). Those that need non_spiking use
# activations or layers with no spiking equivalent (swish, hard swish, ...).
ARCHITECTURES = {
    "MobileNet": (A.MobileNet, 32, {}),
    "MobileNetV2": (A.MobileNetV2, 32, {}),
    "ResNet50": (A.ResNet50, 32, {}),
    "VGG16": (A.VGG16, 32, {}),
    "DenseNet121": (A.DenseNet121, 32, {}),
    "Xception": (A.Xception, 71, {}),
    "InceptionV3": (A.InceptionV3, 75, {}),
    "EfficientNetB0": (A.EfficientNetB0, 32, {"non_spiking": "rate"}),
    "MobileNetV3Small": (A.MobileNetV3Small, 32, {"non_spiking": "rate"}),
}


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_application_matches_keras_in_rate_mode(name):
    build, size, options = ARCHITECTURES[name]
    keras.utils.set_random_seed(0)
    model = randomize_weights(build(weights=None, input_shape=(size, size, 3), classes=10,
                                    classifier_activation=None))
    x = np.random.default_rng(0).uniform(0, 1, (2, size, size, 3)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    assert np.abs(expected).max() > 1e-2
    net = snnconvert.convert(model, neuron_type="rate", **options)
    output = net.run(x, 1, progress=False).output[:, 0]
    # Float32 sums in a different order over 50-200 layers: relative agreement to 1e-4.
    np.testing.assert_allclose(output, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_spiking_activation_needs_the_opt_in():
    model = A.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=10)
    with pytest.raises(snnconvert.ConversionError, match="silu.*non_spiking"):
        snnconvert.convert(model)
