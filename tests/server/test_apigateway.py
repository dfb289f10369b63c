"""API Gateway's payload formats 1.0 and 2.0, both ways (server/apigateway.py)."""

from __future__ import annotations

import base64
import json

from wasmhost.server.apigateway import BAD_GATEWAY, event_v1, event_v2, response_v1, response_v2


def v2(result: object):
    return response_v2(json.dumps(result).encode())


def v1(result: object):
    return response_v1(json.dumps(result).encode())


def test_full_response_with_cookies_and_base64_body():
    r = v2({"statusCode": 201, "headers": {"X-A": "b"}, "cookies": ["c=1", "d=2"],
            "body": base64.b64encode(b"\x00\xff").decode(), "isBase64Encoded": True})
    assert r.status == 201 and r.body == b"\x00\xff"
    assert r.headers == [("X-A", "b"), ("Set-Cookie", "c=1"), ("Set-Cookie", "d=2"), ("Content-Type", "application/json")]


def test_plain_json_is_a_200_json_body_in_2_0_only():
    r = response_v2(b'[1, 2]')
    assert (r.status, r.headers, r.body) == (200, [("Content-Type", "application/json")], b"[1, 2]")
    assert response_v1(b'[1, 2]') is BAD_GATEWAY and v1({"body": "no status"}) is BAD_GATEWAY


def test_garbage_interim_statuses_and_unsendable_headers_are_502():
    for respond in (v1, v2):
        assert respond({"statusCode": "abc"}) is BAD_GATEWAY
        for status in (99, 100, 101, 103, 600):  # a 1xx cannot be the final answer
            assert respond({"statusCode": status}) is BAD_GATEWAY
        assert respond({"statusCode": 200, "headers": {"X-A": "b\r\nSet-Cookie: evil=1"}}) is BAD_GATEWAY
        assert respond({"statusCode": 200, "headers": {"Bad Name": "x"}}) is BAD_GATEWAY
    assert response_v2(b"not json") is BAD_GATEWAY and response_v1(b"not json") is BAD_GATEWAY
    assert v2({"statusCode": 200, "cookies": ["a=1\nb"]}) is BAD_GATEWAY
    assert v1({"statusCode": 200, "multiValueHeaders": {"Set-Cookie": ["a=1", "b\n"]}}) is BAD_GATEWAY


def test_framing_headers_are_the_servers():
    r = v2({"statusCode": 200, "body": "hi", "headers": {"Content-Length": "999", "Connection": "close",
                                                          "content-type": "text/plain"}})
    assert r.headers == [("content-type", "text/plain")] and r.body == b"hi"


def test_v1_response_merges_headers_and_multi_value_headers():
    r = v1({"statusCode": "202", "headers": {"X-One": "1", "set-cookie": "lost=1"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": "ok"})
    assert r.status == 202 and r.body == b"ok"
    assert r.headers == [("X-One", "1"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
                         ("Content-Type", "application/json")]


def test_v2_event_shape():
    e = event_v2("GET", "/p", "a=1&a=2", {"host": "api.example.com", "cookie": "x=1; y=2"}, b"\xff", "fn",
                 source_ip="10.0.0.1")
    assert e["version"] == "2.0" and e["routeKey"] == "$default"
    assert e["cookies"] == ["x=1", "y=2"] and "cookie" not in e["headers"]
    assert e["queryStringParameters"] == {"a": "1,2"} and e["isBase64Encoded"] is True
    assert e["requestContext"]["domainPrefix"] == "api" and e["requestContext"]["http"]["sourceIp"] == "10.0.0.1"


def test_v1_event_shape():
    pairs = [("Host", "api.example.com"), ("X-Twice", "1"), ("X-Twice", "2"), ("Content-Type", "text/plain"),
             ("User-Agent", "ua")]
    e = event_v1("POST", "/items/42", "a=1&a=2&b=", pairs, b"hello", "fn", source_ip="10.0.0.1")
    assert (e["version"], e["resource"], e["path"], e["httpMethod"]) == ("1.0", "/{proxy+}", "/items/42", "POST")
    assert e["headers"]["X-Twice"] == "2" and e["multiValueHeaders"]["X-Twice"] == ["1", "2"]
    assert e["queryStringParameters"] == {"a": "2", "b": ""}
    assert e["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""]}
    assert e["pathParameters"] == {"proxy": "items/42"} and e["stageVariables"] is None
    assert (e["body"], e["isBase64Encoded"]) == ("hello", False)
    ctx = e["requestContext"]
    assert (ctx["httpMethod"], ctx["resourcePath"], ctx["path"], ctx["stage"]) == ("POST", "/{proxy+}", "/items/42",
                                                                                 "$default")
    assert ctx["identity"]["sourceIp"] == "10.0.0.1" and ctx["identity"]["userAgent"] == "ua"
    assert isinstance(ctx["requestTimeEpoch"], int) and ctx["requestTime"].endswith("+0000")
    root = event_v1("GET", "/", "", [], b"", "fn")
    assert (root["resource"], root["pathParameters"], root["queryStringParameters"], root["body"]) == ("/", None, None,
                                                                                                       None)
