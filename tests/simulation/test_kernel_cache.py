"""The compiled-kernel cache: one verified library per fingerprint, loaded only from a
folder only we can write and only when its bytes match the SHA-256 recorded beside it;
anything else is refused with a warning naming the path and the reason, and rebuilt.

One real build (about 20 s) is shared by the module; the other builds use stand-in
compilers (shell scripts as CXX) that copy that build, fail, or hang.
"""

import hashlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from snnconvert.simulation.kernels import build, trust

pytestmark = pytest.mark.skipif(
    shutil.which((os.environ.get("CXX") or "g++").split()[0]) is None or not sys.platform.startswith("linux"),
    reason="no C++ compiler, or not Linux (these tests read /proc and build with a shell-script compiler)",
)

_FALLBACK_SCRIPT = textwrap.dedent("""
    import warnings, numpy as np, keras, snnconvert
    from snnconvert.simulation import kernels
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="relu")])
    x = np.random.default_rng(0).uniform(0, 1, (4, 6)).astype("float32")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = snnconvert.convert(model, scale_firing_rates=30).run(x, 20, progress=False)
    print("AVAILABLE", kernels.available())
    print("SPIKES", result.total_spikes)
    print("WARNINGS", [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)])
""")

_BUILD_SCRIPT = textwrap.dedent("""
    from snnconvert.simulation.kernels import build
    compiler = build._compiler()
    with build.verified_library(compiler):
        print(build.cache_dir() / build.library_name(compiler))
""")


@pytest.fixture(scope="module")
def genuine(tmp_path_factory):
    """A kernel cache of its own, filled by two processes building at once: both must
    succeed and agree on the one library they leave behind. Returns its path."""
    folder = tmp_path_factory.mktemp("kernels")
    env = {**os.environ, "SNNCONVERT_KERNEL_CACHE": str(folder)}
    builders = [subprocess.Popen([sys.executable, "-c", _BUILD_SCRIPT], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    results = [builder.communicate(timeout=900) for builder in builders]
    assert [builder.returncode for builder in builders] == [0, 0], [stderr[-2000:] for _, stderr in results]
    [library] = {Path(stdout.strip()) for stdout, _ in results}
    return library


def _script(path, body):
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return path


def _copying_compiler(tmp_path, genuine):
    """A stand-in compiler that 'links' by copying the real build and logs each output path."""
    return _script(tmp_path / "copying-cxx", f"""\
        case "$1" in --version) echo copying-cxx 1; exit 0;; esac
        shared=0
        while [ $# -gt 0 ]; do
            case "$1" in -o) out="$2"; shift;; -shared) shared=1;; esac; shift
        done
        echo "$out" >> {tmp_path}/compiler.log
        if [ $shared = 1 ]; then cp {genuine} "$out"; else : > "$out"; fi
        """)


def _failing_compiler(tmp_path):
    return _script(tmp_path / "failing-cxx", f"""\
        case "$1" in --version) echo failing-cxx 1; exit 0;; esac
        echo "$@" >> {tmp_path}/compiler.log
        echo "error: this compiler always fails" >&2; exit 1
        """)


def _hanging_compiler(tmp_path):
    """Writes its pid and that of a child it starts, then sleeps: a build that never ends."""
    return _script(tmp_path / "hanging-cxx", f"""\
        case "$1" in --version) echo hanging-cxx 1; exit 0;; esac
        sleep 300 & echo $! > {tmp_path}/child.pid
        echo $$ > {tmp_path}/compiler.pid
        exec sleep 300
        """)


def _serve(cache, compiler, monkeypatch):
    """The bytes :func:`build.verified_library` hands out, and the RuntimeWarnings it gave."""
    monkeypatch.setenv("SNNCONVERT_KERNEL_CACHE", str(cache))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with build.verified_library([str(compiler)]) as descriptor:
            served = os.pread(descriptor, 1 << 24, 0)
    return served, [str(w.message) for w in caught if w.category is RuntimeWarning]


def _private_cache(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    return cache


def _plant(library, content, *, record_of=None):
    """Put ``content`` at ``library`` and beside it the SHA-256 of ``record_of`` (default:
    of ``content``, as anyone who can write there could; ``False``: no record)."""
    library.write_bytes(content)
    recorded = content if record_of is None else record_of
    if recorded is not False:
        Path(f"{library}.sha256").write_text(hashlib.sha256(recorded).hexdigest() + "\n")


def _planted_library(tmp_path):
    """A tiny shared library whose constructor, run as soon as it is loaded, writes a marker."""
    compiler = shutil.which("gcc") or shutil.which("cc") or pytest.skip("no C compiler for the planted library")
    marker = tmp_path / "planted-library-ran"
    source = ('#include <stdio.h>\n'
              f'__attribute__((constructor)) static void ran(void) {{ fclose(fopen("{marker}", "w")); }}\n')
    library = tmp_path / "planted.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-x", "c", "-", "-o", str(library)], input=source, text=True,
                   check=True, timeout=120)
    return library.read_bytes(), marker


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its parent has not reaped it


def _wait_for(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _run_fallback(cache, **environment):
    env = {**os.environ, "SNNCONVERT_KERNEL_CACHE": str(cache), **environment}
    done = subprocess.run([sys.executable, "-c", _FALLBACK_SCRIPT], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(line.split(" ", 1) for line in done.stdout.splitlines() if line.split(" ", 1)[0].isupper())


# The cache as it should be


def test_two_builders_leave_one_library_and_its_sha256_which_is_then_served(genuine, monkeypatch):
    folder = genuine.parent
    assert genuine.name == build.library_name(build._compiler())
    assert sorted(path.name for path in folder.iterdir()) == [genuine.name, genuine.name + ".sha256"]  # no scratch
    recorded = Path(f"{genuine}.sha256").read_text().strip()
    assert recorded == hashlib.sha256(genuine.read_bytes()).hexdigest()
    for path in (folder, genuine, Path(f"{genuine}.sha256")):
        assert not path.stat().st_mode & (stat.S_IWGRP | stat.S_IWOTH), path
    stamp = genuine.stat().st_mtime_ns
    served, warned = _serve(folder, build._compiler()[0], monkeypatch)
    assert served == genuine.read_bytes() and warned == []
    assert genuine.stat().st_mtime_ns == stamp  # not rebuilt


def test_without_a_compiler_the_simulator_warns_and_gives_the_same_spikes(genuine, tmp_path):
    built = _run_fallback(genuine.parent)
    missing = _run_fallback(tmp_path, CXX="no-such-compiler-here")
    assert built["AVAILABLE"] == "True" and built["WARNINGS"] == "[]" and missing["AVAILABLE"] == "False"
    assert int(missing["SPIKES"]) == int(built["SPIKES"]) > 0
    assert "no C++ compiler 'no-such-compiler-here'" in missing["WARNINGS"]
    assert "Install a C++ compiler" in missing["WARNINGS"] and "SNNCONVERT_KERNELS=off" in missing["WARNINGS"]
    silenced = _run_fallback(genuine.parent, SNNCONVERT_KERNELS="off")
    assert silenced["AVAILABLE"] == "False" and silenced["WARNINGS"] == "[]"
    assert int(silenced["SPIKES"]) == int(built["SPIKES"])


def test_the_fingerprint_covers_sources_compiler_and_flags(tmp_path, monkeypatch):
    compiler = [shutil.which("g++") or pytest.skip("no g++")]
    reference = build._fingerprint(compiler, ["-DX"])
    assert build._fingerprint(compiler, ["-DY"]) != reference
    assert build._fingerprint(["c++"], ["-DX"]) != reference
    edited = tmp_path / "arithmetic.h"
    edited.write_bytes(build.SOURCES[-1].read_bytes() + b"// edited\n")
    monkeypatch.setattr(build, "SOURCES", [*build.SOURCES[:-1], edited])
    assert build._fingerprint(compiler, ["-DX"]) != reference


# A damaged library: never loaded, rebuilt


@pytest.mark.parametrize(("damage", "reason"), [
    ("zero bytes", "does not match the SHA-256 recorded beside it"),
    ("truncated", "does not match the SHA-256 recorded beside it"),
    ("one byte changed", "does not match the SHA-256 recorded beside it"),
    ("no record", "has no SHA-256 recorded beside it"),
])
def test_a_damaged_library_is_rebuilt_with_a_warning_naming_it(damage, reason, genuine, tmp_path, monkeypatch):
    good = genuine.read_bytes()
    compiler = _copying_compiler(tmp_path, genuine)
    cache = _private_cache(tmp_path)
    library = cache / build.library_name([str(compiler)])
    damaged = {"zero bytes": b"", "truncated": good[: len(good) // 3], "no record": good,
               "one byte changed": good[:4000] + bytes([good[4000] ^ 1]) + good[4001:]}[damage]
    _plant(library, damaged, record_of=False if damage == "no record" else good)
    served, warned = _serve(cache, compiler, monkeypatch)
    assert served == good
    assert warned == [f"snnconvert rebuilds its CPU kernels: {library} {reason}"
                      + (" in " + library.name + ".sha256 (damaged, truncated or replaced)." if "match" in reason
                         else f" ({library.name}.sha256 is missing).")]
    assert library.read_bytes() == good  # the cache is repaired: the next run loads it without building
    assert Path(f"{library}.sha256").read_text().strip() == hashlib.sha256(good).hexdigest()


def test_a_truncated_library_does_not_crash_the_simulator_it_is_rebuilt(genuine, tmp_path):
    """Loading the truncated file would kill the process (SIGBUS/SIGSEGV, no message);
    the simulator, in a process of its own, must instead rebuild and use the kernels."""
    compiler = _copying_compiler(tmp_path, genuine)
    cache = _private_cache(tmp_path)
    library = cache / build.library_name([str(compiler)])
    good = genuine.read_bytes()
    _plant(library, good[: len(good) // 2], record_of=good)
    result = _run_fallback(cache, CXX=str(compiler))
    assert result["AVAILABLE"] == "True"
    assert f"{library} does not match the SHA-256 recorded beside it" in result["WARNINGS"]
    assert library.read_bytes() == good


# A library someone else could have put there: never loaded


def _nobody():
    if os.geteuid() != 0:
        pytest.skip("needs root, to give a folder to another user")
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody' to give a folder to")


def test_a_library_planted_in_a_folder_of_another_user_is_not_loaded(tmp_path, monkeypatch):
    """As root, with the cache pointed at a folder of user nobody holding a library under
    the computable name and its correct SHA-256: the library must not run; the kernels
    are built privately (here by a compiler that fails) with a warning naming the folder."""
    nobody = _nobody()
    planted, marker = _planted_library(tmp_path)
    compiler = _failing_compiler(tmp_path)
    cache = tmp_path / "of-nobody"
    cache.mkdir()
    library = cache / build.library_name([str(compiler)])
    _plant(library, planted)
    for path in (cache, library, Path(f"{library}.sha256")):
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    monkeypatch.setenv("SNNCONVERT_KERNEL_CACHE", str(cache))
    monkeypatch.setenv("CXX", str(compiler))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert build._load.__wrapped__() is None
    assert not marker.exists()
    untrusted, failed = [str(w.message) for w in caught if w.category is RuntimeWarning]
    assert f"does not use its kernel cache: {cache} belongs to user nobody, not to this user (user root)" in untrusted
    assert "SNNCONVERT_KERNEL_CACHE" in untrusted
    assert "could not build its CPU kernels" in failed and "always fails" in failed
    assert "Install a C++ compiler" not in failed  # there is one: the reason is the build
    assert sorted(path.name for path in cache.iterdir()) == [library.name, library.name + ".sha256"]
    assert str(cache) not in (tmp_path / "compiler.log").read_text()  # built elsewhere


@pytest.mark.parametrize(("mode", "who"),
                         [(0o770, "its group"), (0o703, "everyone"), (0o777, "its group and everyone")],
                         ids=["770", "703", "777"])
def test_a_cache_folder_others_can_write_is_refused(mode, who, genuine, tmp_path, monkeypatch):
    planted, marker = _planted_library(tmp_path)
    compiler = _copying_compiler(tmp_path, genuine)
    cache = _private_cache(tmp_path)
    library = cache / build.library_name([str(compiler)])
    _plant(library, planted)
    cache.chmod(mode)
    served, [warned] = _serve(cache, compiler, monkeypatch)
    assert served == genuine.read_bytes()  # built in a private folder, not taken from the cache
    assert f"does not use its kernel cache: {cache} is writable by {who} (mode {mode:o})" in warned
    assert library.read_bytes() == planted and not marker.exists()
    assert str(cache) not in (tmp_path / "compiler.log").read_text()


def test_a_folder_above_the_cache_that_others_can_write_is_refused_unless_sticky(genuine, tmp_path, monkeypatch):
    """Whoever can write the folder above can rename the cache away and put their own in
    its place; in a sticky folder (like /tmp) only the owner of an entry can."""
    compiler = _copying_compiler(tmp_path, genuine)
    above = tmp_path / "shared"
    above.mkdir()
    cache = above / "cache"
    above.chmod(0o777)
    served, [warned] = _serve(cache, compiler, monkeypatch)
    assert served == genuine.read_bytes() and list(cache.iterdir()) == []
    assert f"{above}, a folder above cache, is writable by its group and everyone (mode 777)" in warned
    above.chmod(0o1777)
    served, warned = _serve(cache, compiler, monkeypatch)
    assert served == genuine.read_bytes() and warned == []
    assert (cache / build.library_name([str(compiler)])).read_bytes() == served
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700  # created private


def test_a_symbolic_link_as_cache_folder_is_refused(genuine, tmp_path, monkeypatch):
    compiler = _copying_compiler(tmp_path, genuine)
    real = _private_cache(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(real)
    served, [warned] = _serve(link, compiler, monkeypatch)
    assert served == genuine.read_bytes() and list(real.iterdir()) == []
    assert f"does not use its kernel cache: {link} is a symbolic link" in warned


@pytest.mark.parametrize("planting", ["symbolic link", "file of another user", "file others can write"])
def test_a_library_file_that_is_not_safely_ours_is_refused_and_rebuilt(planting, genuine, tmp_path, monkeypatch):
    planted, marker = _planted_library(tmp_path)
    compiler = _copying_compiler(tmp_path, genuine)
    cache = _private_cache(tmp_path)
    library = cache / build.library_name([str(compiler)])
    if planting == "symbolic link":
        _plant(tmp_path / "elsewhere.so", planted)
        library.symlink_to(tmp_path / "elsewhere.so")
        Path(f"{library}.sha256").write_text(hashlib.sha256(planted).hexdigest())
        reason = f"{library} is a symbolic link"
    elif planting == "file of another user":
        nobody = _nobody()
        _plant(library, planted)
        os.chown(library, nobody.pw_uid, nobody.pw_gid)
        reason = f"{library} belongs to user nobody"
    else:
        _plant(library, planted)
        library.chmod(0o666)
        reason = f"{library} is writable by its group and everyone (mode 666)"
    served, [warned] = _serve(cache, compiler, monkeypatch)
    assert served == genuine.read_bytes() and not marker.exists()
    assert warned.startswith(f"snnconvert rebuilds its CPU kernels: {reason}")
    assert not library.is_symlink() and library.read_bytes() == served  # replaced by our own build


def test_an_unusable_cache_path_falls_back_to_a_private_build(genuine, tmp_path, monkeypatch):
    """A cache path that cannot be created (under a regular file, which stops root too)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    served, [warned] = _serve(blocker / "kernels", _copying_compiler(tmp_path, genuine), monkeypatch)
    assert served == genuine.read_bytes()
    assert f"does not use its kernel cache: [Errno 20] Not a directory: '{blocker / 'kernels'}'" in warned


def test_without_proc_the_verified_bytes_are_loaded_from_a_private_copy(genuine, monkeypatch):
    monkeypatch.setattr(trust, "_OWN_ENTRY", "/no/such/folder/{}")
    descriptor = os.open(genuine, os.O_RDONLY)
    try:
        with trust.loadable(descriptor) as path:
            copy = Path(path)
            assert copy.read_bytes() == genuine.read_bytes()
            assert stat.S_IMODE(copy.parent.stat().st_mode) == 0o700 and copy.parent.stat().st_uid == os.geteuid()
    finally:
        os.close(descriptor)
    assert not copy.parent.exists()


# Builds that die midway: no compiler left running, no scratch folder left behind


def test_stale_scratch_folders_are_removed_by_the_next_build(tmp_path, monkeypatch):
    cache = _private_cache(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("")
    long_ago = time.time() - build._STALE_AFTER - 10
    for name in (".building-stale", ".building-recent"):
        (cache / name).mkdir()
        (cache / name / "arithmetic.o").write_text("")
    os.utime(cache / ".building-stale", (long_ago, long_ago))
    (cache / ".building-link").symlink_to(outside)
    os.utime(cache / ".building-link", (long_ago, long_ago), follow_symlinks=False)
    monkeypatch.setenv("SNNCONVERT_KERNEL_CACHE", str(cache))
    with pytest.raises(build.BuildFailed, match="always fails"):
        with build.verified_library([str(_failing_compiler(tmp_path))]):
            pass
    assert sorted(path.name for path in cache.iterdir()) == [".building-link", ".building-recent"]
    assert (outside / "keep").exists()


def test_a_build_that_times_out_kills_the_compiler_and_all_it_started(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "_BUILD_TIMEOUT", 2)
    cache = _private_cache(tmp_path)
    monkeypatch.setenv("SNNCONVERT_KERNEL_CACHE", str(cache))
    monkeypatch.setenv("CXX", str(_hanging_compiler(tmp_path)))
    with pytest.warns(RuntimeWarning, match=r"could not build its CPU kernels \(.*hanging-cxx did not finish "
                                            r"within 2 s\).*Set CXX to a working C\+\+ compiler"):
        assert build._load.__wrapped__() is None
    pids = [int((tmp_path / name).read_text()) for name in ("compiler.pid", "child.pid")]
    assert _wait_for(lambda: not any(map(_alive, pids))), "the compiler outlived its timeout"
    assert list(cache.iterdir()) == []


_HANGING_BUILD = textwrap.dedent("""
    from snnconvert.simulation.kernels import build
    with build.verified_library(build._compiler()):
        pass
""")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["KeyboardInterrupt", "SIGKILL"])
def test_a_build_interrupted_from_outside_takes_the_compiler_with_it(stop, tmp_path):
    """Ctrl-C (KeyboardInterrupt) kills the compiler's whole process group and removes
    the scratch folder; even SIGKILL, which runs no handler, takes the compiler along
    (PR_SET_PDEATHSIG), leaving only a scratch folder for a later build to remove."""
    cache = _private_cache(tmp_path)
    env = {**os.environ, "SNNCONVERT_KERNEL_CACHE": str(cache), "CXX": str(_hanging_compiler(tmp_path))}
    builder = subprocess.Popen([sys.executable, "-c", _HANGING_BUILD], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: (tmp_path / "compiler.pid").exists(), 300), "the build never started"
        compiler = int((tmp_path / "compiler.pid").read_text())
        builder.send_signal(stop)
        _, stderr = builder.communicate(timeout=60)
    finally:
        builder.kill()
    assert _wait_for(lambda: not _alive(compiler)), "the compiler outlived snnconvert"
    scratch = [path.name for path in cache.iterdir()]
    if stop == signal.SIGINT:
        assert "KeyboardInterrupt" in stderr and scratch == []
        assert _wait_for(lambda: not _alive(int((tmp_path / "child.pid").read_text())))
    else:
        assert len(scratch) == 1 and scratch[0].startswith(".building-")
