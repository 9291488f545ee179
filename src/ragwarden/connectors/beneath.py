"""Open files beneath a directory handle without following a symbolic link in any path component.

A path such as ``public/x/a.txt`` is only as trustworthy as each of its folders at the moment it is opened:
``O_NOFOLLOW`` guards the last component alone, so a folder swapped for a link to ``../hr`` between the scan
and the read would hand out HR's bytes under the public folder's ACL. Every open here is relative to a
directory file descriptor, one component at a time with ``O_NOFOLLOW`` (or in one ``openat2`` call with
``RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`` where the kernel has it), so a link anywhere fails the open.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import platform
import stat
from typing import NamedTuple

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# O_NONBLOCK: a fifo swapped in after the listing must not block the scan.
_FILE_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC

# openat2(2): the syscall number is shared by every architecture of the unified table (Linux ≥ 5.6).
_SYS_OPENAT2 = 437
_OPENAT2_MACHINES = frozenset({"x86_64", "aarch64", "arm64", "riscv64", "ppc64le", "s390x", "loongarch64"})
_RESOLVE_NO_MAGICLINKS = 0x02
_RESOLVE_NO_SYMLINKS = 0x04
_RESOLVE_BENEATH = 0x08


class FileId(NamedTuple):
    """Which file a handle refers to: it outlives renames, and a swapped-in file has another one."""

    dev: int
    ino: int

    @classmethod
    def of(cls, info: os.stat_result) -> FileId:
        return cls(info.st_dev, info.st_ino)


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


class _Openat2:
    """``openat2`` through libc's ``syscall``; switches itself off for good where the kernel lacks it."""

    def __init__(self) -> None:
        self.available = platform.system() == "Linux" and platform.machine() in _OPENAT2_MACHINES
        self._syscall = None
        if self.available:
            try:
                syscall = ctypes.CDLL(None, use_errno=True).syscall
            except (OSError, AttributeError):
                self.available = False
            else:
                syscall.restype = ctypes.c_long
                self._syscall = syscall

    def __call__(self, dir_fd: int, rel: str) -> int | None:
        """A handle on ``rel`` beneath ``dir_fd``; ``None`` if openat2 is not usable here."""
        if not self.available or self._syscall is None:
            return None
        how = _OpenHow(_FILE_FLAGS, 0, _RESOLVE_BENEATH | _RESOLVE_NO_SYMLINKS | _RESOLVE_NO_MAGICLINKS)
        fd = self._syscall(
            ctypes.c_long(_SYS_OPENAT2), ctypes.c_int(dir_fd), ctypes.c_char_p(os.fsencode(rel)),
            ctypes.byref(how), ctypes.c_size_t(ctypes.sizeof(how)),
        )
        if fd >= 0:
            return int(fd)
        err = ctypes.get_errno()
        if err in (errno.ENOSYS, errno.EPERM):  # no such syscall, or a seccomp filter refuses it
            self.available = False
            return None
        raise OSError(err, os.strerror(err), rel)


openat2 = _Openat2()


def components(rel: str) -> list[str]:
    """The folders and name of a root-relative POSIX path; anything that could step out is refused."""
    parts = rel.split("/")
    if not rel or "\0" in rel or any(p in ("", ".", "..") for p in parts):
        raise OSError(errno.EINVAL, "not a plain path beneath the root", rel)
    return parts


def open_dir_at(dir_fd: int, name: str) -> int:
    """A handle on the folder ``name`` in ``dir_fd``; a link there fails (ELOOP or ENOTDIR)."""
    return os.open(_single(name), _DIR_FLAGS, dir_fd=dir_fd)


def open_file_at(dir_fd: int, name: str) -> int:
    """A handle on the regular file ``name`` in ``dir_fd``, never through a link, never a fifo or device."""
    return _regular(os.open(_single(name), _FILE_FLAGS, dir_fd=dir_fd))


def open_beneath(root_fd: int, rel: str) -> int:
    """A handle on the regular file at ``rel`` beneath ``root_fd``, with no link in any component."""
    parts = components(rel)
    fd = openat2(root_fd, rel)
    if fd is not None:
        return _regular(fd)
    parent = root_fd
    try:
        for folder in parts[:-1]:
            child = os.open(folder, _DIR_FLAGS, dir_fd=parent)
            if parent != root_fd:
                os.close(parent)
            parent = child
        return open_file_at(parent, parts[-1])
    finally:
        if parent != root_fd:
            os.close(parent)


def read_all(fd: int, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the handle (one more than allowed tells "too large")."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit and (block := os.read(fd, min(1 << 20, limit + 1 - size))):
        chunks.append(block)
        size += len(block)
    return b"".join(chunks)


def hash_handle(fd: int, limit: int) -> tuple[str, int] | None:
    """SHA-256 and size of the bytes read through the handle; ``None`` once past ``limit``."""
    digest = hashlib.sha256()
    size = 0
    while block := os.read(fd, 1 << 20):
        size += len(block)
        if size > limit:
            return None
        digest.update(block)
    return digest.hexdigest(), size


def _regular(fd: int) -> int:
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _single(name: str) -> str:
    if "/" in name:
        raise OSError(errno.EINVAL, "a single path component was expected", name)
    return components(name)[0]
