"""What one invocation carries beyond its event and id: Invoke's ClientContext, the
caller's identity, and a response stream when the caller reads a streaming handler's
writes as they come (InvokeWithResponseStream, a RESPONSE_STREAM function URL).

Most invocations carry none of it, so none of it is on the warm path: a front end
that has a ``Request`` gives it to ``Host.ainvoke(..., request=)``, which files it in
``REQUESTS`` under the invocation's sequence number for the run's duration; the
language runtimes (abi/component.py) look it up there (one truthiness test when
there is none) and hand it to the guest as one JSON argument of ``handle``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .response_stream import ResponseStream

# invocation sequence number -> its Request, while it runs (filled only for requests that have one)
REQUESTS: dict[int, "Request"] = {}


class Request:
    """``client_context``: the decoded ClientContext, JSON text of an object (Node's
    ``context.clientContext``, Python's ``context.client_context``); ``identity``:
    Cognito's ``{cognitoIdentityId, cognitoIdentityPoolId}``; ``stream``: where a
    streaming handler's writes go as they are written (else its answer is buffered)."""

    __slots__ = ("client_context", "identity", "stream")

    def __init__(self, client_context: str | None = None, identity: dict[str, Any] | None = None,
                 stream: ResponseStream | None = None) -> None:
        self.client_context, self.identity, self.stream = client_context, identity, stream

    def guest_json(self) -> bytes:
        """The ``request`` argument of the runtimes' ``handle`` (guest_sdk/wit/)."""
        return json.dumps({"client_context": self.client_context, "identity": self.identity,
                           "stream": self.stream is not None}).encode()


__all__ = ["REQUESTS", "Request"]
