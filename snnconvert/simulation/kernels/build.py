"""Build and load the C++ kernels on first use, cached per machine and TensorFlow version.

The kernels are compiled against the installed TensorFlow's headers, so they are
built here rather than shipped: a wheel built elsewhere would tie snnconvert to one
TensorFlow release. The shared library lands in ``$SNNCONVERT_KERNEL_CACHE`` (default
``~/.cache/snnconvert/kernels``) under a name that hashes everything it depends on.
Without a C++ compiler, or with ``SNNCONVERT_KERNELS=off``, the simulator uses plain
TensorFlow ops instead, with the same results, more slowly.
"""

import functools
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import tensorflow as tf

_HERE = Path(__file__).parent
SOURCES = [_HERE / "ops.cc", _HERE / "arithmetic.cc", _HERE / "arithmetic.h"]
# The arithmetic, compiled for this CPU; -ffp-contract=off: no fused multiply-add, which
# would round differently from TensorFlow's separate ops; -fno-trapping-math lets floor be
# vectorised (it changes no result).
_ARITHMETIC_OPTIONS = ["-c", "-fPIC", "-O3", "-march=native", "-ffp-contract=off", "-fno-trapping-math"]
# The TensorFlow op around it (its headers do not build with every -march=native).
_OP_OPTIONS = ["-shared", "-fPIC", "-O2", "-w"]
_BUILD_TIMEOUT = 600


def cache_dir():
    if os.environ.get("SNNCONVERT_KERNEL_CACHE"):
        return Path(os.environ["SNNCONVERT_KERNEL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "snnconvert" / "kernels"


@functools.cache
def load():
    """The loaded op module, or ``None`` (with one warning saying why) when the kernel
    cannot be built here."""
    if os.environ.get("SNNCONVERT_KERNELS", "on").lower() in ("0", "off", "false", "no"):
        return None
    try:
        return tf.load_op_library(str(_built_library()))
    except (OSError, RuntimeError, subprocess.SubprocessError, tf.errors.NotFoundError) as error:
        warnings.warn(
            f"snnconvert could not build its CPU kernel ({error}); spiking layers after the first "
            "run as plain TensorFlow ops instead: same results, slower. Install a C++ compiler "
            "(g++; or set CXX) to get it, or set SNNCONVERT_KERNELS=off to silence this.",
            RuntimeWarning,
            stacklevel=3,
        )
        return None


def _built_library():
    compiler = os.environ.get("CXX", "g++")
    if shutil.which(compiler) is None:
        raise RuntimeError(f"no C++ compiler {compiler!r} on PATH")
    tensorflow_flags = [*tf.sysconfig.get_compile_flags(), *tf.sysconfig.get_link_flags()]
    library = cache_dir() / f"snnconvert_kernels-{_fingerprint(compiler, tensorflow_flags)}.so"
    if library.exists():
        return library
    library.parent.mkdir(parents=True, exist_ok=True)
    print("snnconvert: compiling its CPU kernel for this machine (once, about 20 s)...", file=sys.stderr)
    # Build in a private folder and rename: concurrent builders never load half a file.
    with tempfile.TemporaryDirectory(dir=library.parent) as scratch:
        arithmetic = os.path.join(scratch, "arithmetic.o")
        partial = os.path.join(scratch, library.name)
        _compile([compiler, *_ARITHMETIC_OPTIONS, str(_HERE / "arithmetic.cc"), "-o", arithmetic])
        _compile([compiler, *_OP_OPTIONS, str(_HERE / "ops.cc"), arithmetic, "-o", partial,
                  *tensorflow_flags])
        os.replace(partial, library)
    return library


def _compile(command):
    done = subprocess.run(command, capture_output=True, text=True, timeout=_BUILD_TIMEOUT)
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if "error" in line] or done.stderr.splitlines()
        raise RuntimeError(f"{command[0]} failed: {' / '.join(errors[:5])}")


def _fingerprint(compiler, flags):
    """What the library depends on: source, compiler, flags, TensorFlow and this CPU
    (``-march=native`` code may not run on another one)."""
    digest = hashlib.sha256(b"".join(source.read_bytes() for source in SOURCES))
    options = [*_ARITHMETIC_OPTIONS, *_OP_OPTIONS, *flags]
    for part in (compiler, *options, tf.__version__, platform.machine(), _cpu_features()):
        digest.update(part.encode())
    return digest.hexdigest()[:16]


def _cpu_features():
    try:
        with open("/proc/cpuinfo") as info:
            return next((line for line in info if line.startswith(("flags", "Features"))), "")
    except OSError:
        return platform.processor()
