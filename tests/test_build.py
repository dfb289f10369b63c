"""`wasmhost build` with the real toolchains, and every compiled example run through
the host. .ci/run installs the toolchains (ziglang from PyPI, Debian rustc +
libstd-rust-dev-wasm32, npm assemblyscript); builds are cached by source hash."""

import json
from pathlib import Path

import msgpack
import pytest

from wasmhost import FuelExhausted, FunctionConfig, FunctionError
from wasmhost.build import BuildError, build

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def built(tmp_path, rel: str) -> Path:
    try:
        return build(EXAMPLES / rel, tmp_path / (Path(rel).stem + ".wasm"))
    except BuildError as e:
        if "is not installed" in str(e):
            pytest.skip(f"toolchain missing ({e}); .ci/run installs it")
        raise


@pytest.mark.parametrize("rel", ["c/hello.c", "zig/hello.zig", "rust/hello.rs", "assemblyscript/hello.ts"])
def test_hello_in_every_compiled_language(host, tmp_path, rel):
    host.deploy("hello", built(tmp_path, rel))
    for _ in range(3):  # warm calls too: the SDK allocators must not leak or break
        assert host.invoke("hello", b"world").payload == b"Hello, world!"
    assert host.invoke("hello", b"x" * 100_000).payload == b"Hello, " + b"x" * 100_000 + b"!"


def test_c_grayscale_works_on_bytes(host, tmp_path):
    host.deploy("gray", built(tmp_path, "c/grayscale.c"))
    px = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 128, 128, 128])
    out = host.invoke("gray", b"P6\n# a comment\n3 2\n255\n" + px).payload
    assert out == b"P5\n3 2\n255\n" + bytes([76, 150, 29, 255, 0, 128])
    big = b"P6 640 480 255\n" + bytes(range(256)) * (640 * 480 * 3 // 256)
    assert len(host.invoke("gray", big).payload) == len(b"P5\n640 480\n255\n") + 640 * 480
    with pytest.raises(FunctionError) as e:
        host.invoke("gray", b"P6 10 10 255\nshort")
    assert e.value.error_type == "InvalidImage"


def test_zig_primes_shows_fuel(host, tmp_path):
    # strict: each run starts from the same fresh instance, so the fuel is exactly the same
    # (a warm instance's allocator state can change it by a few hundred units)
    host.deploy("primes", built(tmp_path, "zig/primes.zig"), FunctionConfig(fuel=5_000_000, isolation="strict"))
    r1 = host.invoke("primes", b"10000")
    assert r1.payload == b"1229"
    assert host.invoke("primes", b"10000").report.fuel_used == r1.report.fuel_used  # deterministic
    with pytest.raises(FuelExhausted):
        host.invoke("primes", b"10000000")
    with pytest.raises(FunctionError, match="decimal"):
        host.invoke("primes", b"ten")


def test_rust_logs_and_context(host, tmp_path):
    host.deploy("ctx", built(tmp_path, "rust/context.rs"), FunctionConfig(timeout_ms=1000))
    res = host.invoke("ctx", b"{}")
    doc = json.loads(res.payload)
    assert doc["request_id"] == res.report.request_id and doc["function_name"] == "ctx"
    assert 500 < doc["remaining_ms"] <= 1000
    assert res.logs == "handling 2 bytes for ctx\ndone\n"
    with pytest.raises(FunctionError) as e:
        host.invoke("ctx", b'"fail"')
    assert e.value.to_lambda() == {"errorType": "DemoError", "errorMessage": "asked to fail"}


def test_c_http_trigger_response(host, tmp_path):
    host.deploy("web", built(tmp_path, "c/http_hello.c"))
    out = json.loads(host.invoke("web", {"version": "2.0", "rawPath": "/a/b"}).payload)
    assert out == {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "you asked for /a/b"}


def test_sdk_context_reader_against_the_host_map(host, tmp_path):
    """The C SDK's msgpack reader finds each field of the real context map."""
    src = tmp_path / "ctx.c"
    src.write_text('#include "wasmhost.h"\n'
                   'static wh_bytes handle(wh_bytes ev) {\n'
                   '  wh_bytes ctx = wasmhost_context_raw();\n'
                   '  wh_bytes v = wasmhost_context_str(ctx, "function_version");\n'
                   '  int64_t mb = wasmhost_context_int(ctx, "memory_limit_in_mb");\n'
                   '  uint8_t *out = wasmhost_malloc(v.len + 1);\n'
                   '  wh_memcpy(out, v.data, v.len); out[v.len] = (uint8_t)mb;\n'
                   '  wh_bytes r = { out, v.len + 1 }; return r; }\n'
                   'WASMHOST_HANDLER(handle)\n')
    try:
        wasm = build(src, tmp_path / "ctx.wasm")
    except BuildError as e:
        pytest.skip(f"toolchain missing ({e}); .ci/run installs it")
    host.deploy("c", wasm, FunctionConfig(memory_mb=77, env={"A": "1"}))
    assert host.invoke("c", b"").payload == b"$LATEST" + bytes([77])
    assert msgpack.unpackb(b"\x81\xa1a\x01") == {"a": 1}  # the format the reader parses


def test_build_errors_are_clear(tmp_path):
    with pytest.raises(BuildError, match="unknown language"):
        (tmp_path / "x.go").write_text("package main")
        build(tmp_path / "x.go")
    with pytest.raises(BuildError, match="no such file"):
        build(tmp_path / "missing.c")
    (tmp_path / "bad.c").write_text("this is not C")
    with pytest.raises(BuildError, match="the c build failed"):
        try:
            build(tmp_path / "bad.c")
        except BuildError as e:
            if "is not installed" in str(e):
                pytest.skip(f"toolchain missing ({e}); .ci/run installs it")
            raise
    (tmp_path / "a.c").write_text("")
    (tmp_path / "b.zig").write_text("")
    with pytest.raises(BuildError, match="cannot tell which file"):
        build(tmp_path)


def test_build_cache_lives_in_the_data_directory(monkeypatch, tmp_path):
    from wasmhost.build import cache_dir
    monkeypatch.delenv("WASMHOST_BUILD_CACHE", raising=False)
    monkeypatch.setenv("WASMHOST_HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / "build"
    monkeypatch.setenv("WASMHOST_BUILD_CACHE", str(tmp_path / "elsewhere"))
    assert cache_dir() == tmp_path / "elsewhere"
