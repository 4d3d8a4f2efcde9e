"""Does ``scale_firing_rates="auto"`` keep the Keras accuracy in few steps, and at what cost?

For the MNIST and Fashion-MNIST CNNs of ``models/`` (trained on pixels in [0, 1]) this
calibrates the scales on ``--calibration-samples`` training images (drawn at random,
seed 0), evaluates on the full test sets (10,000 images), and prints, per setting:
steps, accuracy, the Keras accuracy on the same images, the difference in points,
spikes per image, and the target it is held to (issue #5):

* MNIST, automatic calibration: within 0.3 points at 16 steps, within 0.1 at 32;
* Fashion-MNIST, automatic calibration: within 0.5 points at 32 steps;
* beside them, the settings a NengoDL user would try by hand: scale 10 or 100,
  synapse 5 or 10 ms, 30 steps.

The automatic rows use a 5 ms synapse (``--synapse``) and read the last step, as the
hand-set rows do. Further rows show the trade-off: other target rates
(``--compare-rates``), and automatic scales without a synapse, read out as the mean
over all steps. Runs are independent: the accuracy at 16 steps comes from a 16-step
run, with its own spike count.

    python benchmarks/calibration_targets.py --data-dir ../shared/data
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import snnconvert  # noqa: E402
from snnconvert._tables import format_table  # noqa: E402
from snnconvert.data import load_dataset  # noqa: E402

MODELS = {"mnist": "models/mnist_cnn.h5", "fashion_mnist": "models/fashion_mnist_cnn.h5"}
# (steps, largest shortfall in points) of the automatic setting, per dataset.
TARGETS = {"mnist": ((16, 0.3), (32, 0.1)), "fashion_mnist": ((32, 0.5),)}
BASELINES = tuple((scale, synapse) for scale in (10, 100) for synapse in (0.005, 0.01))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None, help="folder with mnist/ and fashion-mnist/ (default: "
                        "$SNNCONVERT_DATA)")
    parser.add_argument("--datasets", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--n-test", type=int, default=None, help="first N test images (default: all)")
    parser.add_argument("--calibration-samples", type=int, default=1000)
    parser.add_argument("--percentile", type=float, default=99.9)
    parser.add_argument("--target-rate", type=float, default=1.0, help="spikes per step (default 1)")
    parser.add_argument("--synapse", type=float, default=0.005, help="synapse of the automatic rows (s)")
    parser.add_argument("--compare-rates", type=float, nargs="*", default=[0.5, 2.0],
                        help="other target rates (spikes per step) to show, at the longest target's steps")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--no-baselines", action="store_true", help="skip the hand-set NengoDL-style rows")
    args = parser.parse_args(argv)
    tf.get_logger().setLevel("ERROR")  # each network compiles its own windows; the retracing notices are noise

    header = ("dataset", "setting", "steps", "accuracy", "Keras", "diff (points)", "spikes/img", "target", "time s")
    rows = []
    for dataset in args.datasets:
        rows.extend(_dataset_rows(dataset, args))
    print()
    print("\n".join(format_table(header, rows)))


def _dataset_rows(dataset, args):
    model = snnconvert.load_keras_model(MODELS[dataset])
    train, _ = load_dataset(dataset, "train", data_dir=args.data_dir)
    test, labels = load_dataset(dataset, "test", data_dir=args.data_dir)
    if args.n_test:
        test, labels = test[: args.n_test], labels[: args.n_test]
    chosen = np.sort(np.random.default_rng(0).choice(len(train), args.calibration_samples, replace=False))
    calibration_x = _scaled(train[chosen])
    x = _scaled(test)
    keras_accuracy = float(np.mean(model.predict(x, batch_size=500, verbose=0).argmax(axis=1) == labels))

    start = time.perf_counter()
    calibration = snnconvert.calibrate(model, calibration_x, percentile=args.percentile,
                                       target_rate=args.target_rate, batch_size=args.batch_size)
    print(f"{dataset}: Keras accuracy {keras_accuracy:.2%} on {len(labels):,} test images; "
          f"calibrated in {time.perf_counter() - start:.1f} s: {calibration.describe()}", flush=True)

    def evaluate(setting, scales, synapse, n_steps, target=None, **options):
        network = snnconvert.convert(model, scale_firing_rates=scales, synapse=synapse or None)
        start = time.perf_counter()
        result = network.evaluate(x, labels, n_steps, batch_size=args.batch_size, compare_keras=False,
                                  progress=False, **options)
        difference = 100 * (result.accuracy - keras_accuracy)
        verdict = "" if target is None else f"{'met' if difference >= -target else 'MISSED'} (>= -{target:g})"
        row = (dataset, setting, n_steps, f"{result.accuracy:.2%}", f"{keras_accuracy:.2%}", f"{difference:+.2f}",
               f"{result.spikes_per_image:,.0f}", verdict, f"{time.perf_counter() - start:.0f}")
        print("  ", "  ".join(map(str, row)), flush=True)
        return row

    def auto(rate, synapse):
        return f"auto p{args.percentile:g} {rate:g}/step, " + (f"synapse {synapse * 1e3:g} ms" if synapse else
                                                               "no synapse, mean readout")

    rows = [evaluate(auto(args.target_rate, args.synapse), calibration, args.synapse, steps, target)
            for steps, target in TARGETS[dataset]]
    longest = max(steps for steps, _ in TARGETS[dataset])
    for rate in args.compare_rates:
        scales = snnconvert.calibrate(model, calibration_x, percentile=args.percentile, target_rate=rate,
                                      batch_size=args.batch_size)
        rows.append(evaluate(auto(rate, args.synapse), scales, args.synapse, longest))
    rows.append(evaluate(auto(args.target_rate, None), calibration, None, longest, readout="mean",
                         readout_steps=longest))
    if not args.no_baselines:
        for scale, synapse in BASELINES:
            rows.append(evaluate(f"scale {scale}, synapse {synapse * 1e3:g} ms", scale, synapse, 30))
    return rows


def _scaled(images):
    return (images[..., None] / np.float32(255)).astype(np.float32)


if __name__ == "__main__":
    main()
