"""How fast is a spiking simulation compared with the Keras model it came from?

On one batch of MNIST test images this times, in the same run:

  (a) the Keras model's own inference (a compiled ``tf.function``) called ``n_steps``
      times, i.e. what it costs to show the image to the ANN once per timestep;
  (b) snnconvert's spiking simulation of ``n_steps`` steps, with and without a synapse,
      with and without XLA.

It prints the ratio b/a (lower is better; <= 1 means the simulation of the whole
window costs no more than ``n_steps`` ANN passes) and images*steps per second.
Each figure is the best of ``--repeats`` runs after a warm-up.

    python benchmarks/simulation_speed.py --model models/mnist_cnn.h5 --data-dir ../shared/data
"""

import argparse
import functools
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import snnconvert  # noqa: E402
from snnconvert._tables import format_table  # noqa: E402
from snnconvert.data import load_dataset  # noqa: E402
from snnconvert.loading import load_keras_model  # noqa: E402


def best_times(functions, repeats):
    """The best of ``repeats`` timings of each function, measured in turns (a, b, c, a,
    b, c, ...) so that a passing load on the machine slows them all alike."""
    for function in functions.values():
        function()  # warm-up: tracing and compilation are not what we measure
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: min(values) for name, values in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/mnist_cnn.h5")
    parser.add_argument("--data-dir", default=None, help="folder with mnist/ (default: $SNNCONVERT_DATA)")
    parser.add_argument("--n-steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--synapse", type=float, default=0.005)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    images, _ = load_dataset("mnist", "test", data_dir=args.data_dir)
    batch = (images[: args.batch_size, ..., None] / 255.0).astype(np.float32)

    keras_model = load_keras_model(args.model)
    keras_call = tf.function(lambda x: keras_model(x, training=False))

    def keras_window():
        for _ in range(args.n_steps):
            keras_call(batch).numpy()

    runs = {"keras x n_steps": keras_window}
    for synapse in (None, args.synapse):
        network = snnconvert.convert(keras_model, scale_firing_rates=args.scale, synapse=synapse)
        for jit in (False, True):
            label = f"snn synapse={synapse or 'none'} compiled={'on' if jit else 'off'}"
            runs[label] = functools.partial(network.run, batch, args.n_steps, batch_size=args.batch_size,
                                            progress=False, jit_compile=jit)
    timings = best_times(runs, args.repeats)
    reference = timings["keras x n_steps"]
    work = args.batch_size * args.n_steps
    rows = [
        (label, f"{elapsed * 1e3:.1f}", f"{elapsed / reference:.2f}", f"{work / elapsed:,.0f}")
        for label, elapsed in timings.items()
    ]

    print(f"model {args.model}, batch {args.batch_size}, n_steps {args.n_steps}, scale {args.scale:g}, "
          f"{os.cpu_count()} CPU cores, TensorFlow {tf.__version__}")
    for line in format_table(("run", "time ms", "b/a", "images*steps/s"), rows):
        print(line)


if __name__ == "__main__":
    main()
