"""Which ``keras.applications`` architectures snnconvert converts, and how exactly.

Each architecture is built with random weights (``weights=None``, then randomised so
that activations are not vanishingly small) at a small input size, converted with
rate neurons and compared with ``model.predict``. Architectures that use layers with
no spiking equivalent are converted again with ``non_spiking="rate"``, and the table
says which layers needed it.

    python benchmarks/applications_matrix.py [NAME ...]
"""

import argparse
import sys
from pathlib import Path

import keras
import numpy as np

import snnconvert
from snnconvert.ir import NonSpikingActivationNode, NonSpikingLayerNode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "conversion"))
from conversion_helpers import randomize_weights  # noqa: E402

A = keras.applications
SIZES = {
    "MobileNet": 32, "MobileNetV2": 32, "MobileNetV3Small": 32, "ResNet50": 32, "ResNet50V2": 32,
    "VGG16": 32, "VGG19": 32, "DenseNet121": 32, "Xception": 71, "InceptionV3": 75,
    "InceptionResNetV2": 75, "NASNetMobile": 32, "EfficientNetB0": 32, "EfficientNetV2B0": 32,
    "ConvNeXtTiny": 32,
}


def check(name):
    size = SIZES[name]
    model = getattr(A, name)(weights=None, input_shape=(size, size, 3), classes=10, classifier_activation=None)
    randomize_weights(model)
    x = np.random.default_rng(0).uniform(0, 1, (2, size, size, 3)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    try:
        net, how = snnconvert.convert(model, neuron_type="rate"), "spiking"
    except snnconvert.ConversionError:
        net, how = snnconvert.convert(model, neuron_type="rate", non_spiking="rate"), "with non_spiking"
    output = net.run(x, 1, progress=False).output[:, 0]
    error = np.abs(output - expected).max() / np.abs(expected).max()
    rate_layers = sorted({
        node.function if isinstance(node, NonSpikingActivationNode) else type(node.layer).__name__
        for node in net.graph if isinstance(node, (NonSpikingActivationNode, NonSpikingLayerNode))
    })
    populations = len(net.graph.neuron_nodes)
    return how, error, populations, ", ".join(rate_layers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[*SIZES, []], metavar="NAME",
                        help=f"architectures to check (default: all of {', '.join(SIZES)})")
    args = parser.parse_args()
    print("| architecture | converts | max relative error | populations | non-spiking parts |")
    print("|---|---|---|---|---|")
    for name in args.names or SIZES:
        how, error, populations, rate_layers = check(name)
        print(f"| {name} | {how} | {error:.1e} | {populations} | {rate_layers or '-'} |", flush=True)


if __name__ == "__main__":
    main()
