"""Helpers shared by the command-line tests: running ``snnconvert`` in-process and
checking that it fails with one error line."""

from snnconvert.cli import main


def run(capsys, *argv):
    """Run the command line; returns (exit code, stdout, stderr)."""
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_error_line(capsys, argv, *fragments):
    """Run the command line with ``argv`` and check that it exits with status 2 and writes
    no traceback, only one ``snnconvert: error: ...`` line containing every one of
    ``fragments``. Returns the captured output (``.out``, ``.err``)."""
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("snnconvert: error: ")
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return captured
