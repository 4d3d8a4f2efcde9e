"""``snnconvert sweep`` resumes across spellings of the same settings and refuses a busy file."""

import csv
import fcntl

from cli_helpers import run


def rows(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_the_data_s_own_pixel_scale_and_another_model_path_resume(capsys, tiny, tmp_path, monkeypatch):
    csv_path = tmp_path / "sweep.csv"
    common = ["--dataset", tiny.data_path, "--n-steps", 4, "--scale", 30, "--output", csv_path, "--quiet"]
    code, _, err = run(capsys, "sweep", tiny.model_path, *common)
    assert code == 0, err
    first = rows(csv_path)
    monkeypatch.chdir(tiny.folder)
    # uint8 data is scaled by 255 by default: saying so is the same sweep, and so is a relative path.
    code, _, err = run(capsys, "sweep", "tiny.h5", *common, "--pixel-scale", 255)
    assert code == 0, err
    assert rows(csv_path) == first
    code, _, err = run(capsys, "sweep", "tiny.h5", *common, "--pixel-scale", 128)
    assert code == 2
    assert "'pixel_scale' was unset there and is 128.0 now" in err


def test_a_sweep_file_locked_by_another_sweep_is_one_clear_error(capsys, tiny, tmp_path):
    csv_path = tmp_path / "sweep.csv"
    with open(csv_path, "a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        code, _, err = run(capsys, "sweep", tiny.model_path, "--dataset", tiny.data_path, "--n-steps", 4,
                           "--scale", 30, "--output", csv_path, "--quiet")
    assert code == 2
    assert err.startswith("snnconvert: error: ") and err.count("\n") == 1
    assert "sweep.csv' is locked: another sweep is writing it" in err
    assert csv_path.read_text() == ""
