"""What counts as a landing file: one predicate and one hash for intake, the sensor and the CLI.

``pidc ingest``/``pidc pipeline`` (``ingestion.intake``), the Dagster landing sensor
(``orchestration.intake``) and the file counts of the progress bars all walk the landing folder
with :func:`landing_entries`, so they pick the same files. Links are never followed (a link to a
file or a folder is refused unread), nor is anything but a regular file read (a pipe or device is
refused). Hidden files and folders, Excel's ``~$`` lock files and partial or temporary files
(``.part``, ``.tmp``, ``.crdownload``... left while a copy or download is still running) are not
submissions: they are skipped, and listed so nobody wonders. A file's identity is its
:func:`file_sha256`.

Light on purpose: the sensor imports it on every Dagster start.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ingestion.statuses import FileStatus

# Names an operating system, an editor or a download leaves beside real files while it works.
LOCK_PREFIX = "~$"
TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp")


@dataclass(frozen=True)
class SetAside:
    """A landing entry intake does not read: a link or special file (refused) or a hidden, lock
    or temporary file (skipped). Listed among the outcomes, never recorded in the ledger."""

    path: Path
    status: FileStatus  # REFUSED or SKIPPED
    message: str


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes, its identity in the ledger and in the sensor's run keys.

    Read in blocks, so large workbooks stay cheap.
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def not_a_return(name: str) -> str | None:
    """Why a file named ``name`` is not a member's return (hidden, lock or temporary), else None.

    Unknown formats are not excluded here: intake rejects them with a report, so a member's file
    is never silently ignored.
    """
    if name.startswith(LOCK_PREFIX):
        return f"{name} is an Excel lock file, not a return."
    if name.startswith("."):
        return f"{name} is a hidden file, not a return."
    if name.lower().endswith(TEMPORARY_SUFFIXES):
        return (
            f"{name} is a partial or temporary file (a copy or download still running?), "
            "not a return; it is read once it has its real name."
        )
    return None


def refused_link(path: Path, link: Path) -> SetAside:
    """``path`` refused because ``link`` (the path itself or a folder on its way) is a link."""
    what = "a link to a folder" if link.is_dir() else "a link"
    subject = f"{path.name} is {what}" if link == path else f"{path.name} is in {link.name}, {what}"
    return SetAside(
        path,
        FileStatus.REFUSED,
        f"{subject}; links are never followed (they could pass a file from elsewhere off as a "
        "member's), so it was not read. Copy the file itself into the member's landing folder.",
    )


def not_regular(path: Path) -> SetAside:
    """``path`` refused because it is not a regular file (a pipe, a device, a socket)."""
    return SetAside(
        path, FileStatus.REFUSED, f"{path.name} is not a regular file; it was not read."
    )


def landing_entries(folder: Path) -> tuple[list[Path], list[SetAside]]:
    """Files below ``folder`` in arrival order (modification time, then name), and the entries
    set aside, in path order (see the module's docstring for what is set aside)."""
    files: list[Path] = []
    aside: list[SetAside] = []
    for root, folders, names in os.walk(folder, followlinks=False):
        here = Path(root)
        for name in sorted(folders):
            path = here / name
            if path.is_symlink():
                aside.append(refused_link(path, path))
            elif name.startswith("."):
                aside.append(
                    SetAside(
                        path,
                        FileStatus.SKIPPED,
                        f"{name} is a hidden folder: nothing in it is read.",
                    )
                )
        folders[:] = sorted(
            name for name in folders if not name.startswith(".") and not (here / name).is_symlink()
        )
        for name in sorted(names):
            path = here / name
            if path.is_symlink():
                aside.append(refused_link(path, path))
            elif (why := not_a_return(name)) is not None:
                aside.append(SetAside(path, FileStatus.SKIPPED, why))
            elif not path.is_file():
                aside.append(not_regular(path))
            else:
                files.append(path)
    files.sort(key=lambda p: (p.stat().st_mtime, str(p)))
    aside.sort(key=lambda entry: str(entry.path))
    return files, aside


def landing_files(folder: Path) -> list[Path]:
    """Files below ``folder`` that intake reads, in arrival order (see :func:`landing_entries`)."""
    return landing_entries(folder)[0]


def is_landing_file(path: Path, landing: Path) -> bool:
    """Whether intake reads ``path``, a file below the landing folder ``landing``: the same
    answer :func:`landing_entries` gives when it walks the folder."""
    path, landing = Path(path), Path(landing)
    try:
        relative = path.relative_to(landing)
    except ValueError:
        return False
    current = landing
    for folder in relative.parts[:-1]:
        current = current / folder
        if folder.startswith(".") or current.is_symlink():
            return False
    return not path.is_symlink() and not_a_return(path.name) is None and path.is_file()
