// @smithy/node-http-handler as the AWS SDK for JavaScript v3 finds it in a wasmhost function.
//
// The SDK's Node.js configuration (credentials and region from the environment, endpoints
// from AWS_ENDPOINT_URL_<SERVICE>, as on Lambda) sends through NodeHttpHandler, which needs
// Node's http/https sockets; a function has none. bundle.mjs puts this module in its place,
// for the SDK wasmhost includes and for one a function ships: each request goes through
// the host's outbound-HTTP capability (fetch), where the allow-list, TLS, the invocation's
// deadline and byte metering apply as for any request. Responses arrive whole; the body
// is a Node.js Readable (readable-stream), as the SDK hands it to handlers
// (`Body.transformToString()`, `Body.on("data")`, `for await (const chunk of Body)`).
import { HttpResponse, buildQueryString } from "@smithy/core/protocols";
import { streamCollector } from "@smithy/core/serde";
import { Readable } from "node:stream"; // readable-stream (bundle.mjs)

export { streamCollector };
export const DEFAULT_REQUEST_TIMEOUT = 0;

async function requestBytes(body) {
  if (body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return new Uint8Array(body.buffer || body);
  return streamCollector(body); // a Readable, a web ReadableStream or a Blob
}

function abortError(signal) {
  const e = new Error("Request aborted");
  e.name = "AbortError";
  if (signal && signal.reason !== undefined) e.cause = signal.reason;
  return e;
}

export class NodeHttpHandler {
  static create(instanceOrOptions) {
    if (typeof instanceOrOptions?.handle === "function") return instanceOrOptions;
    return new NodeHttpHandler(instanceOrOptions);
  }

  constructor(options) {
    this.configProvider = typeof options === "function"
      ? Promise.resolve().then(options).then((o) => o || {}) : Promise.resolve(options || {});
    this.config = undefined;
    this.metadata = { handlerProtocol: "http/1.1" };
  }

  async handle(request, { abortSignal } = {}) {
    if (!this.config) this.config = await this.configProvider;
    if (abortSignal?.aborted) throw abortError(abortSignal);
    let path = request.path;
    const query = buildQueryString(request.query || {});
    if (query) path += `?${query}`;
    const auth = request.username != null || request.password != null
      ? `${request.username ?? ""}:${request.password ?? ""}@` : "";
    const port = request.port ? `:${request.port}` : "";
    const url = `${request.protocol}//${auth}${request.hostname}${port}${path}`;
    const body = request.method === "GET" || request.method === "HEAD" ? undefined : await requestBytes(request.body);
    // the SDK follows S3's redirects itself, and sets content-length/host as it signed them
    const res = await fetch(url, { method: request.method, headers: request.headers, body, redirect: "manual" });
    if (abortSignal?.aborted) throw abortError(abortSignal);
    const headers = {};
    for (const [k, v] of res.headers.entries()) headers[k] = v;
    const bytes = Buffer.from(await res.arrayBuffer());
    const stream = new Readable({
      read() {
        if (bytes.length) this.push(bytes);
        this.push(null);
      },
    });
    return { response: new HttpResponse({ statusCode: res.status, reason: res.statusText, headers, body: stream }) };
  }

  updateHttpClientConfig(key, value) {
    this.config = undefined;
    this.configProvider = this.configProvider.then((c) => ({ ...c, [key]: value }));
  }

  httpHandlerConfigs() {
    return this.config ?? {};
  }

  destroy() {}
}

export { NodeHttpHandler as NodeHttp2Handler };
