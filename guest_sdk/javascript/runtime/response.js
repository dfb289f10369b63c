// The fetch API's Response as Node's (undici) makes one: StarlingMonkey's adds a
// content-length header of its own to every Response built from a body of known size,
// which Node never does. Adapters that turn a Response into Lambda's answer (hono's
// aws-lambda handler, and any that copies a Response's headers) then answered with a
// content-length Lambda's Node does not give. The constructor and Response.json drop the
// engine's header unless the code's own init named one. A Proxy keeps the engine's class
// itself: `instanceof Response`, subclasses and the other statics are unchanged.
const named = (init) => {
  const headers = init && init.headers;
  if (!headers) return false;
  if (typeof headers.has === "function") return headers.has("content-length");
  const names = Array.isArray(headers) ? headers.map((pair) => pair[0]) : Object.keys(headers);
  return names.some((name) => String(name).toLowerCase() === "content-length");
};
const asNode = (response, init) => {
  if (!named(init)) response.headers.delete("content-length");
  return response;
};

export function installResponse() {
  const Native = globalThis.Response;
  if (typeof Native !== "function") return;
  const json = Native.json;
  if (typeof json === "function") {
    Object.defineProperty(Native, "json", { configurable: true, writable: true, enumerable: false,
      value: { json(data, init) { return asNode(json.call(this, data, init), init); } }.json });
  }
  globalThis.Response = new Proxy(Native, {
    construct: (target, args, newTarget) => asNode(Reflect.construct(target, args, newTarget), args[1]),
  });
}
