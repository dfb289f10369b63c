"""Pure-Python stand-ins in the Python runtime for native code the sandbox lacks:
rpds-py's module (wasmhost_runtime's STAND_INS), so jsonschema (4.18 and later keep
schemas in rpds-py's maps through ``referencing``) validates as in CPython; and
OpenSSL's ``hashlib.pbkdf2_hmac`` and ``hashlib.scrypt`` (wasmhost_hashlib)."""

import hashlib

import json
import sys
import textwrap
from pathlib import Path

import pytest

from wasmhost import FunctionConfig

pytest.importorskip("wasmtime.component")

RUNTIME = Path(__file__).resolve().parents[2] / "guest_sdk" / "python" / "runtime"

APP = textwrap.dedent("""
    import pickle
    import jsonschema
    import rpds
    from referencing import Registry, Resource
    address = Resource.from_contents({"$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:address", "type": "object",
        "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}}, "required": ["zip"]})
    registry = Registry().with_resource("urn:address", address)
    SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "home": {"$ref": "urn:address"},
              "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "uniqueItems": True}}, "required": ["name"]}
    def handler(event, context):
        v = jsonschema.Draft202012Validator(SCHEMA, registry=registry)
        errors = sorted((list(e.absolute_path), e.message) for e in v.iter_errors(event))
        m = rpds.HashTrieMap({"a": 1})
        return {"errors": errors, "module": type(m).__module__, "repr": repr(m.insert("a", 2)),
                "pickled": pickle.loads(pickle.dumps(m)) == m, "native": rpds.rpds.__name__}
""")
EVENTS = [{"name": "x", "home": {"zip": "12345"}, "tags": ["a"]},
          {"home": {"zip": "1"}, "tags": ["a", "a", "c"]},
          {"name": 3}]


def test_jsonschema_with_a_registry_answers_as_cpython(python_host, tmp_path):
    code = tmp_path / "fn"
    code.mkdir()
    (code / "app.py").write_text(APP)
    (code / "requirements.txt").write_text("jsonschema>=4.18\n")  # rpds-py: native only
    python_host.deploy("schemas", code, FunctionConfig(handler="app.handler", runtime="python3.12", timeout_ms=20000))
    for event in EVENTS:
        got = python_host.invoke("schemas", event).value
        assert got["module"] == "rpds" and got["repr"] == "HashTrieMap({'a': 2})" and got["pickled"]
        assert got["native"] == "rpds.rpds"
        errors = got["errors"]
        if event is EVENTS[0]:
            assert errors == []
        else:
            assert errors  # each bad event is refused, with jsonschema's own messages
    assert [m for _, m in python_host.invoke("schemas", EVENTS[1]).value["errors"]] == [
        "'name' is a required property", "'1' does not match '^[0-9]{5}$'",
        "['a', 'a', 'c'] has non-unique elements", "'c' is not one of ['a', 'b']"]


def test_the_stand_in_behaves_as_rpds_py():
    """The stand-in itself, run here (the same file the runtime carries)."""
    sys.path.insert(0, str(RUNTIME))
    try:
        import wasmhost_rpds as r
    finally:
        sys.path.remove(str(RUNTIME))
    m = r.HashTrieMap({"a": 1}, b=2)
    assert m.insert("c", 3) == r.HashTrieMap(a=1, b=2, c=3) and len(m) == 2  # m unchanged
    assert m.discard("zz") is m and m.remove("a") == r.HashTrieMap(b=2)
    with pytest.raises(KeyError):
        m.remove("zz")
    assert m != {"a": 1, "b": 2}  # never equal to a dict, as rpds-py's
    assert hash(m) == hash(r.HashTrieMap(b=2, a=1)) and r.HashTrieMap.convert(m) is m
    assert m.update({"a": 5}, [("d", 4)]) == r.HashTrieMap(a=5, b=2, d=4)
    with pytest.raises(TypeError):
        hash(r.HashTrieMap(a=[]))
    s = r.HashTrieSet([1, 2])
    assert s.insert(3) == r.HashTrieSet([1, 2, 3]) and s.discard(9) is s and (s & r.HashTrieSet([2])) == {2}
    assert isinstance(s | r.HashTrieSet([5]), r.HashTrieSet) and repr(r.HashTrieSet()) == "HashTrieSet({})"
    lst = r.List(1, 2, 3)
    assert lst == r.List([1, 2, 3]) and lst.first == 1 and lst.rest == r.List([2, 3])
    assert lst.push_front(0) == r.List([0, 1, 2, 3]) and repr(lst) == "List([1, 2, 3])" and lst != [1, 2, 3]
    with pytest.raises(IndexError):
        r.List().drop_first()
    q = r.Queue([1]).enqueue(2)
    assert q.peek() == 1 and q.dequeue() == r.Queue([2]) and r.Queue().is_empty()
    assert json.dumps(list(lst)) == "[1, 2, 3]"


PBKDF2 = textwrap.dedent("""
    import hashlib
    def handler(event, context):
        out = []
        for name, password, dklen in event["cases"]:
            out.append(hashlib.pbkdf2_hmac(name, password.encode("latin-1"), b"salt", 50, dklen).hex())
        errors = []
        for args in (("nope", b"p", b"s", 1), ("sha256", "p", b"s", 1), ("sha256", b"p", b"s", 0),
                     ("sha256", b"p", b"s", 1, 0)):
            try:
                hashlib.pbkdf2_hmac(*args)
            except (TypeError, ValueError) as e:
                errors.append(f"{type(e).__name__}: {e}")
        return {"keys": out, "errors": errors, "listed": "pbkdf2_hmac" in hashlib.__all__}
""")


def test_pbkdf2_hmac_gives_openssls_keys(python_host, tmp_path):
    (tmp_path / "app.py").write_text(PBKDF2)
    python_host.deploy("pbkdf2", tmp_path / "app.py")
    cases = [[name, password, dklen] for name in ("sha1", "sha256", "sha512", "md5", "sha3_256", "blake2b")
             for password in ("", "pw", "x" * 200) for dklen in (None, 1, 64, 100)]
    got = python_host.invoke("pbkdf2", {"cases": cases}).value
    assert got["keys"] == [hashlib.pbkdf2_hmac(n, p.encode("latin-1"), b"salt", 50, d).hex() for n, p, d in cases]
    assert got["listed"]
    assert got["errors"] == ["ValueError: unsupported hash type nope",
                             "TypeError: a bytes-like object is required, not 'str'",
                             "ValueError: iteration value must be greater than 0.",
                             "ValueError: key length must be greater than 0."]


SCRYPT = textwrap.dedent("""
    import hashlib
    def handler(event, context):
        keys = [hashlib.scrypt(p.encode(), salt=s.encode(), n=n, r=r, p=par, dklen=dk).hex()
                for p, s, n, r, par, dk in event["cases"]]
        errors = []
        for kwargs in ({"salt": b"s", "n": 3, "r": 1, "p": 1}, {"salt": b"s", "n": 2 ** 20, "r": 8, "p": 1},
                       {"n": 2, "r": 1, "p": 1}):
            try:
                hashlib.scrypt(b"p", **kwargs)
            except (TypeError, ValueError) as e:
                errors.append(type(e).__name__)
        return {"keys": keys, "errors": errors, "listed": "scrypt" in hashlib.__all__}
""")


def test_scrypt_gives_openssls_keys(python_host, tmp_path):
    """hashlib.scrypt (OpenSSL's elsewhere): RFC 7914's first vectors and small parameters,
    and OpenSSL's refusals (n not a power of two, over the memory limit, no salt)."""
    (tmp_path / "app.py").write_text(SCRYPT)
    python_host.deploy("scrypt", tmp_path / "app.py")
    cases = [["", "", 16, 1, 1, 64], ["password", "NaCl", 64, 8, 2, 64], ["pw", "salt", 128, 4, 1, 32]]
    got = python_host.invoke("scrypt", {"cases": cases}).value
    assert got["keys"] == [hashlib.scrypt(p.encode(), salt=s.encode(), n=n, r=r, p=par, dklen=dk).hex()
                           for p, s, n, r, par, dk in cases]
    assert got["keys"][0].startswith("77d6576238657b203b19ca42c18a0497")  # RFC 7914 §12
    assert got["listed"] and got["errors"] == ["ValueError", "ValueError", "TypeError"]
