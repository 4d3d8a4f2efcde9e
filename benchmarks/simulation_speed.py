"""How fast is a spiking simulation compared with the Keras model it came from?

For each ``--model``, on one batch of its dataset's test images, this times in turns:

  (a) the Keras model's own inference (a compiled ``tf.function``) called ``n_steps``
      times, i.e. what it costs to show the image to the ANN once per timestep;
  (b) snnconvert's spiking simulation of ``n_steps`` steps, at each ``--scale`` (a number,
      or ``auto``: scales calibrated on the first 1,000 training images, as a user would),
      with and without a synapse, as shipped (XLA and the compiled CPU kernels) and as
      plain TensorFlow ops (``--plain``: ``jit_compile=False, kernels=False``).

It prints one table: the ratio b/a per model and run (lower is better; <= 1 means the
simulation of the whole window costs no more than ``n_steps`` ANN passes), in wall time
and in CPU time (steadier on a shared machine), and images*steps per second. Each
figure is the best of ``--repeats`` runs after a warm-up; a model's runs, its Keras
passes included, are measured in turns.

The dataset of a model is ``fashion_mnist`` if its file name says "fashion", else
``mnist``; ``--dataset`` (once per model, in order) overrides that.

    python benchmarks/simulation_speed.py --model models/mnist_cnn.h5 \\
        --model models/vgg_bn_mnist.h5 --scale auto --n-steps 16 --data-dir ../shared/data
"""

import argparse
import functools
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import snnconvert  # noqa: E402
from snnconvert._tables import format_table  # noqa: E402
from snnconvert.data import load_dataset  # noqa: E402
from snnconvert.loading import load_keras_model  # noqa: E402

CALIBRATION_IMAGES = 1000


def best_times(functions, repeats):
    """The best of ``repeats`` timings of each function, ``(wall, cpu)`` seconds, measured
    in turns (a, b, c, a, b, c, ...) so that a passing load on the machine slows them all
    alike. CPU time (of all threads of the process) is what the work costs whatever else
    runs on the machine; wall time is what a user waits on an idle one."""
    for function in functions.values():
        function()  # warm-up: tracing and compilation are not what we measure
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            wall, cpu = time.perf_counter(), time.process_time()
            function()
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    return {name: tuple(min(column) for column in zip(*values)) for name, values in times.items()}


def dataset_of(model_path, given):
    if given is not None:
        return given
    return "fashion_mnist" if "fashion" in Path(model_path).name.lower() else "mnist"


def images(dataset, split, count, data_dir):
    pixels, _ = load_dataset(dataset, split, data_dir=data_dir)
    return (pixels[:count, ..., None] / 255.0).astype(np.float32)


def parse_scale(text):
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a scale is a number or 'auto', not {text!r}") from None


def model_runs(path, dataset, args):
    """``{label: function}`` for one model: its Keras passes and every simulation, per
    number of steps."""
    batch = images(dataset, "test", args.batch_size, args.data_dir)
    keras_model = load_keras_model(path)
    keras_call = tf.function(lambda x: keras_model(x, training=False))

    def keras_window(n_steps):
        for _ in range(n_steps):
            keras_call(batch).numpy()

    runs = {}
    for n_steps in args.n_steps:
        runs[("keras", n_steps)] = functools.partial(keras_window, n_steps)
    for scale in args.scale:
        calibration = images(dataset, "train", CALIBRATION_IMAGES, args.data_dir) if scale == "auto" else None
        for synapse in (None, args.synapse):
            network = snnconvert.convert(keras_model, scale_firing_rates=scale, synapse=synapse,
                                         calibration_data=calibration)
            for compiled in (True, False) if args.plain else (True,):
                label = f"scale={scale:g}" if scale != "auto" else "scale=auto"
                label += f" synapse={synapse or 'none'}" + ("" if compiled else " plain")
                for n_steps in args.n_steps:
                    runs[(label, n_steps)] = functools.partial(
                        network.run, batch, n_steps, batch_size=args.batch_size, progress=False,
                        jit_compile=compiled, kernels=compiled,
                    )
    return runs


def table_rows(name, timings, batch_size):
    rows = []
    for (label, n_steps), (wall, cpu) in timings.items():
        reference_wall, reference_cpu = timings[("keras", n_steps)]
        shown = f"keras x {n_steps}" if label == "keras" else label
        rows.append((name, n_steps, shown, f"{wall * 1e3:.1f}", f"{wall / reference_wall:.2f}",
                     f"{cpu * 1e3:.1f}", f"{cpu / reference_cpu:.2f}", f"{batch_size * n_steps / wall:,.0f}"))
    return rows


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", help="a model file; repeat for several "
                        "(default: models/mnist_cnn.h5)")
    parser.add_argument("--dataset", action="append", choices=("mnist", "fashion_mnist"),
                        help="the dataset of each --model, in order (default: from the file name)")
    parser.add_argument("--data-dir", default=None, help="folder with mnist/ (default: $SNNCONVERT_DATA)")
    parser.add_argument("--n-steps", type=int, nargs="+", default=[30])
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--scale", type=parse_scale, nargs="+", default=[10.0, 100.0, 1000.0],
                        help="numbers, or auto (calibrated on 1,000 training images)")
    parser.add_argument("--synapse", type=float, default=0.005)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--plain", action="store_true", help="also time plain TensorFlow ops (no XLA, no kernels)")
    args = parser.parse_args(argv)
    args.model = args.model or ["models/mnist_cnn.h5"]
    if args.dataset is not None and len(args.dataset) != len(args.model):
        parser.error(f"--dataset was given {len(args.dataset)} times for {len(args.model)} --model: give it "
                     "once per model, in the same order, or never (then the file names decide)")
    args.dataset = args.dataset or [None] * len(args.model)
    return args


def main(argv=None):
    args = parse_arguments(argv)
    rows = []
    for path, given in zip(args.model, args.dataset):
        timings = best_times(model_runs(path, dataset_of(path, given), args), args.repeats)
        rows += table_rows(Path(path).stem, timings, args.batch_size)
    print(f"batch {args.batch_size}, best of {args.repeats}, {os.cpu_count()} CPU cores, "
          f"TensorFlow {tf.__version__}; b/a = time / time of n_steps Keras passes")
    header = ("model", "n_steps", "run", "wall ms", "b/a wall", "cpu ms", "b/a cpu", "images*steps/s")
    for line in format_table(header, rows):
        print(line)


if __name__ == "__main__":
    main()
