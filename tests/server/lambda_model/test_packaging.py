import io
import zipfile

import pytest

from wasmhost.server.errors import ApiError
from wasmhost.server.lambda_model import packaging

WASM = b"\0asm\x01\0\0\0"


def zipped(files: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_module_found_by_handler_or_alone():
    assert packaging.code_from_zip(zipped({"a.wasm": WASM, "b.txt": b"x"}), "wasm32", None) == WASM
    assert packaging.code_from_zip(zipped({"bin/app.wasm": WASM, "c.wasm": b"y"}), "wasm32", "bin/app.wasm") == WASM
    assert packaging.code_from_zip(WASM, "provided.al2023", "whatever") == WASM  # a bare module


def test_sources_are_kept_as_the_zip():
    data = zipped({"lambda_function.py": b"def lambda_handler(e, c): return e"})
    assert packaging.code_from_zip(data, "python3.12", None) == data


@pytest.mark.parametrize("data, runtime, handler, match", [
    (b"PK\x03\x04 broken", "wasm32", None, "unzip"),
    (zipped({"a.wasm": WASM, "b.wasm": WASM}), "wasm32", None, "names no .wasm"),
    (zipped({"../evil.py": b""}), "python3.12", None, "outside"),
    (b"not a zip", "nodejs20.x", None, "unzip"),
])
def test_bad_packages(data, runtime, handler, match):
    with pytest.raises(ApiError, match=match) as e:
        packaging.code_from_zip(data, runtime, handler)
    assert e.value.code == "InvalidParameterValueException"


def test_base64_and_sha():
    assert packaging.b64("AAE=") == b"\0\1"
    with pytest.raises(ApiError):
        packaging.b64("not base64!")
    with pytest.raises(ApiError):
        packaging.b64(5)
    assert packaging.sha256_b64(b"") == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def test_extract(tmp_path):
    packaging.extract(zipped({"python/m.py": b"X = 1"}), tmp_path)
    assert (tmp_path / "python/m.py").read_bytes() == b"X = 1"
