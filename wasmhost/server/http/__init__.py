"""HTTP/1.1 in front of everything ``wasmhost serve`` answers: llhttp (httptools)
frames every request (protocol.py, per connection), a request is a slotted value
and its answer one write (exchange.py), invocations are answered from one route
table (routes.py) and the rest is lent to aiohttp a request at a time (lease.py).
HTTP-free of aiohttp: invocations are answered while aiohttp is still loading."""

from .protocol import KEEPALIVE_S, FrontDoor

__all__ = ["FrontDoor", "KEEPALIVE_S"]
