// util.format and util.inspect as Node prints them (console.log's text), in brief:
// nested objects to depth 2, arrays, Maps, Sets, Errors with their stack, class names.
// unenv's versions print JSON, which would not look like a Lambda Node.js log.

import { original } from "./sourcemap.js";
import { v8Message } from "./v8errors.js";

let codeFile = "/var/task/index.js";
export function setCodeFile(path) {
  codeFile = path;
}
export const BUNDLE_URL = "wasmhost:bundle"; // runtime.js: the bundle's sourceURL, naming its frames
export const compiledFiles = new Set(); // files Module._compile ran (their sourceURL: their own name)

// the runtime's own JSON.parse / JSON.stringify (v8errors.js) stand where V8's built-ins
// do, which V8 shows as "at JSON.parse (<anonymous>)"
const BUILTINS = new Set(["JSON.parse", "JSON.stringify"]);
const LAZY = / > Function line \d+ > eval$/; // a large bundle's module, compiled when first required

// One frame of SpiderMonkey's stack ("fn@file:line:col") as V8 would give it: the
// bundle's places are the function's own files (sourcemap.js), or the entry file where
// the bundle has no map; a file compiled by Module._compile keeps its own name. null for
// the runtime's own frames, which Node's stack has no counterpart of.
function frame(line) {
  const m = /^(.*)@(.*):(\d+):(\d+)$/.exec(line);
  if (!m) return null;
  const [, where, file, row, column] = m;
  const own = where.replace(/^.*\//, "");
  if (!file.startsWith(BUNDLE_URL) && BUILTINS.has(own)) return { name: own, file: "<anonymous>", row: null, column: null };
  const lazy = LAZY.test(file);
  if (!(lazy || file.startsWith(BUNDLE_URL) || compiledFiles.has(file))) return null;
  // SpiderMonkey names a function by where it is ("outer/inner", "outer/<" for an
  // anonymous one inside outer); V8 by its own name only, none for an anonymous one
  const name = where === "anonymous" ? "Object.<anonymous>" : where.endsWith("/<") ? "" : own;
  if (lazy) return { name, file: codeFile, row: Number(row), column: Number(column) };
  const body = Number(row) - 2; // new Function's two header lines
  const place = file === BUNDLE_URL ? original(body, Number(column)) : null;
  if (place) return { name, file: place.file, row: place.line, column: place.column };
  return { name, file: file === BUNDLE_URL ? codeFile : file, row: body, column: Number(column) };
}

function frames(smStack) {
  const out = [];
  for (const line of String(smStack || "").split("\n")) {
    const f = frame(line);
    if (f) out.push(f);
  }
  return out;
}

const at = (f) => (f.row === null ? `    at ${f.name} (${f.file})` : f.name ? `    at ${f.name} (${f.file}:${f.row}:${f.column})`
  : `    at ${f.file}:${f.row}:${f.column}`);
function header(e) {
  const name = e.name === undefined ? "Error" : String(e.name);
  const message = e.message === undefined ? "" : String(v8Message(e));
  return message ? (name ? `${name}: ${message}` : message) : name;
}

// An error's stack as Node prints it ("Name: message" then "    at fn (file:line:col)"),
// the lines of Lambda's stackTrace: its own `stack` where code has set one (a string).
export function stackLines(e) {
  return typeof e.stack === "string" ? e.stack.split("\n") : [header(e)];
}

// `err.stack` as V8's: read when first asked (SpiderMonkey's own frames, kept by the
// engine, made V8's then) and kept as the error's own property, which code may replace.
const smStack = Object.getOwnPropertyDescriptor(Error.prototype, "stack");
const own = (obj, value) => Object.defineProperty(obj, "stack", { value, writable: true, configurable: true });
export function installV8Stacks() {
  if (!smStack || !smStack.get) return;
  Object.defineProperty(Error.prototype, "stack", {
    configurable: true,
    get() {
      const raw = smStack.get.call(this);
      if (!(this instanceof Error) || typeof raw !== "string") return raw;
      const text = [header(this), ...frames(raw).map(at)].join("\n");
      own(this, text);
      return text;
    },
    set(value) {
      own(this, value);
    },
  });
}

const isPlainKey = (k) => /^[A-Za-z_$][\w$]*$/.test(k);

export function inspect(value, opts = {}) {
  const depth = opts.depth === undefined ? 2 : opts.depth === null ? Infinity : opts.depth;
  const seen = new Set();
  const str = (v, level, top) => {
    switch (typeof v) {
      case "string": return top ? v : `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n")}'`;
      case "number": return Object.is(v, -0) ? "-0" : String(v);
      case "bigint": return `${v}n`;
      case "undefined": return "undefined";
      case "boolean": return String(v);
      case "symbol": return v.toString();
      case "function": return `[${v.constructor && v.constructor.name === "AsyncFunction" ? "AsyncFunction" : "Function"}`
        + `${v.name ? ": " + v.name : " (anonymous)"}]`;
    }
    if (v === null) return "null";
    if (seen.has(v)) return "[Circular *1]";
    if (v instanceof Error) return stackLines(v).join("\n");
    if (v instanceof Date) return isNaN(v) ? "Invalid Date" : v.toISOString();
    if (v instanceof RegExp) return String(v);
    if (typeof v.then === "function" && v instanceof Promise) return "Promise { <pending> }";
    if (level > depth) return Array.isArray(v) ? "[Array]" : `[${(v.constructor && v.constructor.name) || "Object"}]`;
    seen.add(v);
    try {
      let items, open, close, prefix = "";
      if (Array.isArray(v)) {
        items = v.slice(0, 100).map((x) => str(x, level + 1));
        if (v.length > 100) items.push(`... ${v.length - 100} more items`);
        [open, close] = ["[", "]"];
      } else if (v instanceof Map) {
        items = [...v].map(([k, x]) => `${str(k, level + 1)} => ${str(x, level + 1)}`);
        [open, close, prefix] = ["{", "}", `Map(${v.size}) `];
      } else if (v instanceof Set) {
        items = [...v].map((x) => str(x, level + 1));
        [open, close, prefix] = ["{", "}", `Set(${v.size}) `];
      } else if (ArrayBuffer.isView(v)) {
        const name = (v.constructor && v.constructor.name) || "TypedArray";
        const hex = name === "Buffer";
        items = [...v.slice(0, 50)].map((x) => (hex ? x.toString(16).padStart(2, "0") : String(x)));
        if (v.length > 50) items.push(`... ${v.length - 50} more ${hex ? "bytes" : "items"}`);
        if (hex) return `<Buffer${items.length ? " " + items.join(" ") : ""}>`;
        [open, close, prefix] = ["[", "]", `${name}(${v.length}) `];
      } else {
        items = Object.keys(v).map((k) => `${isPlainKey(k) ? k : str(k, level + 1)}: ${str(v[k], level + 1)}`);
        const name = v.constructor && v.constructor.name;
        prefix = name && name !== "Object" ? `${name} ` : Object.getPrototypeOf(v) === null ? "[Object: null prototype] " : "";
        [open, close] = ["{", "}"];
      }
      if (!items.length) return `${prefix}${open}${close}`;
      const oneLine = `${prefix}${open} ${items.join(", ")} ${close}`;
      if (oneLine.length <= 72 && !oneLine.includes("\n")) return oneLine;
      const pad = "  ".repeat(level + 1);
      return `${prefix}${open}\n${pad}${items.join(`,\n${pad}`)}\n${"  ".repeat(level)}${close}`;
    } finally {
      seen.delete(v);
    }
  };
  return str(value, 0, false);
}

export function format(...args) {
  if (typeof args[0] !== "string") return args.map((a) => (typeof a === "string" ? a : inspect(a))).join(" ");
  let i = 1;
  let text = args[0].replace(/%([sdifjoOc%])/g, (m, f) => {
    if (f === "%") return "%";
    if (i >= args.length) return m;
    const a = args[i++];
    switch (f) {
      case "s": return typeof a === "string" ? a : typeof a === "object" && a !== null ? inspect(a, { depth: 0 }) : String(a);
      case "d": case "i": return typeof a === "object" ? "NaN" : String(f === "i" ? parseInt(a, 10) : Number(a));
      case "f": return String(parseFloat(a));
      case "j": try { return JSON.stringify(a); } catch { return "[Circular]"; }
      case "c": return "";
      default: return inspect(a);
    }
  });
  for (; i < args.length; i++) text += " " + (typeof args[i] === "string" ? args[i] : inspect(args[i]));
  return text;
}

// V8's stack trace API: with Error.prepareStackTrace set, Error.captureStackTrace(obj)
// gives obj.stack as that function's answer for the frames as CallSite objects (depd,
// which express loads, reads its caller's file this way). SpiderMonkey's own
// captureStackTrace writes a string; the frames are read from that.
function callSite(name, file, line, column) {
  const site = {
    getFileName: () => file, getLineNumber: () => line, getColumnNumber: () => column,
    getFunctionName: () => name || null, getMethodName: () => null, getTypeName: () => null,
    getThis: () => undefined, getFunction: () => undefined, getEvalOrigin: () => undefined,
    getScriptNameOrSourceURL: () => file, isEval: () => false, isNative: () => false, isToplevel: () => !name,
    isConstructor: () => false, isAsync: () => false, isPromiseAll: () => false, getPromiseIndex: () => null,
    toString: () => `${name || "<anonymous>"} (${file}:${line}:${column})`,
  };
  return site;
}

export function installCallSites() {
  const native = Error.captureStackTrace;
  Error.captureStackTrace = function captureStackTrace(obj, fn) {
    // SpiderMonkey's frames, from the caller of `fn` (or of this function) on
    const holder = {};
    if (native) native.call(Error, holder, fn || captureStackTrace);
    const raw = native ? holder.stack : new Error().stack;
    const found = frames(typeof raw === "string" ? raw : "");
    const stack = typeof Error.prepareStackTrace === "function"
      ? Error.prepareStackTrace(obj, found.filter((f) => f.row !== null).map((f) => callSite(f.name, f.file, f.row, f.column)))
      : [header(obj), ...found.map(at)].join("\n");
    own(obj, stack);
  };
}
