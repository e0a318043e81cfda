import json

from mac.bundle_setup import install_calibration, install_reader


def _bundle(tmp_path, bundle_id):
    out = tmp_path / "bundle"
    out.mkdir(exist_ok=True)
    (out / "manifest.json").write_text(json.dumps({"bundle_id": bundle_id}))
    return out


def test_installs_a_calibration_fitted_on_this_bundle(tmp_path):
    out = _bundle(tmp_path, "b-1")
    calibration = tmp_path / "calibration.json"
    calibration.write_text(json.dumps({"bundle_id": "b-1", "modes": {}}))
    install_calibration(out, calibration)
    assert json.loads((out / "calibration.json").read_text())["bundle_id"] == "b-1"


def test_leaves_out_one_fitted_on_another_bundle(tmp_path, capsys):
    out = _bundle(tmp_path, "b-2")
    (out / "calibration.json").write_text("{}")  # an older install must not survive either
    calibration = tmp_path / "calibration.json"
    calibration.write_text(json.dumps({"bundle_id": "b-1", "modes": {}}))
    install_calibration(out, calibration)
    assert not (out / "calibration.json").exists()
    assert "npm run calibrate" in capsys.readouterr().out


def test_installs_the_reader_given_and_removes_one_not_given(tmp_path):
    out = _bundle(tmp_path, "b-1")
    reader = tmp_path / "reader-int8.onnx"
    reader.write_bytes(b"a reader")
    install_reader(out, reader)
    assert (out / "reader.onnx").read_bytes() == b"a reader"
    reader.write_bytes(b"a retrained reader")
    install_reader(out, reader)
    assert (out / "reader.onnx").read_bytes() == b"a retrained reader"
    install_reader(out, None)
    assert not (out / "reader.onnx").exists()


def test_a_bundle_storing_memories_with_another_codec_is_rebuilt(tmp_path):
    from mac.bundle_setup import up_to_date
    from mac.config import MemoryConfig
    from mac.export import EXPORT_REVISION, FORMAT_VERSION
    from mac.quantize import ENCODER_INT8, describe

    def manifest(codec):
        out = _bundle(tmp_path, "b-1")
        (out / "manifest.json").write_text(json.dumps({
            "format_version": FORMAT_VERSION, "export_revision": EXPORT_REVISION, "files": {},
            "quantization": {"lm": describe("grid"), "encoder": ENCODER_INT8}, "memory": {"codec": codec},
        }))
        return out

    assert up_to_date(manifest(MemoryConfig().codec), "grid", "int8", None)
    assert not up_to_date(manifest("fp16"), "grid", "int8", None)


def test_the_bundle_id_names_the_models_not_the_machine_that_built_them():
    from mac.export import bundle_id

    def manifest(lm: str, parity: str) -> dict:
        return {"name": "b", "files": {"lm.onnx": {"sha256": lm, "bytes": 1}, "parity.json": {"sha256": parity, "bytes": 1}}}

    # parity.json holds the building CPU's PyTorch outputs: another CPU writes other last bits, same bundle
    assert bundle_id(manifest("lm-1", "avx2")) == bundle_id(manifest("lm-1", "avx512"))
    assert bundle_id(manifest("lm-1", "avx2")) != bundle_id(manifest("lm-2", "avx2"))
