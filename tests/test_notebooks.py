"""The example notebooks run from top to bottom and show sensible numbers.

Each notebook is executed in a fresh ``python3`` kernel, in its small version
(``SNNCONVERT_NOTEBOOK_FAST=1``), with ``notebooks/`` as the working directory. The
committed files are only read: the executed copy is written to a temporary folder.
"""

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CELL_TIMEOUT = 300  # seconds

pytestmark = pytest.mark.slow


def execute_notebook(name, data_dir, tmp_path, monkeypatch):
    """Run ``notebooks/<name>`` in FAST mode; return the executed notebook and its text."""
    # The kernel is a child process and inherits this environment.
    monkeypatch.setenv("SNNCONVERT_NOTEBOOK_FAST", "1")
    monkeypatch.setenv("SNNCONVERT_DATA", str(data_dir))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    try:
        client.execute()
    finally:
        nbformat.write(notebook, tmp_path / name)  # kept for inspection, never over the original
    return notebook, stdout_text(notebook)


def stdout_text(notebook):
    return "\n".join(
        output["text"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stdout"
    )


def count_images(notebook):
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def number(pattern, text):
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"no line matches {pattern!r} in the notebook's output:\n{text}"
    return [float(group.replace(",", "")) for group in match.groups()]


def table_row(header_start, row_start, text):
    """Cells of the first row starting with ``row_start`` in the table whose header starts
    with ``header_start`` (runs of spaces count as one)."""
    lines = text.splitlines()
    header = " ".join(header_start.split())
    start = next((i for i, line in enumerate(lines) if " ".join(line.split()).startswith(header)), None)
    assert start is not None, f"no table headed {header_start!r} in the notebook's output:\n{text}"
    row = next((line for line in lines[start + 2:] if line.startswith(row_start)), None)
    assert row is not None, f"no row {row_start!r} in the table headed {header_start!r}:\n{text}"
    return row.split()


def percent(cell):
    return float(cell.rstrip("%")) / 100


def test_scale_sweep_notebook(data_dir, tmp_path, monkeypatch):
    notebook, text = execute_notebook("scale_sweep.ipynb", data_dir, tmp_path, monkeypatch)
    assert "FAST=True" in text
    assert count_images(notebook) >= 1

    # The rate twin reproduces the Keras model.
    (keras,) = number(r"^Keras accuracy:\s+([\d.]+)", text)
    (rate,) = number(r"^rate-mode accuracy:\s+([\d.]+)", text)
    (difference,) = number(r"largest \|rate logit - Keras logit\|: ([\d.e+-]+)", text)
    assert keras > 0.9
    assert rate == pytest.approx(keras, abs=0.011)
    assert difference < 1e-3

    # The sweep: at scale 1000 every setting is close to the Keras model, and spikes per
    # image grow with the scale.
    row_low = table_row("scale  acc no synapse", "1 ", text)
    row_high = table_row("scale  acc no synapse", "1000 ", text)
    n_synapses = (len(row_high) - 1) // 2
    assert all(percent(cell) >= 0.8 for cell in row_high[1:1 + n_synapses])
    spikes_low = [float(cell.replace(",", "")) for cell in row_low[1 + n_synapses:]]
    spikes_high = [float(cell.replace(",", "")) for cell in row_high[1 + n_synapses:]]
    assert all(100 < high / low < 1000 for low, high in zip(spikes_low, spikes_high))

    # conv1's spikes are exactly proportional to the scale.
    row = table_row("scale  conv1 spikes/img  conv1 / expected", "1000 ", text)
    assert float(row[2]) == pytest.approx(1.0, abs=0.05)

    # Counting: exact count = the simulator's count > naive count of non-zero steps at scale 1000.
    row = table_row("scale  amplitude  max spikes in a step", "1000 ", text)
    max_per_step, exact, reported, naive = (float(cell.replace(",", "")) for cell in row[2:6])
    assert max_per_step >= 2
    assert exact == reported
    assert naive < exact

    # A uniform start lets scale 10 with a 5 ms synapse beat chance; "half" stays silent.
    uniform = table_row("initial_state  accuracy", "uniform ", text)
    half = table_row("initial_state  accuracy", "half ", text)
    assert percent(uniform[1]) > 0.3
    assert float(half[2]) == 0.0


def test_time_dimension_notebook(data_dir, tmp_path, monkeypatch):
    notebook, text = execute_notebook("time_dimension.ipynb", data_dir, tmp_path, monkeypatch)
    assert "FAST=True" in text
    assert count_images(notebook) >= 3  # accuracy over time, rasters, output traces

    (keras,) = number(r"^Keras accuracy on these \d+ images: ([\d.]+)%", text)
    assert keras > 90

    # Readout table: scale 1000 without synapse is accurate whatever the readout.
    row = table_row("scale synapse last step", "1000 ", text)
    assert all(percent(cell) >= 0.8 for cell in row[3:6])

    # The raster at scale 1000 has steps with several spikes.
    (amplitude, most) = number(r"^scale 1000: amplitude ([\d.]+);.*at most (\d+) in one step", text)
    assert amplitude == pytest.approx(0.001)
    assert most >= 2

    # A synapse smooths the output: the spread of the true logit falls as tau grows.
    spreads = [float(table_row("synapse correct steps", label, text)[-2])
               for label in ("no synapse", "synapse 5 ms", "synapse 20 ms")]
    assert spreads[0] > spreads[1] > spreads[2]
