"""HTTP/1.1 in front of everything ``wasmhost serve`` answers: llhttp (httptools)
frames every request (protocol.py, per connection, with flow.py's flow control), a
request is a slotted value and its answer one write (exchange.py), invocations are
answered from one route table (routes.py) and the rest is lent to aiohttp a request
at a time (lease.py). Free of aiohttp: invocations are answered while it loads."""

from .protocol import KEEPALIVE_S, FrontDoor

__all__ = ["FrontDoor", "KEEPALIVE_S"]
