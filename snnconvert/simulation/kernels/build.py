"""Build and load the C++ kernels on first use, cached per machine and TensorFlow version.

The kernels are compiled against the installed TensorFlow's headers, so they are
built here rather than shipped: a wheel built elsewhere would tie snnconvert to one
TensorFlow release. The shared library lands in ``$SNNCONVERT_KERNEL_CACHE`` (default
``~/.cache/snnconvert/kernels``) under a name that hashes everything it depends on,
with its SHA-256 beside it; it is loaded only from a folder only we can write and only
when it matches (:mod:`.trust`, ``docs/security.md``), else rebuilt. Without a C++
compiler, or with ``SNNCONVERT_KERNELS=off``, the simulator uses plain TensorFlow ops
instead, with the same results, more slowly.
"""

import contextlib
import functools
import hashlib
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import tensorflow as tf

from snnconvert.simulation.kernels import trust

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
# Each compiler run is killed after this long; a scratch folder untouched for longer
# (each run first touches it) was left by a build that died, and is deleted.
_BUILD_TIMEOUT = 600
_STALE_AFTER = _BUILD_TIMEOUT + 60
_SCRATCH_PREFIX = ".building-"
_LOCK = threading.Lock()  # tf.distribute traces replicas in threads: one build per process
# On Linux the compiler is started through this script, which sets PR_SET_PDEATHSIG
# (kept across exec): the kernel kills the compiler if snnconvert dies, even by SIGKILL,
# which no handler of ours would see. Not preexec_fn: that runs Python in a forked copy
# of a process with TensorFlow's threads, which can deadlock.
_DIE_WITH_PARENT = """\
import ctypes, os, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, 9)
except Exception:
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit("snnconvert exited before its compiler started")
os.execvp(sys.argv[2], sys.argv[2:])
"""


class Unavailable(Exception):
    """Why the kernels cannot serve; ``advice`` says what would make them."""

    advice = "Set CXX to a working C++ compiler to get them"


class NoCompiler(Unavailable):
    advice = "Install a C++ compiler (g++; or set CXX) to get them"


class BuildFailed(Unavailable):
    pass


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
        with verified_library(_compiler()) as descriptor:
            return _load_verified(descriptor)
    except Unavailable as error:
        warnings.warn(
            f"snnconvert could not build its CPU kernels ({error}); spiking layers after the first, "
            "synapses and sparse spikes run as plain TensorFlow ops instead: same spikes, slower. "
            f"{error.advice}, or set SNNCONVERT_KERNELS=off to silence this.",
            RuntimeWarning,
            stacklevel=4,
        )
        return None


def _load_verified(descriptor):
    try:
        with trust.loadable(descriptor) as path:
            return tf.load_op_library(path)
    except tf.errors.OpError as error:
        raise BuildFailed(f"TensorFlow could not load the library built: {error.message}") from error
    except (trust.Untrusted, OSError) as error:
        raise BuildFailed(f"no private folder to load the library from: {error}") from error


def _compiler():
    compiler = shlex.split(os.environ.get("CXX") or "g++")
    if not compiler or shutil.which(compiler[0]) is None:
        raise NoCompiler(f"no C++ compiler {' '.join(compiler)!r} on PATH")
    return compiler


def library_name(compiler):
    """The cached library's file name: it changes with everything the library depends on."""
    return f"snnconvert_kernels-{_fingerprint(compiler, _tensorflow_flags())}.so"


@contextlib.contextmanager
def verified_library(compiler):
    """An open descriptor of a library whose bytes we built or verified, closed on exit:
    from the cache when it can be trusted (else rebuilt there), else built for this
    process alone in a private temporary folder."""
    try:
        name, cache = library_name(compiler), cache_dir()
    except (OSError, subprocess.SubprocessError) as error:
        raise BuildFailed(f"{compiler[0]} --version did not answer: {error}") from error
    try:
        trust.make_private_directory(cache)
        trust.check_directory(cache)
    except (trust.Untrusted, OSError) as reason:
        warnings.warn(
            f"snnconvert does not use its kernel cache: {reason}. It builds its CPU kernels in a private "
            "temporary folder instead, again on every run (about 20 s). To cache them, make that folder yours "
            "and writable by no one else, or set SNNCONVERT_KERNEL_CACHE to one that is.",
            RuntimeWarning, stacklevel=5)
        with tempfile.TemporaryDirectory(prefix="snnconvert-kernels-") as private:
            descriptor = _build_in(Path(private), name, compiler)
            yield from _closing(descriptor)
        return
    try:
        with trust.locked(cache, patience=_STALE_AFTER):
            descriptor = _cached(cache / name) or _build_in(cache, name, compiler)
    except OSError as error:
        raise BuildFailed(f"the kernel cache {cache} cannot be used: {error}") from error
    yield from _closing(descriptor)


def _closing(descriptor):
    try:
        yield descriptor
    finally:
        os.close(descriptor)


def _cached(library):
    try:
        return trust.open_verified(library, _record(library))
    except trust.Untrusted as reason:
        warnings.warn(f"snnconvert rebuilds its CPU kernels: {reason}.", RuntimeWarning, stacklevel=6)
        return None


def _record(library):
    return library.with_name(library.name + ".sha256")


def _build_in(folder, name, compiler):
    """Build the library into ``folder`` (a trusted one) with its record; return an open
    descriptor of what was built."""
    try:
        trust.check_directory(folder)
        trust.remove_stale(folder, _SCRATCH_PREFIX, _STALE_AFTER)
        print("snnconvert: compiling its CPU kernels for this machine (about 20 s)...", file=sys.stderr)
        # Build in a private folder and rename (atomic): no one ever loads half a file, a
        # failure leaves nothing behind.
        with tempfile.TemporaryDirectory(dir=folder, prefix=_SCRATCH_PREFIX) as scratch:
            arithmetic, partial = os.path.join(scratch, "arithmetic.o"), Path(scratch) / name
            _compile_native(compiler, [*_ARITHMETIC_OPTIONS, str(_HERE / "arithmetic.cc"), "-o", arithmetic],
                            scratch)
            _compile([*compiler, *_OP_OPTIONS, str(_HERE / "ops.cc"), arithmetic, "-o", str(partial),
                      *_tensorflow_flags()], scratch)
            os.chmod(partial, 0o755)  # the umask may have left it group-writable, which we refuse
            descriptor = os.open(partial, os.O_RDONLY | os.O_CLOEXEC)
            try:
                trust.write_record(descriptor, _record(partial))
                os.replace(_record(partial), folder / _record(partial).name)
                os.replace(partial, folder / name)
            except BaseException:
                os.close(descriptor)
                raise
        return descriptor
    except trust.Untrusted as reason:
        raise BuildFailed(f"no private folder to build in: {reason}") from None
    except subprocess.TimeoutExpired as error:
        raise BuildFailed(f"{error.cmd[0]} did not finish within {error.timeout:g} s") from None
    except (OSError, RuntimeError) as error:
        raise BuildFailed(str(error)) from error


def _tensorflow_flags():
    return [*tf.sysconfig.get_compile_flags(), *tf.sysconfig.get_link_flags()]


def _compile_native(compiler, arguments, scratch):
    """Compile with the first of :data:`_NATIVE_OPTIONS` the compiler accepts."""
    for native in _NATIVE_OPTIONS:
        try:
            return _compile([*compiler, *native, *arguments], scratch)
        except RuntimeError:
            if not native:
                raise


def _compile(command, scratch):
    """Run the compiler in a process group of its own, killed with all it started if we
    stop waiting (timeout, KeyboardInterrupt, any error), and on Linux if we die."""
    os.utime(scratch)  # marks the scratch folder as in use (see _STALE_AFTER)
    wrapped = [sys.executable, "-I", "-S", "-c", _DIE_WITH_PARENT, str(os.getpid()), *command]
    process = subprocess.Popen(wrapped if sys.platform.startswith("linux") else command, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stderr = _finish(process, command)
    except BaseException:
        _kill_group(process)
        raise
    if process.returncode != 0:
        errors = [line for line in stderr.splitlines() if "error" in line] or stderr.splitlines()
        raise RuntimeError(f"{command[0]} failed: {' / '.join(errors[:5])}")


def _finish(process, command):
    """Wait for ``process`` for up to :data:`_BUILD_TIMEOUT`, in short waits: a signal
    (Ctrl-C) received by one of TensorFlow's threads interrupts no long wait of the main
    thread, which notices it only when it runs Python again. Returns its stderr."""
    deadline = time.monotonic() + _BUILD_TIMEOUT
    while True:
        try:
            return process.communicate(timeout=min(0.25, max(deadline - time.monotonic(), 0)))[1]
        except subprocess.TimeoutExpired:  # retrying loses no output
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(command, _BUILD_TIMEOUT) from None


def _kill_group(process):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


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
