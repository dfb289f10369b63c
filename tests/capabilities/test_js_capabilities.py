"""JavaScript functions: fetch and wasmhost.kv through the host's capabilities."""

import pytest

from wasmhost import FunctionConfig, FunctionError, Host

APP = """
export async function handler(event, context) {  // async: a plain return answers null, as on Lambda
  const kv = event.store ? wasmhost.kv.store(event.store) : wasmhost.kv;
  if (event.op === "incr") {
    const n = Number(kv.getText("n") || "0") + 1;
    kv.set("n", String(n));
    return { n, keys: kv.keys("n"), deleted: kv.delete("absent") };
  }
  if (event.op === "bytes") {
    kv.set("b", new Uint8Array([0, 255, 7]));
    return Array.from(kv.get("b"));
  }
  const promise = fetch(event.url);
  const r = wasmhost.fetchSync(event.url, { method: event.method || "GET", body: event.body,
                                            headers: { "X-Js": "yes" } });
  return { status: r.status, ok: r.ok, text: r.textSync(), type: r.headers.get("content-type"),
           promise: typeof promise.then, redirected: r.redirected, url: r.url };
}
"""


@pytest.fixture(scope="module")
def jhost(tmp_path_factory, artifact_cache, internet):
    from wasmhost.runtimes import javascript
    try:
        javascript.componentize_js()
    except Exception as e:  # pragma: no cover - CI installs it
        pytest.skip(f"{e} (.ci/run installs it)")
    tmp = tmp_path_factory.mktemp("jscap")
    (tmp / "app.js").write_text(APP)
    h = Host(tmp / "data", cache_dir=artifact_cache)
    h.deploy("fetcher", tmp / "app.js", FunctionConfig(allowed_hosts=(f"127.0.0.1:{internet.port}",)))
    h.deploy("plain", tmp / "app.js")
    yield h
    h.close()


def test_fetch_get_and_post(jhost, internet):
    out = jhost.invoke("fetcher", {"url": internet.url + "/hello"}).value
    assert out == {"status": 200, "ok": True, "text": "hello from the internet", "type": "text/plain; charset=utf-8",
                   "promise": "function", "redirected": False, "url": internet.url + "/hello"}
    out = jhost.invoke("fetcher", {"url": internet.url + "/echo", "method": "POST", "body": "hi"}).value
    import json
    doc = json.loads(out["text"])
    assert doc["method"] == "POST" and doc["body"] == "hi" and {k.lower(): v for k, v in doc["headers"].items()}["x-js"] == "yes"
    out = jhost.invoke("fetcher", {"url": f"{internet.url}/redirect?to=/hello"}).value
    assert out["redirected"] and out["text"] == "hello from the internet"


def test_fetch_refused_names_host_and_setting(jhost):
    with pytest.raises(FunctionError) as e:
        jhost.invoke("plain", {"url": "http://api.example.com/x"})
    assert e.value.error_type == "TypeError"
    assert "api.example.com" in e.value.error_message and "allowed_hosts" in e.value.error_message


def test_kv_from_javascript(jhost):
    assert jhost.invoke("plain", {"op": "incr"}).value == {"n": 1, "keys": ["n"], "deleted": False}
    assert jhost.invoke("plain", {"op": "incr"}).value["n"] == 2
    assert jhost.invoke("fetcher", {"op": "incr"}).value["n"] == 1  # another function, another store
    assert jhost.invoke("plain", {"op": "bytes"}).value == [0, 255, 7]
    with pytest.raises(FunctionError, match="StoreNotGranted"):
        jhost.invoke("plain", {"op": "incr", "store": "shared"})
