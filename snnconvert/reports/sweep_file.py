"""The CSV file of a sweep: locked while a sweep writes it, read back row by row.

A sweep appends each row as it finishes, so an interrupted one can leave its last row
cut short. Reading repairs that row when only its line ending is missing and drops it
otherwise, with a warning either way, so that the next row never lands on the same
line. Only one sweep may write a file at a time: two would both run, and both
append, every combination.
"""

import csv
import io
import json
import warnings
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; sweeps there are not guarded
    fcntl = None

SWEEP_FIELDS = (
    "scale", "synapse", "n_steps", "accuracy", "keras_accuracy",
    "spikes_per_image", "synaptic_ops_per_image", "time_to_accuracy_steps", "wall_time_s", "settings",
)


class SweepFileBusy(OSError):
    """Another sweep holds the file's lock."""


class SweepFile:
    """An open, exclusively locked sweep CSV. ``rows`` holds the rows already there."""

    def __init__(self, path):
        self.path = Path(path)
        self.file = self.path.open("a+", newline="")
        try:
            self._lock()
            self.rows = self._read()
            if not self.rows and self.file.tell() == 0:
                self._write_line(SWEEP_FIELDS)
        except BaseException:
            self.file.close()
            raise
        self.writer = csv.DictWriter(self.file, fieldnames=SWEEP_FIELDS)

    def _lock(self):
        if fcntl is None:
            return
        try:
            fcntl.flock(self.file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SweepFileBusy(
                f"{str(self.path)!r} is locked: another sweep is writing it. Wait for that sweep to "
                "finish, or give this one another --output."
            ) from None

    def write(self, row):
        self.writer.writerow(row)
        self.file.flush()

    def close(self):
        self.file.close()  # releases the lock

    def _end_line(self, line):
        self.file.write("\n" if line.endswith("\r") else "\r\n")
        self.file.flush()

    def _write_line(self, values):
        csv.writer(self.file).writerow(values)
        self.file.flush()

    def _read(self):
        self.file.seek(0)
        text = self.file.read()
        if not text:
            return []
        lines = text.splitlines(keepends=True)
        header = next(csv.reader([lines[0]]))
        if tuple(header) != SWEEP_FIELDS:
            raise ValueError(
                f"{str(self.path)!r} is not a sweep file of this version (columns {header}); "
                "choose another --output or delete it."
            )
        if len(lines) == 1 and not lines[0].endswith("\n"):
            self._end_line(lines[0])
        rows = []
        for number, line in enumerate(lines[1:], start=2):
            last = number == len(lines)
            row = _parsed(line)
            if row is not None and line.endswith("\n"):
                rows.append(row)
            elif last:
                rows.extend(self._repair_last(line, row))
            else:
                raise ValueError(
                    f"{str(self.path)!r}: line {number} is not a sweep row ({line.strip()!r}); "
                    "mend or delete that line, or choose another --output."
                )
        return rows

    def _repair_last(self, line, row):
        """The last line's row, if it is whole (its line ending is then added), else nothing
        (the line is cut off the file); a warning says which."""
        if row is not None:
            self._end_line(line)
            warnings.warn(f"{str(self.path)!r}: its last row had no line ending (an interrupted "
                          "write?); the ending was added and the row kept.", stacklevel=4)
            return [row]
        self.file.truncate(self.file.tell() - len(line.encode()))
        self.file.seek(0, io.SEEK_END)
        warnings.warn(f"{str(self.path)!r}: its last row was cut short (an interrupted write?) and "
                      f"is dropped; its combination runs again: {line.rstrip()!r}", stacklevel=4)
        return []


def _parsed(line):
    """The row on ``line`` as a dict of values, or ``None`` if it is not a whole sweep row."""
    try:
        values = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return None
    if len(values) != len(SWEEP_FIELDS):
        return None
    try:
        row = {field: _parse(field, value) for field, value in zip(SWEEP_FIELDS, values)}
        settings = json.loads(row["settings"])
    except ValueError:
        return None
    return row if isinstance(settings, dict) else None


def _parse(field, value):
    if field == "settings" or (field == "scale" and value == "auto"):
        return value
    return int(value) if field in ("n_steps", "time_to_accuracy_steps") else float(value)
