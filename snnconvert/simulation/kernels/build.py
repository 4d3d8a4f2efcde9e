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
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

import tensorflow as tf

_HERE = Path(__file__).parent
SOURCES = [_HERE / "ops.cc", _HERE / "arithmetic.cc", _HERE / "arithmetic.h"]
# The arithmetic, compiled for this CPU; -ffp-contract=off: no fused multiply-add, which
# would round differently from TensorFlow's separate ops; -fno-trapping-math lets floor be
# vectorised (it changes no result).
_ARITHMETIC_OPTIONS = ["-c", "-fPIC", "-O3", "-ffp-contract=off", "-fno-trapping-math"]
# How to ask for this CPU's instructions, tried in turn: GCC and Clang on x86 and Linux
# ARM take -march=native; some Clang on Apple silicon only -mcpu=native; else generic code.
_NATIVE_OPTIONS = (["-march=native"], ["-mcpu=native"], [])
# The TensorFlow op around it (its headers do not build with every -march=native). On
# macOS, symbols of the TensorFlow already loaded in the process resolve at load time.
_OP_OPTIONS = ["-shared", "-fPIC", "-O2", "-w", *(["-undefined", "dynamic_lookup"] if sys.platform == "darwin" else [])]
_BUILD_TIMEOUT = 600
_LOCK = threading.Lock()  # tf.distribute traces replicas in threads: one build per process


def cache_dir():
    if os.environ.get("SNNCONVERT_KERNEL_CACHE"):
        return Path(os.environ["SNNCONVERT_KERNEL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "snnconvert" / "kernels"


def load():
    """The loaded op module, or ``None`` (with one warning saying why) when the kernels
    cannot be built here."""
    with _LOCK:
        return _load()


@functools.cache
def _load():
    if os.environ.get("SNNCONVERT_KERNELS", "on").lower() in ("0", "off", "false", "no"):
        return None
    try:
        return tf.load_op_library(str(_built_library()))
    except (OSError, RuntimeError, subprocess.SubprocessError, tf.errors.OpError) as error:
        warnings.warn(
            f"snnconvert could not build its CPU kernels ({error}); spiking layers after the first, "
            "synapses and sparse spikes run as plain TensorFlow ops instead: same spikes, slower. "
            "Install a C++ compiler (g++; or set CXX) and make the kernel cache "
            f"({cache_dir()}, or $SNNCONVERT_KERNEL_CACHE) writable to get them, "
            "or set SNNCONVERT_KERNELS=off to silence this.",
            RuntimeWarning,
            stacklevel=4,
        )
        return None


def _built_library():
    compiler = shlex.split(os.environ.get("CXX") or "g++")
    if not compiler or shutil.which(compiler[0]) is None:
        raise RuntimeError(f"no C++ compiler {' '.join(compiler)!r} on PATH")
    tensorflow_flags = [*tf.sysconfig.get_compile_flags(), *tf.sysconfig.get_link_flags()]
    library = cache_dir() / f"snnconvert_kernels-{_fingerprint(compiler, tensorflow_flags)}.so"
    if library.exists():
        return library
    library.parent.mkdir(parents=True, exist_ok=True)
    print("snnconvert: compiling its CPU kernels for this machine (once, about 20 s)...", file=sys.stderr)
    # Build in a private folder and rename (atomic): processes building at once each
    # finish their own copy, none ever loads half a file, a failure leaves nothing behind.
    with tempfile.TemporaryDirectory(dir=library.parent, prefix=".building-") as scratch:
        arithmetic = os.path.join(scratch, "arithmetic.o")
        partial = os.path.join(scratch, library.name)
        _compile_native(compiler, [*_ARITHMETIC_OPTIONS, str(_HERE / "arithmetic.cc"), "-o", arithmetic])
        _compile([*compiler, *_OP_OPTIONS, str(_HERE / "ops.cc"), arithmetic, "-o", partial, *tensorflow_flags])
        os.replace(partial, library)
    return library


def _compile_native(compiler, arguments):
    """Compile with the first of :data:`_NATIVE_OPTIONS` the compiler accepts."""
    for native in _NATIVE_OPTIONS:
        try:
            return _compile([*compiler, *native, *arguments])
        except RuntimeError:
            if not native:
                raise


def _compile(command):
    done = subprocess.run(command, capture_output=True, text=True, timeout=_BUILD_TIMEOUT)
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if "error" in line] or done.stderr.splitlines()
        raise RuntimeError(f"{command[0]} failed: {' / '.join(errors[:5])}")


def _fingerprint(compiler, flags):
    """What the library depends on: sources, compiler (and its version), options,
    TensorFlow and this CPU (code for one CPU's instructions may not run on another)."""
    digest = hashlib.sha256()
    for source in SOURCES:
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    options = [*_ARITHMETIC_OPTIONS, *map(" ".join, _NATIVE_OPTIONS), *_OP_OPTIONS, *flags]
    for part in (*compiler, _compiler_version(compiler), *options, tf.__version__, platform.machine(),
                 _cpu_features()):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:16]


def _compiler_version(compiler):
    done = subprocess.run([*compiler, "--version"], capture_output=True, text=True, timeout=60)
    return done.stdout


def _cpu_features():
    """This CPU's instruction set extensions, as the system lists them."""
    try:
        with open("/proc/cpuinfo") as info:
            return next((line for line in info if line.startswith(("flags", "Features"))), "")
    except OSError:
        pass
    if sys.platform == "darwin":  # Apple silicon and Intel Macs
        done = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string", "machdep.cpu.features"],
                              capture_output=True, text=True, timeout=60)
        return done.stdout
    return platform.processor()
