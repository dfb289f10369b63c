// wasmhost's JavaScript runtime: StarlingMonkey (componentize-js) running a Node.js
// Lambda handler the way Lambda's Node.js runtime does: async handlers and Promises,
// (event, context, callback) handlers, context.succeed/fail/done, CommonJS and ES
// modules (bundled into one CommonJS script at deploy by bundle.mjs), Node's built-in
// modules (builtins.js), process.env, Buffer, timers, and console.* in Lambda's log format.
// Built once into a component; the function's bundle is evaluated at instance init.
import { Buffer } from "unenv/node/buffer";
import { BUILTINS, util } from "./builtins.js";
import { BUNDLE_URL, compiledFiles, installCallSites, installV8Stacks, setCodeFile, stackLines } from "./format.js";
import { mount } from "./fs.js";
import { installIntl } from "./intl.js";
import { installNormalize } from "./normalize.js";
import { installResponse } from "./response.js";
import { installStreamIteration } from "./readable_stream.js";
import { installWebCrypto } from "./webcrypto.js";
import process, { ProcessExit, setRuntime } from "./process.js";
import { setMap } from "./sourcemap.js";
import { setZoneData } from "./timezones.js";
import { installV8Messages, v8Message } from "./v8errors.js";
import "./wasmhost_sdk.js"; // fetch and wasmhost.kv through the host's capabilities
import { start as responseStart, write as responseWrite } from "wasmhost:runtime/response@0.1.0";

const TASK_ROOT = "/var/task";
installIntl(); // StarlingMonkey has no ICU: Intl and toLocaleString as Node's in en-US and UTC
installNormalize(); // nor String.prototype.normalize
installResponse(); // Response without the engine's own content-length, as Node's
installStreamIteration(); // for await over a web ReadableStream
installWebCrypto(); // crypto.subtle over the runtime's Node crypto (the engine's traps on RSA keys)
installV8Messages(); // JSON.parse's and TypeErrors' messages as Node's
installCallSites(); // Error.prepareStackTrace's CallSites, as V8 gives them
installV8Stacks(); // err.stack as V8 writes it, with the places in the function's own files
let handler = null;
let requestId = undefined;
let config = {};

// -- console, as Lambda's Node.js runtime writes it ------------------------------------
const write = console.log.bind(console); // StarlingMonkey's: one line to stdout
const LEVELS = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5 };
let minLevel = 0;
let json = false;

function logger(level) {
  return (...args) => {
    if (LEVELS[level] < minLevel) return;
    const message = util.format(...args);
    if (message.startsWith("[DeprecationWarning] [unenv]")) return; // unenv's own notes, not Node's
    const ts = new Date().toISOString();
    write(json ? JSON.stringify({ timestamp: ts, level, requestId, message })
      : `${ts}\t${requestId}\t${level}\t${message}`);
  };
}

const lambdaConsole = {
  log: logger("INFO"), info: logger("INFO"), warn: logger("WARN"), error: logger("ERROR"),
  debug: logger("DEBUG"), trace: logger("TRACE"), fatal: logger("FATAL"),
  dir: (obj, opts) => lambdaConsole.info(util.inspect(obj, opts)),
  assert: (cond, ...args) => { if (!cond) lambdaConsole.error("Assertion failed:", ...args); },
  table: (data) => lambdaConsole.info(data),
  group: () => {}, groupEnd: () => {}, time: () => {}, timeEnd: () => {}, timeLog: () => {}, count: () => {},
  __write: (s) => write(s.endsWith("\n") ? s.slice(0, -1) : s),
  Console: BUILTINS.console.Console,
};

// -- timers: Node's Timeout objects, tracked so a callback handler's result waits for an
// empty event loop (ref'd timers only, as in Node) -------------------------------------------
const realSetTimeout = globalThis.setTimeout, realClearTimeout = globalThis.clearTimeout;
const realSetInterval = globalThis.setInterval, realClearInterval = globalThis.clearInterval;
const pending = new Map(); // the engine's timer id -> its Timeout, while it may still fire
let onIdle = null;
function waiting() {
  for (const t of pending.values()) if (t._ref) return true;
  return false;
}
// Node's event loop is empty once no timer is due and the microtasks have run (a timer's
// callback resolving a promise whose `then` calls back): checked from a macrotask
let idleCheck = false;
function settled() {
  if (!onIdle || idleCheck || waiting()) return;
  idleCheck = true;
  realSetTimeout(() => {
    idleCheck = false;
    if (onIdle && !waiting()) onIdle();
  }, 0);
}
let uncaught = null; // the running invocation's reject: a throw in a timer fails it, as in Node
let crashed = false; // an uncaught exception ended the invocation: Lambda's runtime exits after it
const guarded = (fn, args) => {
  try {
    fn(...args);
  } catch (e) {
    if (uncaught) {
      crashed = true;
      uncaught(e);
    }
  }
};

// Node's Timeout: ref/unref/hasRef/refresh/close, and a number where one is expected
// (`+t`, a Map key via `${t}`, `clearTimeout(id)`), as setTimeout/setInterval return it.
class Timeout {
  constructor(fn, ms, args, repeat) {
    if (typeof fn !== "function") {
      throw new TypeError(`The "callback" argument must be of type function. Received ${typeof fn}`);
    }
    ms = Number(ms);
    this._ms = ms >= 1 && ms <= 2147483647 ? ms : 1; // Node's range: anything else is 1 ms
    this._fn = fn;
    this._args = args;
    this._repeat = repeat;
    this._ref = true;
    this._start();
  }
  _start() {
    const fire = () => {
      if (!this._repeat) {
        pending.delete(this._id);
        settled();
      }
      guarded(this._fn, this._args);
    };
    this._id = this._repeat ? realSetInterval(fire, this._ms) : realSetTimeout(fire, this._ms);
    this._due = this._repeat ? Infinity : Date.now() + this._ms;
    pending.set(this._id, this);
  }
  _stop() {
    (this._repeat ? realClearInterval : realClearTimeout)(this._id);
    pending.delete(this._id);
    settled();
  }
  ref() { this._ref = true; return this; }
  unref() { this._ref = false; settled(); return this; }
  hasRef() { return this._ref; }
  refresh() {
    if (pending.get(this._id) === this) {
      (this._repeat ? realClearInterval : realClearTimeout)(this._id);
      pending.delete(this._id);
      this._start();
    }
    return this;
  }
  close() { this._stop(); return this; }
  [Symbol.toPrimitive]() { return this._id; }
}

function clearTimer(t) {
  if (t === undefined || t === null) return;
  const timer = t instanceof Timeout ? t : pending.get(Number(t));
  if (timer && pending.get(timer._id) === timer) timer._stop();
}
const setTimeout = (fn, ms, ...args) => new Timeout(fn, ms, args, false);
const setInterval = (fn, ms, ...args) => new Timeout(fn, ms, args, true);
const PROMISIFY = Symbol.for("nodejs.util.promisify.custom");
setTimeout[PROMISIFY] = (ms, value) => new Promise((resolve) => setTimeout(resolve, ms, value));
const clearTimeout = clearTimer, clearInterval = clearTimer;

// -- response streaming: awslambda.streamifyResponse, as Lambda's Node.js runtime offers it --
// The handler writes to a stream; its answer is sent once the stream ends (buffered: the
// server's InvokeWithResponseStream then carries it as one chunk). With
// HttpResponseStream.from(stream, {statusCode, headers, cookies}) the answer is an HTTP
// response for function URLs and HTTP triggers.
const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
class Streamed { constructor(text) { this.text = text; } } // an answer sent as written, not as JSON
const awslambda = {
  streamifyResponse(fn) {
    fn[STREAMING] = "response";
    return fn;
  },
  HttpResponseStream: {
    from(stream, prelude) {
      stream._prelude = prelude || {};
      if (stream.live) stream._begin(); // the client gets the status and headers now, as from Lambda
      return stream;
    },
  },
};

// -- live streaming: when the invocation's caller reads the writes as they come
// (InvokeWithResponseStream, a RESPONSE_STREAM function URL), each write goes to the host
// at once (wasmhost:runtime/response) instead of being kept for the answer.
const HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response";
function latin1(buf) {
  let s = "";
  for (let i = 0; i < buf.length; i += 8192) s += String.fromCharCode.apply(null, buf.subarray(i, i + 8192));
  return s;
}

// A Writable in the shape Node's streams and readable-stream's pipeline() expect (write,
// end, destroy, the writable* flags, finish/close/error events): the runtime's own
// `stream` has no data flow (functions get readable-stream: bundle.mjs).
const later = (fn) => Promise.resolve().then(fn);
class ResponseStream extends BUILTINS.events.EventEmitter {
  constructor() {
    super();
    this.chunks = [];
    this.writable = true;
    this.writableEnded = this.writableFinished = this.destroyed = false;
  }
  get writableNeedDrain() { return false; }
  get writableLength() { return 0; }
  get writableHighWaterMark() { return 16384; }
  get writableObjectMode() { return false; }
  get writableCorked() { return 0; }
  write(chunk, encoding, cb) {
    if (typeof encoding === "function") [cb, encoding] = [encoding, undefined];
    if (this.writableEnded || this.destroyed) {
      const e = Object.assign(new Error("write after end"), { code: "ERR_STREAM_WRITE_AFTER_END" });
      later(() => { if (cb) cb(e); this.emit("error", e); });
      return false;
    }
    if (chunk !== undefined && chunk !== null) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk, encoding || "utf8") : Buffer.from(chunk);
      if (this.live) {
        this._begin();
        if (buf.length) responseWrite(latin1(buf));
      } else {
        this.chunks.push(buf);
      }
    }
    if (cb) later(() => cb(null));
    return true;
  }
  end(chunk, encoding, cb) {
    if (typeof chunk === "function") [cb, chunk] = [chunk, undefined];
    else if (typeof encoding === "function") [cb, encoding] = [encoding, undefined];
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    if (!this.writableEnded) {
      this.writableEnded = true;
      this.writable = false;
      later(() => { this.writableFinished = true; this.emit("finish"); this.emit("close"); });
    }
    if (cb) later(cb);
    return this;
  }
  destroy(err) {
    if (!this.destroyed) {
      this.destroyed = true;
      this.writable = false;
      later(() => { if (err) this.emit("error", err); this.emit("close"); });
    }
    return this;
  }
  cork() {}
  uncork() {}
  setDefaultEncoding() { return this; }
  setContentType(type) { this.contentType = type; }
  _begin() {
    if (this.begun) return;
    this.begun = true;
    const prelude = this._prelude ? JSON.stringify(this._prelude) : "";
    responseStart(prelude, prelude ? HTTP_INTEGRATION : this.contentType || "application/octet-stream");
  }
}

function streamEnded(stream) {
  return new Promise((resolve, reject) => {
    if (stream.writableFinished) return resolve();
    stream.once("finish", resolve);
    stream.once("error", reject);
    if (!stream.writableEnded) stream.end(); // Lambda ends a stream the handler left open
  }).then(() => { if (stream.live) stream._begin(); }); // an empty live stream still begins
}

function streamedAnswer(stream) {
  if (stream.live) return new Streamed(""); // its body went to the host as written
  const body = Buffer.concat(stream.chunks);
  const text = body.toString("utf8");
  if (!stream._prelude) return new Streamed(text);
  const { statusCode = 200, headers = {}, cookies } = stream._prelude;
  const binary = !Buffer.from(text, "utf8").equals(body);
  return { statusCode, headers, ...(cookies ? { cookies } : {}), body: binary ? body.toString("base64") : text,
    isBase64Encoded: binary };
}

function installGlobals() {
  Object.assign(globalThis, {
    console: lambdaConsole, process, Buffer, global: globalThis, awslambda,
    setTimeout, clearTimeout, setInterval, clearInterval,
    setImmediate: (fn, ...args) => setTimeout(fn, 0, ...args), clearImmediate: clearTimer,
  });
  const timers = BUILTINS.timers;
  Object.assign(timers, { setTimeout, clearTimeout, setInterval, clearInterval,
    setImmediate: globalThis.setImmediate, clearImmediate: clearTimer, Timeout });
}

// -- require, for the bundle's external (built-in) modules --------------------------------
// The AWS SDK for JavaScript v3 comes bundled into the function at deploy (bundle.mjs):
// here only when the host had no bundler to do so.
const NO_AWS_SDK = "wasmhost includes the AWS SDK for JavaScript v3 in a Node.js function when it bundles the "
  + "function at deploy, which needs Node.js and npm ci --prefix <wasmhost>/guest_sdk/javascript "
  + "(and guest_sdk/javascript/aws-sdk) on the host";
const COMPUTED = "wasmhost bundles a Node.js function's modules at deploy: a require() whose name is computed at run "
  + "time finds Node's built-ins, the dependencies in the function's package.json and the JSON files of its zip, "
  + "not other modules (require them by a literal name, so the bundle includes them)";
const jsonCache = new Map();
function requireJson(name) {
  // a JSON file of the zip (they travel with the bundle: fs.js), as Node's require reads one
  const path = name.startsWith("/") ? name : `${TASK_ROOT}/${name.replace(/^\.\//, "")}`;
  for (const candidate of [path, `${path}.json`]) {
    if (!candidate.endsWith(".json") || !BUILTINS.fs.existsSync(candidate)) continue;
    if (!jsonCache.has(candidate)) jsonCache.set(candidate, JSON.parse(BUILTINS.fs.readFileSync(candidate, "utf8")));
    return jsonCache.get(candidate);
  }
  return undefined;
}
function require(name) {
  const key = String(name).replace(/^node:/, "");
  const declared = globalThis.__wasmhostDependencies; // bundle.mjs: the function's package.json dependencies
  const mod = BUILTINS[key] ?? (declared && Object.hasOwn(declared, key) ? declared[key]()
    : /^[./]/.test(key) ? requireJson(key) : undefined);
  if (mod === undefined) {
    const sdk = /^@aws-sdk\//.test(key);
    const err = new Error(`Cannot find module '${name}'\nRequire stack:\n- ${TASK_ROOT}/${config.entry || "index.js"}`
      + "\n- /var/runtime/index.mjs"
      + (sdk ? `\n${NO_AWS_SDK}` : ""));
    if (!sdk) lambdaConsole.warn(`require('${name}'): ${COMPUTED}`); // Lambda's message, and why here
    err.code = "MODULE_NOT_FOUND";
    throw err;
  }
  return mod;
}
require.resolve = (name) => name;
// import() of what the bundle could not hold (bundle.mjs, dynamic_import.mjs): the module as
// require() loads it, as the namespace Node's import() gives a built-in; one found nowhere
// rejects as Node's import() does (ERR_MODULE_NOT_FOUND)
function importable(name) {
  try {
    return require(name);
  } catch (e) {
    if (e.code !== "MODULE_NOT_FOUND") throw e;
    const what = /^[./]/.test(name) ? "module" : "package";
    throw Object.assign(new Error(`Cannot find ${what} '${name}' imported from ${TASK_ROOT}/${config.entry || "index.js"}`),
      { code: "ERR_MODULE_NOT_FOUND" });
  }
}
globalThis.__wasmhostImport = (name) => new Promise((resolve) => {
  const mod = importable(String(name));
  const namespace = Object.create(null);
  if (mod !== null && (typeof mod === "object" || typeof mod === "function")) {
    for (const key of Object.keys(mod)) namespace[key] = mod[key];
  }
  namespace.default = mod;
  Object.defineProperty(namespace, Symbol.toStringTag, { value: "Module" });
  resolve(Object.freeze(namespace));
});
require.cache = {};
// `require("module")` is Node's Module class: packages compile source of their own with it
// (jsonpath's aesprim: `new Module(id, module)._compile(source, filename)`)
class Module {
  constructor(id = "", parent = undefined) {
    Object.assign(this, { id, parent, exports: {}, filename: null, loaded: false, children: [], paths: [] });
  }
  _compile(content, filename) {
    const dir = String(filename).replace(/\/[^/]*$/, "") || "/";
    compiledFiles.add(String(filename));
    new Function("exports", "require", "module", "__filename", "__dirname", `${content}\n//# sourceURL=${filename}`)
      .call(this.exports, this.exports, require, this, filename, dir);
    this.loaded = true;
    return this.exports;
  }
}
Object.assign(Module, BUILTINS.module, { Module, createRequire: () => require });
BUILTINS.module = Module;

// -- errors, as Lambda's Node.js runtime reports them ---------------------------------------
function errorDoc(e) {
  if (e instanceof Error) {
    return { errorType: e.name || "Error", errorMessage: v8Message(e), trace: stackLines(e) };
  }
  return { errorType: typeof e, errorMessage: String(e), trace: [] };
}

function fail(type, message, trace = []) {
  const doc = { errorType: type, errorMessage: message, trace };
  lambdaConsole.error(`${type}: ${message}`);
  return JSON.stringify(doc);
}

function stackOf(e) {
  return e instanceof Error ? stackLines(e) : [];
}

const ASYNC_MARK = "//# wasmhost: async\n"; // wasmhost/runtimes/esm.py
const FILES_MARK = "//# wasmhost: files "; // then the function's files as JSON (wasmhost/runtimes/javascript.py)
const LAZY_MARK = "//# wasmhost: lazy "; // then <n> characters of modules compiled on first require (javascript.py)
const MAP_MARK = "//# wasmhost: map "; // then the bundle's source map, one line (javascript.py, sourcemap.js)
const ZONES_MARK = "//# wasmhost: zones "; // then the IANA time zone database, one line (zone_data.mjs, timezones.js)
const AsyncFunction = (async () => {}).constructor;
const ESM_SCOPE = Symbol.for("wasmhost.esmScope");

export async function init(source, configJson) {
  config = JSON.parse(configJson);
  process.env = config.env;
  setRuntime(config.env.AWS_EXECUTION_ENV);
  installTraceId();
  staticContext = {
    callbackWaitsForEmptyEventLoop: true, functionName: config.function_name,
    functionVersion: config.function_version, invokedFunctionArn: config.invoked_function_arn,
    memoryLimitInMB: String(config.memory_limit_in_mb), awsRequestId: undefined,
    logGroupName: config.log_group_name, logStreamName: config.log_stream_name,
    identity: undefined, clientContext: undefined,
  };
  json = config.log_format === "JSON";
  minLevel = json && config.log_level ? LEVELS[config.log_level] ?? 0 : 0;
  installGlobals();
  setCodeFile(`${TASK_ROOT}/${config.entry}`);
  if (source.startsWith(FILES_MARK)) {
    const end = source.indexOf("\n");
    mount(JSON.parse(source.slice(FILES_MARK.length, end)), config.ephemeral_mb);
    source = source.slice(end + 1);
  } else {
    mount({}, config.ephemeral_mb);
  }
  let lazy = ""; // a large bundle's modules, each compiled when first required (bundle.mjs)
  if (source.startsWith(LAZY_MARK)) {
    const end = source.indexOf("\n");
    const length = Number(source.slice(LAZY_MARK.length, end));
    lazy = source.slice(end + 1, end + 1 + length);
    source = source.slice(end + 1 + length);
  }
  setMap(null);
  if (source.startsWith(MAP_MARK)) {
    const end = source.indexOf("\n");
    setMap(source.slice(MAP_MARK.length, end));
    source = source.slice(end + 1);
  }
  if (source.startsWith(ZONES_MARK)) {
    const end = source.indexOf("\n");
    setZoneData(source.slice(ZONES_MARK.length, end));
    source = source.slice(end + 1);
  }
  const [file, ...path] = config.handler.split(".");
  const module = { exports: {}, id: ".", filename: `${TASK_ROOT}/${config.entry}`, loaded: false, children: [] };
  module.require = require;
  try {
    // an ES module rewritten by the host (top-level await) runs as an async function
    const Body = source.startsWith(ASYNC_MARK) ? AsyncFunction : Function;
    const fn = new Body("exports", "require", "module", "__filename", "__dirname", "__wasmhostLazy",
      `${source}\n//# sourceURL=${BUNDLE_URL}`);
    await fn(module.exports, require, module, module.filename, TASK_ROOT, (start, end) => lazy.slice(start, end));
  } catch (e) {
    if (e && e[ESM_SCOPE]) e.message += e[ESM_SCOPE]; // module_format.mjs: Node's words at module evaluation
    if (e instanceof SyntaxError) {
      throw fail("Runtime.UserCodeSyntaxError", `${e.name}: ${e.message}`, stackOf(e));
    }
    if (e && e.code === "MODULE_NOT_FOUND") {
      throw fail("Runtime.ImportModuleError", `Error: ${e.message}`, stackOf(e));
    }
    const doc = errorDoc(e);
    lambdaConsole.error(`${doc.errorType}: ${doc.errorMessage}`);
    throw JSON.stringify(doc);
  }
  let target = module.exports;
  for (const part of path) target = target == null ? undefined : target[part];
  if (typeof target !== "function") {
    throw fail("Runtime.HandlerNotFound", `${file}.${path.join(".")} is undefined or not exported`);
  }
  handler = target;
}

// -- the context, as Lambda's Node.js runtime builds it: own properties, detachable methods --
let staticContext = {}; // what every invocation's context shares (set at init)

function makeContext(rid, deadline, callback) {
  const ctx = { ...staticContext };
  ctx.awsRequestId = rid;
  if (request) { // Invoke's ClientContext (and identity), as parsed JSON: what Lambda's runtime gives
    if (request.client_context) ctx.clientContext = JSON.parse(request.client_context);
    if (request.identity) ctx.identity = request.identity;
  }
  ctx.getRemainingTimeInMillis = () => Math.max(0, deadline - Date.now());
  ctx.succeed = (result) => callback(null, result);
  ctx.fail = (err) => callback(err === undefined || err === null ? "handled" : err);
  ctx.done = callback;
  return ctx;
}

// _X_AMZN_TRACE_ID is made when read, not on every invocation (few handlers read it)
let traceId = null;
function installTraceId() {
  Object.defineProperty(process.env, "_X_AMZN_TRACE_ID", {
    enumerable: true, configurable: true,
    get() {
      if (traceId === null && requestId) {
        const hex = requestId.replace(/-/g, ""); // Lambda's header when tracing is PassThrough: not sampled
        traceId = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${hex.slice(0, 24)};Parent=${hex.slice(-16)};Sampled=0`;
      }
      return traceId === null ? undefined : traceId;
    },
    set(v) { traceId = String(v); },
  });
}

// Lambda's semantics: a returned Promise settles the invocation; otherwise the callback
// (or context.succeed/fail/done) does, once the event loop is empty (unless
// callbackWaitsForEmptyEventLoop is false); a handler that does neither, or whose promise
// is still pending when nothing is left to run, answers null.
// Timers still pending when the invocation ends are not cancelled: as in Lambda, they
// wait (frozen with the instance), and those due by the next invocation fire before
// its handler runs (thaw: the event loop, run only until the invocation's promise
// settles, would not reach them first).
function thaw() {
  const now = Date.now();
  const due = [...pending.values()].filter((t) => t._due <= now).sort((a, b) => a._due - b._due);
  for (const t of due) {
    t._stop();
    guarded(t._fn, t._args);
  }
}
function run(ev, deadline, rid) {
  return new Promise((resolve, reject) => {
    let over = false;
    const finish = (err, result) => {
      if (over) return;
      over = true;
      onIdle = uncaught = null;
      if (err !== null && err !== undefined) reject(err);
      else resolve(result);
    };
    let called = false;
    const callback = (err, result) => {
      if (called) return;
      called = true;
      if (!ctx.callbackWaitsForEmptyEventLoop || !waiting()) finish(err, result);
      else onIdle = () => finish(err, result);
    };
    const ctx = makeContext(rid, deadline, callback);
    uncaught = (e) => finish(e, undefined);
    if (pending.size) thaw();
    if (over) return;
    let ret;
    const stream = handler[STREAMING] === "response" ? new ResponseStream() : null;
    if (stream && request && request.stream) stream.live = true;
    try {
      ret = stream ? handler(ev, stream, ctx) : handler(ev, ctx, callback);
    } catch (e) {
      finish(e, undefined);
      return;
    }
    if (stream) {
      Promise.resolve(ret).then(() => streamEnded(stream)).then(() => finish(null, streamedAnswer(stream)),
        (e) => finish(e === undefined || e === null ? new Error(String(e)) : e, undefined));
      return;
    }
    if (ret && typeof ret.then === "function") {
      ret.then((r) => { if (!called) finish(null, r); },
        (e) => { if (!called) finish(e === undefined || e === null ? new Error(String(e)) : e, undefined); });
      // a promise that can no longer settle (nothing left to run: Node's beforeExit) answers
      // null, as Lambda's runtime does (an Express response that never ends)
      if (!called) {
        onIdle = () => finish(null, null);
        settled();
      }
    } else if (!called) {
      onIdle = () => callback(null, null);
      settled();
    }
  });
}

let request = null; // the invocation's request (wit: handle), when it has more than its id
export async function handle(event, rid, deadlineMs, requestJson) {
  requestId = rid;
  request = requestJson ? JSON.parse(requestJson) : null;
  traceId = null;
  let ev;
  try {
    ev = event ? JSON.parse(event) : {};
  } catch (e) {
    ev = event;
  }
  let result;
  crashed = false;
  try {
    result = await run(ev, Number(deadlineMs), rid);
  } catch (e) {
    // Lambda's runtime process exits after process.exit() or an uncaught exception (129):
    // the host ends this instance (instanceEnds), and the next invocation loads the code again
    if (e instanceof ProcessExit) { // the process is gone: Lambda's platform answers for it
      throw JSON.stringify({ errorType: "Runtime.ExitError", instanceEnds: true, errorMessage: e.code
        ? `Runtime exited with error: exit status ${e.code}` : "Runtime exited without providing a reason" });
    }
    const doc = errorDoc(e);
    lambdaConsole.error(crashed ? "Uncaught Exception" : "Invoke Error",
      JSON.stringify({ errorType: doc.errorType, errorMessage: doc.errorMessage, stack: doc.trace }));
    if (crashed) doc.instanceEnds = true;
    throw JSON.stringify(doc);
  }
  if (result instanceof Streamed) return result.text;
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch (e) {
    throw JSON.stringify({ errorType: "Runtime.MarshalError", errorMessage: `Unable to stringify response body: ${e.message}`,
      trace: stackOf(e) });
  }
}
