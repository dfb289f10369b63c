import pytest

from wasmhost import Host


@pytest.fixture
def host(tmp_path):
    h = Host(tmp_path / "data")
    yield h
    h.close()


@pytest.fixture(scope="module")
def internet():
    """A real HTTP server on 127.0.0.1 (tests/internet.py), standing for the outside
    world that functions call out to; one per test module."""
    from internet import Internet
    server = Internet().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tls_internet(tmp_path_factory):
    """The same internet over HTTPS, with a certificate for 127.0.0.1 from a CA of its
    own (made here with openssl): (server, the certificate's path)."""
    import shutil
    import ssl
    import subprocess

    from internet import Internet
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate (Debian: apt-get install openssl)")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "key.pem"),
                    "-out", str(d / "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(d / "cert.pem", d / "key.pem")
    server = Internet(ssl_context=ctx).start()
    yield server, d / "cert.pem"
    server.stop()


def _runtime_host(tmp_path_factory, toolchain, name):
    """A Host for one language's functions; skipped, saying why, without the toolchain
    that builds its runtime (.ci/run installs both)."""
    try:
        toolchain()
    except Exception as e:  # pragma: no cover - CI installs it
        pytest.skip(f"{e} (.ci/run installs it)")
    h = Host(tmp_path_factory.mktemp(name))
    yield h
    h.close()


@pytest.fixture(scope="module")
def python_host(tmp_path_factory):
    """A Host for Python functions, one per test module (componentize-py)."""
    from wasmhost.runtimes import python
    yield from _runtime_host(tmp_path_factory, python.componentize_py, "pyhost")


@pytest.fixture(scope="module")
def js_host(tmp_path_factory):
    """A Host for Node.js functions, one per test module (componentize-js)."""
    from wasmhost.runtimes import javascript
    yield from _runtime_host(tmp_path_factory, javascript.componentize_js, "jshost")


@pytest.fixture(scope="session")
def runtime_cache(tmp_path_factory):
    """A compiled-artifact cache shared by the test modules that use it (a data dir's
    ``cache`` may be a link to it): the Python and Node.js runtime components are
    compiled once per test session instead of once per data directory (each is
    seconds of Cranelift, a minute on a loaded machine)."""
    return tmp_path_factory.mktemp("runtime-cache")
