// wasmhost's JavaScript runtime: StarlingMonkey (componentize-js) running a Node.js
// Lambda handler the way Lambda's Node.js runtime does: async handlers and Promises,
// (event, context, callback) handlers, context.succeed/fail/done, CommonJS and ES
// modules (bundled into one CommonJS script at deploy by bundle.mjs), Node's built-in
// modules (builtins.js), process.env, Buffer, timers, and console.* in Lambda's log format.
// Built once into a component; the function's bundle is evaluated at instance init.
import { Buffer } from "unenv/node/buffer";
import { BUILTINS, util } from "./builtins.js";
import { setCodeFile, stackLines } from "./format.js";
import process, { ProcessExit } from "./process.js";
import "./wasmhost_sdk.js"; // fetch and wasmhost.kv through the host's capabilities

const TASK_ROOT = "/var/task";
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
};

// -- timers: tracked, so a callback handler's result waits for an empty event loop ------
const realSetTimeout = globalThis.setTimeout, realClearTimeout = globalThis.clearTimeout;
const realSetInterval = globalThis.setInterval, realClearInterval = globalThis.clearInterval;
const pending = new Set();
let onIdle = null;
function settled(id) {
  pending.delete(id);
  if (!pending.size && onIdle) queueMicrotask(() => { if (!pending.size && onIdle) onIdle(); });
}
let uncaught = null; // the running invocation's reject: a throw in a timer fails it, as in Node
const guarded = (fn, args) => {
  try {
    fn(...args);
  } catch (e) {
    if (uncaught) uncaught(e);
  }
};
function setTimeout(fn, ms, ...args) {
  if (typeof fn !== "function") throw new TypeError(`The "callback" argument must be of type function. Received ${typeof fn}`);
  const id = realSetTimeout(() => { settled(id); guarded(fn, args); }, ms);
  pending.add(id);
  return id;
}
const PROMISIFY = Symbol.for("nodejs.util.promisify.custom");
setTimeout[PROMISIFY] = (ms, value) => new Promise((resolve) => setTimeout(resolve, ms, value));
function clearTimeout(id) { realClearTimeout(id); settled(id); }
function setInterval(fn, ms, ...args) {
  const id = realSetInterval(() => guarded(fn, args), ms);
  pending.add(id);
  return id;
}
function clearInterval(id) { realClearInterval(id); settled(id); }

function installGlobals() {
  Object.assign(globalThis, {
    console: lambdaConsole, process, Buffer, global: globalThis,
    setTimeout, clearTimeout, setInterval, clearInterval,
    setImmediate: (fn, ...args) => setTimeout(fn, 0, ...args), clearImmediate: clearTimeout,
  });
  const timers = BUILTINS.timers;
  Object.assign(timers, { setTimeout, clearTimeout, setInterval, clearInterval,
    setImmediate: globalThis.setImmediate, clearImmediate: clearTimeout });
}

// -- require, for the bundle's external (built-in) modules --------------------------------
function require(name) {
  const key = String(name).replace(/^node:/, "");
  const mod = BUILTINS[key];
  if (mod === undefined) {
    const err = new Error(`Cannot find module '${name}'\nRequire stack:\n- ${TASK_ROOT}/${config.entry || "index.js"}`);
    err.code = "MODULE_NOT_FOUND";
    throw err;
  }
  return mod;
}
require.resolve = (name) => name;
require.cache = {};
BUILTINS.module.createRequire = () => require;

// -- errors, as Lambda's Node.js runtime reports them ---------------------------------------
function errorDoc(e) {
  if (e instanceof Error) {
    return { errorType: e.name || "Error", errorMessage: e.message, trace: stackLines(e) };
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

export async function init(source, configJson) {
  config = JSON.parse(configJson);
  process.env = config.env;
  json = config.log_format === "JSON";
  minLevel = json && config.log_level ? LEVELS[config.log_level] ?? 0 : 0;
  installGlobals();
  setCodeFile(`${TASK_ROOT}/${config.entry}`);
  const [file, ...path] = config.handler.split(".");
  const module = { exports: {}, id: ".", filename: `${TASK_ROOT}/${config.entry}`, loaded: false, children: [] };
  module.require = require;
  try {
    const fn = new Function("exports", "require", "module", "__filename", "__dirname", source);
    await fn(module.exports, require, module, module.filename, TASK_ROOT);
  } catch (e) {
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

class Context {
  constructor(deadline) {
    this.callbackWaitsForEmptyEventLoop = true;
    this.functionName = config.function_name;
    this.functionVersion = config.function_version;
    this.invokedFunctionArn = config.invoked_function_arn;
    this.memoryLimitInMB = String(config.memory_limit_in_mb);
    this.awsRequestId = requestId;
    this.logGroupName = config.log_group_name;
    this.logStreamName = config.log_stream_name;
    this.identity = undefined;
    this.clientContext = undefined;
    this._deadline = deadline;
  }
  getRemainingTimeInMillis() {
    return Math.max(0, this._deadline - Date.now());
  }
}

// Lambda's semantics: a returned Promise settles the invocation; otherwise the callback
// (or context.succeed/fail/done) does, once the event loop is empty (unless
// callbackWaitsForEmptyEventLoop is false); a handler that does neither answers null.
function run(ev, ctx) {
  return new Promise((resolve, reject) => {
    let outcome = null;
    const finish = () => {
      onIdle = null;
      if (outcome[0] !== null && outcome[0] !== undefined) reject(outcome[0]);
      else resolve(outcome[1]);
    };
    const callback = (err, result) => {
      if (outcome) return;
      outcome = [err, result];
      if (!ctx.callbackWaitsForEmptyEventLoop || !pending.size) finish();
      else onIdle = finish;
    };
    uncaught = (e) => { if (!outcome) { outcome = [e, undefined]; finish(); } };
    ctx.succeed = (result) => callback(null, result);
    ctx.fail = (err) => callback(err === undefined || err === null ? "handled" : err);
    ctx.done = callback;
    let ret;
    try {
      ret = handler(ev, ctx, callback);
    } catch (e) {
      outcome = [e, undefined];
      finish();
      return;
    }
    if (ret && typeof ret.then === "function") {
      ret.then((r) => { if (!outcome) { outcome = [null, r]; finish(); } },
        (e) => { if (!outcome) { outcome = [e === undefined || e === null ? new Error(String(e)) : e, undefined]; finish(); } });
    } else if (!outcome) {
      onIdle = () => callback(null, null);
      if (!pending.size) queueMicrotask(() => { if (!pending.size && onIdle) onIdle(); });
    }
  });
}

export async function handle(event, rid, deadlineMs) {
  requestId = rid;
  process.env._X_AMZN_TRACE_ID = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${rid.replace(/-/g, "").slice(0, 24)}`;
  let ev;
  try {
    ev = event ? JSON.parse(event) : {};
  } catch (e) {
    ev = event;
  }
  let result;
  try {
    result = await run(ev, new Context(Number(deadlineMs)));
  } catch (e) {
    const doc = errorDoc(e);
    if (e instanceof ProcessExit) {
      doc.errorType = "Runtime.ExitError";
    }
    lambdaConsole.error("Invoke Error", JSON.stringify({ errorType: doc.errorType, errorMessage: doc.errorMessage,
      stack: doc.trace }));
    throw JSON.stringify(doc);
  } finally {
    for (const id of pending) { realClearTimeout(id); realClearInterval(id); }
    pending.clear();
    onIdle = uncaught = null;
  }
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch (e) {
    throw JSON.stringify({ errorType: "Runtime.MarshalError", errorMessage: `Unable to stringify response body: ${e.message}`,
      trace: stackOf(e) });
  }
}
