"""The pipe between a streaming handler's writes (the invocation's thread) and their
reader (wasmhost/response_stream.py), and a streamed run through the embedding API:
back-pressure bounded by the deadline, a reader that leaves, the size limit, bytes
that are not text, and Invoke's ClientContext reaching a Node.js handler."""

import asyncio
import threading
import time

import pytest

from wasmhost import FunctionConfig, Host, InvocationTimeout, Request, ResponseStream

FAR = time.perf_counter_ns() + 3600 * 10**9


def test_writes_are_taken_in_order_and_the_prelude_comes_first():
    told = []
    s = ResponseStream(lambda: told.append(1))
    assert s.write(b"a", FAR) == 1 and s.prelude == ("", "application/octet-stream")
    s.write(b"b", FAR)
    assert s.take() == [b"a", b"b"] and s.take() == [] and len(told) >= 2
    other = ResponseStream()
    assert other.start('{"statusCode": 201}', "x/y") == 1 and other.start("", "z") == 1
    assert other.prelude == ('{"statusCode": 201}', "x/y")  # the first start is the one


def test_a_write_waits_for_the_reader_past_the_high_water_mark():
    s = ResponseStream(high_water=4)
    s.write(b"12345", FAR)  # over the mark now: the next write waits
    done = threading.Event()
    threading.Thread(target=lambda: (s.write(b"6", FAR), done.set()), daemon=True).start()
    assert not done.wait(0.2)  # held back while nothing is read (a bounded wait: no timing asserted)
    assert s.take() == [b"12345"]
    assert done.wait(30) and s.take() == [b"6"]


def test_a_write_held_back_past_the_deadline_times_the_invocation_out():
    s = ResponseStream(high_water=0)
    s.write(b"x", FAR)
    with pytest.raises(InvocationTimeout, match="client read"):
        s.write(b"y", time.perf_counter_ns() + 50_000_000)


def test_a_reader_that_leaves_drops_later_writes_and_frees_a_waiting_one():
    s = ResponseStream(high_water=0)
    s.write(b"x", FAR)
    got = []
    t = threading.Thread(target=lambda: got.append(s.write(b"y", FAR)), daemon=True)
    t.start()
    s.close()
    t.join(30)
    assert got == [0] and s.write(b"z", FAR) == 0 and s.take() == []


def test_bytes_past_the_limit_are_dropped_and_flagged():
    s = ResponseStream(limit=5)
    assert s.write(b"1234", FAR) == 1 and s.write(b"56", FAR) == 0 and s.too_large
    assert s.write(b"7", FAR) == 0 and s.take() == [b"1234"]


STREAMER = """
export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream.write(Buffer.from([0, 1, 200, 255]));
  responseStream.write("é" + JSON.stringify(context.clientContext));
  responseStream.end();
});
"""


@pytest.fixture(scope="module")
def host(tmp_path_factory, runtime_cache):
    root = tmp_path_factory.mktemp("stream")
    (root / "index.mjs").write_text(STREAMER)
    with Host(root / "data", cache_dir=runtime_cache) as h:
        try:
            h.deploy("streamer", root, FunctionConfig(runtime="nodejs20.x", handler="index.handler"))
        except Exception as e:  # noqa: BLE001
            pytest.skip(f"the JavaScript runtime cannot be built here (.ci/run installs its toolchain): {e}")
        yield h


def test_a_streamed_run_through_the_embedding_api(host):
    """Bytes that are not text arrive as written; without a stream the same handler's
    answer is buffered (as text: bytes that are not UTF-8 are replaced there); the
    ClientContext is the handler's context.clientContext."""
    async def run():
        s = ResponseStream()
        res = await host.ainvoke("streamer", {}, request=Request('{"custom": {"k": 1}}', stream=s))
        return s, res
    s, res = asyncio.run(run())
    assert res.payload == b"" and s.prelude == ("", "application/octet-stream")
    assert b"".join(s.take()) == b"\x00\x01\xc8\xff" + 'é{"custom":{"k":1}}'.encode()
    assert host.invoke("streamer", {}).payload.endswith("éundefined".encode())
