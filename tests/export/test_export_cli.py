"""``snnconvert export MODEL -o PATH``: the command writes the network as a NIR file."""

import argparse
import sys
from pathlib import Path

import numpy as np
import pytest

nir = pytest.importorskip("nir")

from snnconvert.cli.export import add_export_command  # noqa: E402
from snnconvert.export import nir as nir_export  # noqa: E402

MNIST_CNN = Path(__file__).resolve().parents[2] / "models" / "mnist_cnn.h5"


def _run(argv):
    parser = argparse.ArgumentParser(prog="snnconvert")
    add_export_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


def test_export_writes_scale_and_synapse_into_the_file(tmp_path, capsys):
    """The gain (the scale) is folded into the weights feeding each population and the
    spike amplitude (1 / scale) into the weights its spikes reach."""
    scaled, unscaled = tmp_path / "scaled.nir", tmp_path / "unscaled.nir"
    _run(["export", str(MNIST_CNN), "-o", str(scaled), "--scale", "4", "--synapse", "0.01"])
    _run(["export", str(MNIST_CNN), "-o", str(unscaled), "--scale", "1", "--synapse", "0.01"])
    graph, reference = nir.read(str(scaled)), nir.read(str(unscaled))
    assert np.all(graph.nodes["conv2.neurons"].r == 1)
    np.testing.assert_allclose(graph.nodes["conv1"].weight, 4 * reference.nodes["conv1"].weight, rtol=1e-6)
    np.testing.assert_allclose(graph.nodes["conv1"].bias, 4 * reference.nodes["conv1"].bias, rtol=1e-6)
    np.testing.assert_allclose(graph.nodes["output"].weight, reference.nodes["output"].weight / 4, rtol=1e-6)
    np.testing.assert_allclose(graph.nodes["conv2.synapse"].tau, 0.01)
    assert f"wrote {scaled}" in capsys.readouterr().out


def test_keep_scales_writes_the_gain_as_r_and_the_amplitude_as_scale_nodes(tmp_path):
    literal, unscaled = tmp_path / "literal.nir", tmp_path / "unscaled.nir"
    _run(["export", str(MNIST_CNN), "-o", str(literal), "--scale", "4", "--keep-scales"])
    _run(["export", str(MNIST_CNN), "-o", str(unscaled), "--scale", "1"])
    graph, reference = nir.read(str(literal)), nir.read(str(unscaled))
    for population in ("conv1.neurons", "conv2.neurons"):
        assert np.all(graph.nodes[population].r == 4)
        np.testing.assert_allclose(graph.nodes[f"{population}.amplitude"].scale, 0.25)
    for layer in ("conv1", "conv2", "output"):  # weights as in Keras
        np.testing.assert_array_equal(graph.nodes[layer].weight, reference.nodes[layer].weight)


def test_export_without_synapse_or_scale_has_no_filters_or_amplitudes(tmp_path):
    path = tmp_path / "net.nir"
    _run(["export", str(MNIST_CNN), "-o", str(path), "--scale", "1", "--synapse", "0"])
    kinds = sorted(type(node).__name__ for node in nir.read(str(path)).nodes.values())
    assert kinds == ["Affine", "Conv2d", "Conv2d", "Flatten", "IF", "IF", "Input", "Output"]


def test_export_without_nir_names_the_extra_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "nir", None)
    with pytest.raises(ImportError, match=r'pip install "snnconvert\[nir\]"'):
        nir_export.to_nir(object())
