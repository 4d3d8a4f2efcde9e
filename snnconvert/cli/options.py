"""The choices and defaults of the Python API that the command line offers.

They are repeated here rather than imported because the modules that define them import
TensorFlow, and the command line answers ``--help`` and refuses bad arguments before
loading it (seconds otherwise). ``tests/cli/test_cli_startup.py`` checks that every value
here equals the API's.
"""

# snnconvert.neurons.NEURON_TYPES (its keys)
NEURON_TYPES = ("spiking", "integrate_and_fire", "rate", "lif", "lif_rate")
# snnconvert.conversion.context
MAX_POOLING_MODES = ("spiking", "average")
NON_SPIKING_MODES = ("error", "rate")
# snnconvert.simulation.state, snnconvert.simulation.encoding
INITIAL_STATES = ("uniform", "half", "zeros")
INPUT_ENCODINGS = ("constant", "poisson")
DEFAULT_MAX_RATE = 1000.0
# snnconvert.metrics.evaluation
READOUTS = ("last", "mean", "filtered")
# snnconvert.calibration
DEFAULT_PERCENTILE = 99.9
DEFAULT_TARGET_RATE = 1.0  # spikes per step

# The command line's own: samples drawn for --scale auto. On the MNIST CNN, 1,000 images
# give each layer's 99.9th percentile within about 1 % of the value on all 60,000.
CALIBRATION_SAMPLES = 1000
# --readout-steps and --readout-tau when their readout is chosen without them.
READOUT_STEPS = 10
READOUT_TAU = 0.01

# API parameter -> the flag that sets it, for messages of the API that reach the user.
FLAGS = {
    "scale_firing_rates": "--scale",
    "synapse": "--synapse",
    "n_steps": "--n-steps",
    "dt": "--dt",
    "batch_size": "--batch-size",
    "data_dir": "--data-dir",
    "pixel_scale": "--pixel-scale",
    "neuron_type": "--neuron-type",
    "max_pooling": "--max-pooling",
    "non_spiking": "--non-spiking",
    "initial_state": "--initial-state",
    "input_encoding": "--input-encoding",
    "max_rate": "--max-rate",
    "readout": "--readout",
    "readout_steps": "--readout-steps",
    "readout_tau": "--readout-tau",
    "percentile": "--percentile",
    "target_rate": "--target-rate",
}
