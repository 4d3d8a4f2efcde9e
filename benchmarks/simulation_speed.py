"""How fast is a spiking simulation compared with the Keras model it came from?

On one batch of MNIST test images this times, in the same run:

  (a) the Keras model's own inference (a compiled ``tf.function``) called ``n_steps``
      times, i.e. what it costs to show the image to the ANN once per timestep;
  (b) snnconvert's spiking simulation of ``n_steps`` steps, at each ``--scale``, with
      and without a synapse, as shipped (XLA and the compiled CPU kernels) and as plain
      TensorFlow ops (``--plain``: ``jit_compile=False, kernels=False``).

It prints the ratio b/a (lower is better; <= 1 means the simulation of the whole
window costs no more than ``n_steps`` ANN passes) and images*steps per second.
Each figure is the best of ``--repeats`` runs after a warm-up, all measured in turns.

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
    parser.add_argument("--scale", type=float, nargs="+", default=[10.0, 100.0, 1000.0])
    parser.add_argument("--synapse", type=float, default=0.005)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--plain", action="store_true", help="also time plain TensorFlow ops (no XLA, no kernels)")
    args = parser.parse_args(argv)

    images, _ = load_dataset("mnist", "test", data_dir=args.data_dir)
    batch = (images[: args.batch_size, ..., None] / 255.0).astype(np.float32)

    keras_model = load_keras_model(args.model)
    keras_call = tf.function(lambda x: keras_model(x, training=False))

    def keras_window():
        for _ in range(args.n_steps):
            keras_call(batch).numpy()

    runs = {"keras x n_steps": keras_window}
    for scale in args.scale:
        for synapse in (None, args.synapse):
            network = snnconvert.convert(keras_model, scale_firing_rates=scale, synapse=synapse)
            for compiled in (True, False) if args.plain else (True,):
                label = f"snn scale={scale:g} synapse={synapse or 'none'}" + ("" if compiled else " plain")
                runs[label] = functools.partial(network.run, batch, args.n_steps, batch_size=args.batch_size,
                                                progress=False, jit_compile=compiled, kernels=compiled)
    timings = best_times(runs, args.repeats)
    reference = timings["keras x n_steps"]
    work = args.batch_size * args.n_steps
    rows = [
        (label, f"{elapsed * 1e3:.1f}", f"{elapsed / reference:.2f}", f"{work / elapsed:,.0f}")
        for label, elapsed in timings.items()
    ]

    print(f"model {args.model}, batch {args.batch_size}, n_steps {args.n_steps}, "
          f"{os.cpu_count()} CPU cores, TensorFlow {tf.__version__}")
    for line in format_table(("run", "time ms", "b/a", "images*steps/s"), rows):
        print(line)


if __name__ == "__main__":
    main()
