"""Load TensorFlow for the command line without its start-up chatter.

On a machine without a GPU, ``import tensorflow`` writes
"All log messages before absl::InitializeLog() ..." and "Could not find cuda drivers"
twice (two libraries, each logging before absl is set up, so ``TF_CPP_MIN_LOG_LEVEL`` does
not reach them), then the cpu_feature_guard notice; the first device query adds
"E0000 ... failed call to cuInit: ... UNKNOWN ERROR (303)", which reads like a failure
but only says there is no GPU driver. Those are written by C++ straight to file
descriptor 2, so only redirecting it silences them: around the import and the device
query, into a temporary file whose other lines are written back afterwards, so that a
real problem still shows. Later C++ messages are filtered by ``TF_CPP_MIN_LOG_LEVEL``
(2: errors only, unless the user set it), Python ones (e.g. the retracing warning of a
sweep, which builds a network per setting) by the loggers' levels. oneDNN stays on;
only its notice goes. ``SNNCONVERT_TF_LOGS=1`` shows everything, for debugging.
"""

import contextlib
import logging
import os
import re
import sys
import tempfile

# An absl/glog line: severity and date, time, thread, file:line] message.
_LOG_LINE = re.compile(r"^([IWEF])\d{4} [\d:.]+\s+\d+ \S+:\d+\] ?(.*)$")
_NOISE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "To enable the following instructions:",  # the cpu_feature_guard notice's second line
)
_NO_DRIVER = "Could not find cuda drivers"
# Errors that change nothing: cuInit failing where "Could not find cuda drivers" already
# said there is no driver, and CUDA plugins registering twice (on GPU machines).
_NO_DRIVER_ERROR = "failed call to cuInit"
_HARMLESS_ERROR = "Unable to register cu"


def import_tensorflow_quietly():
    """Import TensorFlow (and query its devices) with only the messages that matter shown."""
    if os.environ.get("SNNCONVERT_TF_LOGS", "").strip() not in ("", "0"):
        import tensorflow  # noqa: F401
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _filtered_stderr():
        import tensorflow as tf

        # CUDA is probed here, not at the first op inside a progress bar. Only physical
        # devices: a multi-worker strategy can still be set up afterwards.
        tf.config.list_physical_devices()
    tf.get_logger().setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)  # Keras's notes when reading .h5 files


@contextlib.contextmanager
def _filtered_stderr():
    """Send file descriptor 2 to a temporary file; on leaving, write back what is not noise."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = keep_lines(captured.read().decode(errors="replace").splitlines())
            if kept:
                print("\n".join(kept), file=sys.stderr)


def keep_lines(lines):
    """The lines of TensorFlow's start-up output that say something: every line but the
    known notices, informational and warning log lines, and errors known to be harmless."""
    no_driver = any(_NO_DRIVER in line for line in lines)
    kept = []
    for line in lines:
        match = _LOG_LINE.match(line)
        if line.startswith(_NOISE) or (match and match.group(1) in "IW"):
            continue
        if match and match.group(1) == "E" and (
                _HARMLESS_ERROR in line or (no_driver and _NO_DRIVER_ERROR in line)):
            continue
        kept.append(line)
    return kept
