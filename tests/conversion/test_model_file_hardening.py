"""Hostile model files and huge option values end in one short, clear error.

A model file is untrusted input: whatever it holds (a decompression bomb, JSON nested
100,000 deep, a number of 5,000 digits, a Lambda entry of the wrong type) must end in a
single-line ``ModelLoadError`` naming the file and the problem, never in a traceback,
a MemoryError or code being run. A huge option value must not make a huge message.
"""

import json
import struct
import sys
import zipfile

import h5py
import keras
import numpy as np
import pytest
from conversion_helpers import assert_message_names, randomize_weights, seq

import snnconvert
from snnconvert import ConversionError, ModelLoadError
from snnconvert.loading import archive as archive_checks
from snnconvert.loading import config as config_checks

L = keras.layers
MB = 2**20
# Room for the fixed wording of the longest message plus two abbreviated values.
MESSAGE_BOUND = 1000
OPTION_MESSAGE_BOUND = 500


def small_model():
    return seq((4,), L.Dense(3, activation="relu", name="hidden"), L.Dense(2, name="out"))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A valid model saved in both formats, and its config as a dict."""
    folder = tmp_path_factory.mktemp("saved")
    model = randomize_weights(small_model())
    paths = {suffix: folder / f"valid{suffix}" for suffix in (".keras", ".h5")}
    for path in paths.values():
        model.save(path)
    with zipfile.ZipFile(paths[".keras"]) as archive:
        config = json.loads(archive.read("config.json"))
    return paths, config


def _refusal(path):
    """The ModelLoadError that converting ``path`` raises; it must be one short line."""
    with pytest.raises(ModelLoadError) as error:
        snnconvert.convert(path)
    message = str(error.value)
    assert "\n" not in message and len(message) < MESSAGE_BOUND, message
    assert str(path) in message
    return error


def _with_config(saved, tmp_path, suffix, text):
    """A copy of the saved model whose stored config is ``text`` (str or bytes)."""
    paths, _ = saved
    path = tmp_path / f"altered{suffix}"
    if suffix == ".h5":
        path.write_bytes(paths[".h5"].read_bytes())
        with h5py.File(path, "r+") as file:
            file.attrs["model_config"] = text
        return path
    with zipfile.ZipFile(paths[".keras"]) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, text if name == "config.json" else source.read(name))
    return path


def _inflating_member(archive, name, size):
    """Write ``name`` as ``size`` zero bytes, deflated in chunks so neither side holds them."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=False) as member:
        for _ in range(size // MB):
            member.write(bytes(MB))


def _declare_size(path, name, size):
    """Overwrite the uncompressed size ``name`` declares, in its local and central headers."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local, central = archive.getinfo(name).header_offset, archive.start_dir
    struct.pack_into("<I", data, local + 22, size)
    while data[central : central + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, central + 28)
        if data[central + 46 : central + 46 + name_length].decode() == name:
            struct.pack_into("<I", data, central + 24, size)
        central += 46 + name_length + extra_length + comment_length
    path.write_bytes(data)


def _forbid_inflating(monkeypatch):
    """Make any read of a member fail: the refusal must come from declared sizes alone."""

    def refuse(*args, **kwargs):
        raise AssertionError("a member was opened before the declared sizes were checked")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


# ------------------------------------------------------------- decompression bombs
@pytest.fixture
def low_bounds(monkeypatch):
    """Bounds of 8 MB, so that bombs of tens of megabytes (fast to build) exceed them."""
    for module, name in [(config_checks, "MAX_CONFIG_BYTES"), (archive_checks, "MAX_CONFIG_BYTES"),
                         (archive_checks, "EXPANSION_FLOOR")]:
        monkeypatch.setattr(module, name, 8 * MB)


def test_oversized_config_is_refused_from_its_declared_size(tmp_path, monkeypatch, low_bounds):
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w") as archive:
        _inflating_member(archive, "config.json", 32 * MB)
    assert path.stat().st_size < MB // 8
    _forbid_inflating(monkeypatch)
    error = _refusal(path)
    assert_message_names(error, "config.json", f"{32 * MB:,} bytes", "before anything in it is decompressed")


def test_config_declaring_gigabytes_is_refused_unread(tmp_path, monkeypatch):
    """The reported case at the real bounds: a few bytes that claim to inflate to 3.75 GiB."""
    path = tmp_path / "claims.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", b"{}")
    _declare_size(path, "config.json", 0xF000_0000)
    _forbid_inflating(monkeypatch)
    error = _refusal(path)
    assert_message_names(error, "config.json", f"{0xF000_0000:,} bytes", f"{config_checks.MAX_CONFIG_BYTES:,}")


def test_bomb_member_is_refused_from_its_declared_size(saved, tmp_path, monkeypatch, low_bounds):
    paths, _ = saved
    path = tmp_path / "bomb_weights.keras"
    with zipfile.ZipFile(paths[".keras"]) as source, zipfile.ZipFile(path, "w") as target:
        target.writestr("config.json", source.read("config.json"))
        _inflating_member(target, "model.weights.h5", 32 * MB)
    _forbid_inflating(monkeypatch)
    error = _refusal(path)
    assert_message_names(error, "'model.weights.h5'", "decompression bomb", f"{32 * MB:,} bytes")


def test_member_lying_about_its_size_is_read_no_further(saved, tmp_path):
    """config.json declares 1 kB but inflates to 32 MB: reading stops at the declared size."""
    paths, _ = saved
    path = tmp_path / "lying.keras"
    with zipfile.ZipFile(paths[".keras"]) as source, zipfile.ZipFile(path, "w") as target:
        _inflating_member(target, "config.json", 32 * MB)
        target.writestr("model.weights.h5", source.read("model.weights.h5"))
    _declare_size(path, "config.json", 1000)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("config.json").file_size == 1000
    error = _refusal(path)
    assert_message_names(error, "'config.json'", "fails its checksum")


def test_damaged_member_with_a_huge_name_gives_a_short_message(saved, tmp_path):
    paths, _ = saved
    path = tmp_path / "damaged.keras"
    name = "n" * 60_000
    with zipfile.ZipFile(paths[".keras"]) as source, zipfile.ZipFile(path, "w") as target:
        target.writestr("config.json", source.read("config.json"))
        target.writestr(name, b"payload")  # stored, so its bytes sit in the file as written
    data = path.read_bytes()
    path.write_bytes(data.replace(b"payload", b"paXload"))
    error = _refusal(path)
    assert_message_names(error, "'nnnn", "fails its checksum")


def test_bounded_read_stops_past_its_bound(saved, tmp_path):
    """The chunked reader stops once past its bound, even if zipfile would go on."""
    path = tmp_path / "plain.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", b"x" * (3 * MB))
    with zipfile.ZipFile(path) as archive, pytest.raises(ModelLoadError, match="more than 1,048,576 bytes"):
        for _ in archive_checks._inflate(path, archive, archive.getinfo("config.json"), MB):
            pass


def test_members_declaring_too_much_in_all_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "huge_total.keras"
    names = [f"part{i}.bin" for i in range(5)]
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, b"")
    declared = 0xF000_0000  # 3.75 GiB each, 18.75 GiB in all
    for name in names:
        _declare_size(path, name, declared)
    _forbid_inflating(monkeypatch)
    error = _refusal(path)
    assert_message_names(error, f"{5 * declared:,} bytes in all", f"{archive_checks.MAX_TOTAL_BYTES:,}")


def test_archive_with_too_many_members_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "many.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(archive_checks.MAX_ENTRIES + 1):
            archive.writestr(f"m{i}", b"")
    _forbid_inflating(monkeypatch)
    error = _refusal(path)
    assert_message_names(error, f"{archive_checks.MAX_ENTRIES + 1:,} members")


def test_model_at_the_bounds_still_loads(saved, tmp_path, monkeypatch):
    """The bounds sit above what a real model needs: a valid archive passes them."""
    paths, config = saved
    monkeypatch.setattr(archive_checks, "MAX_ENTRIES", 3)  # config, metadata, weights
    size = len(json.dumps(config).encode())
    monkeypatch.setattr(archive_checks, "MAX_CONFIG_BYTES", size + 100)
    net = snnconvert.convert(paths[".keras"], neuron_type="rate")
    assert [layer.name for layer in net.keras_model.layers] == ["hidden", "out"]


# ------------------------------------------------------------- malformed configs
def _lambda_entry(layer_config):
    return {"module": "keras.layers", "class_name": "Lambda", "config": layer_config}


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize(
    "layer_config, shown",
    [(None, "'?'"), ("a string", "'?'"), ({"name": 7}, "'?'"), ({"name": "odd"}, "'odd'")],
    ids=["null", "string", "int_name", "named"],
)
def test_lambda_entry_of_any_shape_is_refused(saved, tmp_path, suffix, layer_config, shown):
    _, config = saved
    altered = json.loads(json.dumps(config))
    altered["config"]["layers"].append(_lambda_entry(layer_config))
    path = _with_config(saved, tmp_path, suffix, json.dumps(altered))
    error = _refusal(path)
    assert_message_names(error, f"Lambda layer(s) [{shown}]", "safe mode")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_tfsm_layer_in_file_is_refused(saved, tmp_path, suffix):
    """A TFSMLayer runs a SavedModel from a folder the file names (Keras < 3.14 even in safe mode)."""
    _, config = saved
    altered = json.loads(json.dumps(config))
    entry = {"module": "keras.layers", "class_name": "TFSMLayer",
             "config": {"name": "outside", "filepath": str(tmp_path / "saved_model")}}
    altered["config"]["layers"].insert(1, entry)
    path = _with_config(saved, tmp_path, suffix, json.dumps(altered))
    error = _refusal(path)
    assert_message_names(error, "TFSMLayer layer(s) ['outside']", "outside the file")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_config_nested_beyond_the_parser_is_refused(saved, tmp_path, suffix):
    depth = 100_000
    path = _with_config(saved, tmp_path, suffix, "[" * depth + "]" * depth)
    error = _refusal(path)
    assert_message_names(error, "nested too deeply")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_config_nested_beyond_the_walk_bound_is_refused(saved, tmp_path, suffix):
    depth = config_checks.MAX_CONFIG_DEPTH + 50  # still parses, but no model nests so deep
    path = _with_config(saved, tmp_path, suffix, '{"a": ' * depth + "1" + "}" * depth)
    error = _refusal(path)
    assert_message_names(error, f"nested more than {config_checks.MAX_CONFIG_DEPTH} levels")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_integer_past_pythons_digit_limit_is_refused(saved, tmp_path, suffix):
    _, config = saved
    text = json.dumps(config)[:-1] + ', "extra": ' + "7" * 5000 + "}"
    path = _with_config(saved, tmp_path, suffix, text)
    error = _refusal(path)
    assert_message_names(error, "integer of more than", str(sys.get_int_max_str_digits()), "digits")


@pytest.mark.parametrize(
    "value, held",
    [(np.arange(5), "an array of int64 of shape (5,)"), (np.float32(2.5), "a float32")],
    ids=["int_array", "float"],
)
def test_h5_model_config_that_is_not_text_is_refused(saved, tmp_path, value, held):
    path = _with_config(saved, tmp_path, ".h5", value)
    error = _refusal(path)
    assert_message_names(error, "model_config attribute", held, "not the JSON text")


def test_huge_unknown_class_name_gives_a_short_message(saved, tmp_path):
    _, config = saved
    altered = json.loads(json.dumps(config))
    altered["config"]["layers"][0]["class_name"] = "Q" * 5 * MB
    path = _with_config(saved, tmp_path, ".keras", json.dumps(altered))
    error = _refusal(path)
    assert_message_names(error, "QQQQ")


# ------------------------------------------------------------ huge option values
HUGE = "x" * 20_000_000
HUGE_OPTIONS = {
    "scale_firing_rates_string": ({"scale_firing_rates": HUGE}, ValueError, "scale_firing_rates='xxxx"),
    "scale_firing_rates_key": ({"scale_firing_rates": {HUGE: 2.0}}, ConversionError, "names ['xxxx"),
    "scale_firing_rates_key_bad_value": ({"scale_firing_rates": {HUGE: 0}}, ValueError, "scale_firing_rates['xx"),
    "scale_firing_rates_huge_int": ({"scale_firing_rates": 7 * 10**5000}, ValueError, "<int of 5001 digits>"),
    "synapse_string": ({"synapse": HUGE}, ValueError, "synapse='xxxx"),
    "neuron_type": ({"neuron_type": HUGE}, ValueError, "neuron_type='xxxx"),
    "max_pooling": ({"max_pooling": HUGE}, ValueError, "max_pooling='xxxx"),
    "non_spiking_names": ({"non_spiking": [f"layer{i}" for i in range(100_000)]}, ConversionError, "names ['layer0'"),
    "non_spiking_mixed": ({"non_spiking": [HUGE, 3]}, ValueError, "non_spiking=['xxxx"),
    "swap_activations": ({"swap_activations": {HUGE: "lif"}}, ConversionError, "activations ['xxxx"),
    "target_rate": (
        {"scale_firing_rates": "auto", "calibration_data": np.ones((2, 4), np.float32), "target_rate": HUGE},
        ValueError,
        "target_rate='xxxx",
    ),
}


@pytest.mark.parametrize("options, error_type, part", HUGE_OPTIONS.values(), ids=HUGE_OPTIONS.keys())
def test_huge_option_value_gives_a_short_message(options, error_type, part):
    with pytest.raises(error_type) as error:
        snnconvert.convert(small_model(), **options)
    message = str(error.value)
    assert len(message) < OPTION_MESSAGE_BOUND, f"{len(message)} characters: {message[:300]}..."
    assert part in message, message
