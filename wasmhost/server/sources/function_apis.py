"""Functions call the server's SQS and Lambda Invoke with boto3 or the JS SDK v3,
unchanged, through an endpoint of their own.

As with S3 (s3_functions.py), every function deployed on the server gets, in its
environment, ``AWS_ENDPOINT_URL_SQS`` and ``AWS_ENDPOINT_URL_LAMBDA`` (boto3 >= 1.28
and the JS SDK v3 read them) naming this listener on 127.0.0.1, and its outbound
allow-list gets its address. It answers only requests signed with a function's key
(on loopback too), and each key opens only what its function's tags grant
(function_grants.py), deny by default:

- **SQS**, on the queues ``wasmhost:queues`` names: SendMessage(Batch),
  ReceiveMessage, DeleteMessage(Batch), ChangeMessageVisibility(Batch),
  GetQueueAttributes, GetQueueUrl. Creating, deleting, purging, re-configuring
  and listing queues stay the operator's (a role for a function's code rarely
  needs them, and ListQueues would show every name);
- **Lambda Invoke** (RequestResponse, Event, DryRun) of the functions
  ``wasmhost:functions`` names. The rest of the Lambda API (creating functions,
  reading their code and settings) is not granted.

Anything else is ``AccessDenied`` in its protocol's shape (SQS's JSON protocol with
the query-compatible ``x-amzn-query-error: AccessDenied;Sender``; Lambda's
``AccessDeniedException``, 403), naming the tag to change. EventBridge's API here
manages schedule rules (there is no PutEvents): it is not offered to functions.

A function that invokes another synchronously holds its own worker thread while the
other runs on a second one: at most half the host's threads wait on such calls at
once (``max_nested``); past that the call is throttled (429, as Lambda's
concurrency limit), so a chain of functions (or one calling itself) can never take
every thread and stall the host. The callee's invocation is metered as its own;
the caller's wait is in its duration; the requests and bodies exchanged with this
endpoint count as the caller's outbound requests and bytes (the capability sees
them go out). The server's main address is still never granted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..auth import sigv4_verify
from ..errors import ApiError, internal
from .function_grants import FUNCTIONS, QUEUES, FunctionKeys, Grant, key_id, listen
from .protocol import AwsError, JsonService

if TYPE_CHECKING:
    from aiohttp import web

    from ..lambda_model import Service
    from . import Sources

log = logging.getLogger("wasmhost.sources")

ENV = ("AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_LAMBDA")
# what a key may do on a queue its tag grants: the messages, not the queue itself
SQS_OPERATIONS = frozenset({"SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage",
                            "DeleteMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch",
                            "GetQueueAttributes", "GetQueueUrl"})
_INVOKE = re.compile(r"/2015-03-31/functions/([^/]+)/invocations")


class Denied(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class ApiEndpoint:
    """The listener: bound at once (its address goes into every function's
    environment when the server restores them), serving once ``start`` has the
    Service and its Sources."""

    ENV = ENV

    def __init__(self, keys: FunctionKeys) -> None:
        self.keys = keys
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.address}"
        self.runner: web.AppRunner | None = None
        self.service: Service | None = None
        self.sources: Sources | None = None
        self.nested = 0  # synchronous invocations from functions in flight
        self.max_nested = 16

    async def start(self, service: Service, sources: Sources) -> None:
        self.service, self.sources = service, sources
        self.max_nested = max(1, service.host._workers // 2)
        self.runner = await listen(self.sock, self.handle,
                                   client_max_size=max(service.host.max_payload, service.async_max_payload) + 65536)
        log.info("functions reach SQS and Lambda Invoke at %s (each with its own key and grants)", self.url)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        self.sock.close()

    # -- requests ------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        from aiohttp import web
        target = request.headers.get("X-Amz-Target", "")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge as e:
            return self._refusal(target, 413, "RequestEntityTooLargeException", e.text or "Request too large")
        try:
            grant = self._signer(request, body)
            if target:
                return await self._json(grant, target, body, request.host)
            m = _INVOKE.fullmatch(request.raw_path.partition("?")[0]) if request.method == "POST" else None
            if m is None:
                raise Denied("AccessDeniedException", f"function {grant.function} may not call {request.method} "
                             f"{request.path[:200]}: functions may invoke functions (lambda:InvokeFunction) "
                             "through this endpoint, no other Lambda operation")
            return await self._invoke(grant, unquote(m.group(1)), request.query.get("Qualifier"), request.headers,
                                      body)
        except Denied as e:
            return self._refusal(target, 403, e.code, e.message)
        except ApiError as e:
            return e.response()
        except Exception as e:  # noqa: BLE001 - one request's failure, answered; the endpoint serves on
            return internal(e).response()

    def _signer(self, request: web.Request, body: bytes) -> Grant:
        """The grant of the function whose key signed the request (SigV4, checked)."""
        headers = request.headers
        auth = headers.get("Authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256"):
            raise Denied("UnrecognizedClientException", "Missing credentials: this endpoint answers requests "
                         "signed with a function's own key (AWS_ACCESS_KEY_ID in its environment)")
        akid = key_id(auth)
        if akid not in self.keys:
            raise Denied("UnrecognizedClientException", "The security token included in the request is invalid.")
        if sigv4_verify(request.method, request.raw_path, headers, hashlib.sha256(body).hexdigest(),
                        self.keys) is None:
            raise Denied("InvalidSignatureException", "The request signature we calculated does not match the "
                         "signature you provided.")
        return self.keys.grant_of(akid)

    def _refusal(self, target: str, status: int, code: str, message: str) -> web.Response:
        """An error in the caller's protocol: SQS's JSON (with its query-compatible
        code), another JSON service's, or Lambda's REST."""
        prefix = target.partition(".")[0]
        if prefix == "AmazonSQS":
            query = {"AccessDeniedException": "AccessDenied", "UnrecognizedClientException": "InvalidClientTokenId",
                     "InvalidSignatureException": "SignatureDoesNotMatch"}.get(code, code)
            api = JsonService(prefix, "application/x-amz-json-1.0", "com.amazonaws.sqs", {})
            return api.error(AwsError(code, message, status, query_code=query)).response()
        if prefix:
            api = JsonService(prefix, "application/x-amz-json-1.1", "com.amazonaws", {})
            return api.error(AwsError(code, message, status)).response()
        return ApiError(status, code, message).response()

    # -- SQS --------------------------------------------------------------------------------
    async def _json(self, grant: Grant, target: str, body: bytes, host: str) -> web.Response:
        assert self.sources is not None
        prefix, _, operation = target.partition(".")
        if prefix != "AmazonSQS":
            raise Denied("AccessDeniedException", f"function {grant.function} may not call {target[:100]}: "
                         "functions reach SQS and Lambda Invoke through this endpoint")
        if operation not in SQS_OPERATIONS:
            raise Denied("AccessDeniedException", f"function {grant.function} is not authorized to perform: "
                         f"sqs:{operation[:100]}: functions may send, receive, delete and re-time messages of the "
                         f"queues their {QUEUES} tag names; managing and listing queues is not granted")
        try:
            params = json.loads(body) if body.strip() else {}
        except ValueError:
            params = None  # not JSON: the service answers that
        if isinstance(params, dict):
            if operation == "GetQueueUrl":
                queue = params.get("QueueName")
            else:
                url = params.get("QueueUrl")
                queue = self.sources.queues.name_of_url(url) if isinstance(url, str) and url else None
            if isinstance(queue, str) and queue not in grant.queues:
                arn = self.sources.queues.arn(queue[:80])
                raise Denied("AccessDeniedException", f"function {grant.function or '?'} is not authorized to "
                             f"perform: sqs:{operation} on resource: {arn}: add the queue to the function's "
                             f"{QUEUES} tag (space-separated queue names)")
        return (await self.sources.dispatch(target, body, host)).response()

    # -- Lambda Invoke ---------------------------------------------------------------------------
    async def _invoke(self, grant: Grant, fn: str, qualifier: str | None, headers: Any, body: bytes) -> web.Response:
        from ..lambda_model.invoke import invoke_reply
        from ..lambda_model.names import parse_function
        from ..lambda_model.service import throttled
        assert self.service is not None
        name, _ = parse_function(fn, qualifier)
        if name not in grant.functions:
            raise Denied("AccessDeniedException", f"function {grant.function or '?'} is not authorized to perform: "
                         f"lambda:InvokeFunction on resource: {self.service.arn(name, None)}: add the function to "
                         f"the caller's {FUNCTIONS} tag (space-separated function names)")
        sync = (headers.get("X-Amz-Invocation-Type") or "RequestResponse") == "RequestResponse"
        if sync and self.nested >= self.max_nested:
            log.warning("function %s invoking %s throttled: %d synchronous invocations from functions wait already",
                        grant.function, name, self.nested)
            raise throttled("ConcurrentInvocationLimitExceeded")
        self.nested += sync
        try:
            return (await invoke_reply(self.service, fn, qualifier, headers, body)).response()
        finally:
            self.nested -= sync
