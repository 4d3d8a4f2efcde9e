"""What the kernel cache must show before TensorFlow loads a library from it.

Loading a shared library runs its code in this process, and the library's name in the
cache is computable from public inputs. So a library is loaded only from a folder that
this user owns and no one else can write to, whose folders above cannot be written by
anyone but this user and root (sticky ones such as ``/tmp`` excepted: there no one can
rename another's entry), and only when its bytes match the SHA-256 recorded beside it
at build time. The bytes are checked through an open descriptor and loaded through that
same descriptor, so what is loaded is what was checked. See ``docs/security.md``.
"""

import contextlib
import errno
import fcntl
import hashlib
import os
import pwd
import shutil
import stat
import tempfile
import time
from pathlib import Path

_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH
_RECORD_LIMIT = 1024  # a recorded SHA-256 is 65 bytes; anything far longer is not one
_OWN_ENTRY = "/proc/self/fd/{}"  # Linux: opening it opens the very file the descriptor has open


class Untrusted(Exception):
    """A folder or file of the cache that must not be loaded from; says which and why."""


def make_private_directory(path):
    """Create ``path`` and its missing parents, each readable and writable only by us
    (``mkdir -p`` would give the parents the umask's mode, often group-writable)."""
    missing = []
    path = Path(os.path.abspath(path))
    while not os.path.lexists(path):
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            os.mkdir(folder, 0o700)


def check_directory(path):
    """Raise :class:`Untrusted` unless ``path`` is a real folder owned by this user and
    writable by no one else, and no folder above it (as written and as resolved) lets
    anyone but this user or root replace it."""
    path = Path(os.path.abspath(path))
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise Untrusted(f"{path} is a symbolic link (point at the real folder instead)")
    if not stat.S_ISDIR(info.st_mode):
        raise Untrusted(f"{path} is not a folder")
    _check_owned_and_closed(path, info)
    real_parent = Path(os.path.realpath(path.parent))
    for ancestor in dict.fromkeys([*path.parents, real_parent, *real_parent.parents]):
        info = os.stat(ancestor)
        if info.st_uid not in (os.geteuid(), 0):
            raise Untrusted(f"{ancestor}, a folder above {path.name}, belongs to {_user(info.st_uid)}, "
                            "who could replace what it holds")
        if info.st_mode & _OTHERS_WRITE and not info.st_mode & stat.S_ISVTX:
            raise Untrusted(f"{ancestor}, a folder above {path.name}, is writable by {_who_writes(info.st_mode)} "
                            f"(mode {stat.S_IMODE(info.st_mode):o}), who could replace what it holds")


def open_verified(library, record):
    """An open read-only descriptor of ``library`` if its bytes match the SHA-256 in the
    file ``record``; ``None`` if there is no ``library``. Raises :class:`Untrusted`
    (naming the file and the problem) for a symbolic link, a file not ours or writable by
    others, a missing or malformed record, or bytes that do not match it."""
    try:
        descriptor = _open_file(library)
    except FileNotFoundError:
        return None
    try:
        expected = _read_record(record, library)
        if digest(descriptor) != expected:
            raise Untrusted(f"{library} does not match the SHA-256 recorded beside it in {record.name} "
                            "(damaged, truncated or replaced)")
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def digest(descriptor):
    """The SHA-256 (hex) of the whole file open as ``descriptor``."""
    sha = hashlib.sha256()
    offset = 0
    while block := os.pread(descriptor, 1 << 20, offset):
        sha.update(block)
        offset += len(block)
    return sha.hexdigest()


def write_record(descriptor, record):
    """Record the SHA-256 of the file open as ``descriptor`` in the new file ``record``."""
    with open(os.open(record, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644), "w") as file:
        file.write(digest(descriptor) + "\n")


@contextlib.contextmanager
def loadable(descriptor):
    """A path that names exactly the file open as ``descriptor``, for ``dlopen``: on
    Linux the descriptor's own ``/proc`` entry; elsewhere a copy in a private folder."""
    own = _OWN_ENTRY.format(descriptor)
    if os.path.exists(own):
        yield own
        return
    with tempfile.TemporaryDirectory(prefix="snnconvert-kernels-") as private:
        check_directory(private)
        copy = os.path.join(private, "snnconvert_kernels.so")
        with open(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o700), "wb") as file:
            offset = 0
            while block := os.pread(descriptor, 1 << 20, offset):
                file.write(block)
                offset += len(block)
        yield copy


@contextlib.contextmanager
def locked(directory, patience):
    """Hold an exclusive lock on ``directory`` (one builder at a time, so the library and
    its record are always written as a pair), waiting at most ``patience`` seconds for
    another holder; after that go on without it (the worst outcome is a rebuild)."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        deadline = time.monotonic() + patience
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def remove_stale(directory, prefix, older_than):
    """Delete the folders in ``directory`` named ``prefix*`` untouched for ``older_than``
    seconds: what builds killed midway left. Symbolic links are left alone."""
    now = time.time()
    with os.scandir(directory) as entries:
        for entry in entries:
            if (entry.name.startswith(prefix) and entry.is_dir(follow_symlinks=False)
                    and now - entry.stat(follow_symlinks=False).st_mtime > older_than):
                shutil.rmtree(entry.path, ignore_errors=True)


def _open_file(path):
    try:  # O_NONBLOCK: a planted FIFO must not hang us before fstat tells what it is
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.EMLINK):
            raise Untrusted(f"{path} is a symbolic link") from error
        if isinstance(error, FileNotFoundError):
            raise
        raise Untrusted(f"{path} cannot be opened ({error.strerror})") from error
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise Untrusted(f"{path} is not a regular file")
        _check_owned_and_closed(path, info)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _read_record(record, library):
    try:
        descriptor = _open_file(record)
    except FileNotFoundError:
        raise Untrusted(f"{library} has no SHA-256 recorded beside it ({record.name} is missing)") from None
    with open(descriptor, "rb") as file:
        text = file.read(_RECORD_LIMIT).decode("ascii", "replace").strip()
    if len(text) != 64 or any(char not in "0123456789abcdef" for char in text):
        raise Untrusted(f"{record} does not hold a SHA-256")
    return text


def _check_owned_and_closed(path, info):
    if info.st_uid != os.geteuid():
        raise Untrusted(f"{path} belongs to {_user(info.st_uid)}, not to this user ({_user(os.geteuid())})")
    if info.st_mode & _OTHERS_WRITE:
        raise Untrusted(f"{path} is writable by {_who_writes(info.st_mode)} (mode {stat.S_IMODE(info.st_mode):o})")


def _who_writes(mode):
    return " and ".join(name for bit, name in ((stat.S_IWGRP, "its group"), (stat.S_IWOTH, "everyone"))
                        if mode & bit)


def _user(uid):
    try:
        return f"user {pwd.getpwuid(uid).pw_name}"
    except KeyError:
        return f"user id {uid}"
