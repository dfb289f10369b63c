"""A function's API Gateway v2 response, mapped to HTTP (server/http_trigger.py)."""

from __future__ import annotations

import base64
import json

from wasmhost.server.http_trigger import BAD_GATEWAY, build_event, to_reply


def reply_of(result: object):
    return to_reply(json.dumps(result).encode())


def test_full_response_with_cookies_and_base64_body():
    r = reply_of({"statusCode": 201, "headers": {"X-A": "b"}, "cookies": ["c=1", "d=2"],
                  "body": base64.b64encode(b"\x00\xff").decode(), "isBase64Encoded": True})
    assert r.status == 201 and r.body == b"\x00\xff"
    assert r.headers == [("X-A", "b"), ("Set-Cookie", "c=1"), ("Set-Cookie", "d=2"), ("Content-Type", "application/json")]


def test_plain_json_is_a_200_json_body():
    r = to_reply(b'[1, 2]')
    assert (r.status, r.headers, r.body) == (200, [("Content-Type", "application/json")], b"[1, 2]")


def test_garbage_and_unsendable_headers_are_502():
    assert to_reply(b"not json") is BAD_GATEWAY
    assert reply_of({"statusCode": "abc"}) is BAD_GATEWAY
    assert reply_of({"statusCode": 99}) is BAD_GATEWAY
    assert reply_of({"statusCode": 200, "headers": {"X-A": "b\r\nSet-Cookie: evil=1"}}) is BAD_GATEWAY
    assert reply_of({"statusCode": 200, "headers": {"Bad Name": "x"}}) is BAD_GATEWAY
    assert reply_of({"statusCode": 200, "cookies": ["a=1\nb"]}) is BAD_GATEWAY


def test_framing_headers_are_the_servers():
    r = reply_of({"statusCode": 200, "body": "hi", "headers": {"Content-Length": "999", "Connection": "close",
                                                                 "content-type": "text/plain"}})
    assert r.headers == [("content-type", "text/plain")] and r.body == b"hi"


def test_event_shape():
    e = build_event("GET", "/p", "a=1&a=2", {"host": "api.example.com", "cookie": "x=1; y=2"}, b"\xff", "fn",
                    source_ip="10.0.0.1")
    assert e["cookies"] == ["x=1", "y=2"] and "cookie" not in e["headers"]
    assert e["queryStringParameters"] == {"a": "1,2"} and e["isBase64Encoded"] is True
    assert e["requestContext"]["domainPrefix"] == "api" and e["requestContext"]["http"]["sourceIp"] == "10.0.0.1"
