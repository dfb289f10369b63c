"""The compiled-language SDKs' HTTP and key-value wrappers, built with the real
toolchains (.ci/run installs them) and run against the local internet server."""

from pathlib import Path

import pytest

from wasmhost import FunctionConfig, FunctionError, Host
from wasmhost.build import BuildError, build

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


@pytest.mark.parametrize("rel", ["c/visits.c", "zig/visits.zig", "rust/visits.rs", "assemblyscript/visits.ts"])
def test_kv_and_http_from_every_compiled_language(tmp_path, internet, rel):
    try:
        wasm = build(EXAMPLES / rel, tmp_path / "visits.wasm")
    except BuildError as e:
        if "is not installed" in str(e):
            pytest.skip(f"toolchain missing ({e}); .ci/run installs it")
        raise
    with Host(tmp_path / "data") as h:
        h.deploy("visits", wasm, FunctionConfig(allowed_hosts=(f"127.0.0.1:{internet.port}",)))
        h.deploy("denied", wasm)
        url = (internet.url + "/hello").encode()
        assert h.invoke("visits", url).payload == b"1 hello from the internet"
        res = h.invoke("visits", url)
        assert res.payload == b"2 hello from the internet" and res.report.outbound_requests == 1
        with pytest.raises(FunctionError) as e:
            h.invoke("denied", url)
        assert e.value.error_type == "OutboundRefused" and "allowed_hosts" in e.value.error_message
