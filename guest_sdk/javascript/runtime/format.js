// util.format and util.inspect as Node prints them (console.log's text), in brief:
// nested objects to depth 2, arrays, Maps, Sets, Errors with their stack, class names.
// unenv's versions print JSON, which would not look like a Lambda Node.js log.

import { v8Message } from "./v8errors.js";

let codeFile = "/var/task/index.js";
export function setCodeFile(path) {
  codeFile = path;
}

// An error's stack as Node prints it ("Name: message" then "    at fn (file:line:col)"),
// from SpiderMonkey's "fn@file:line:col" lines; frames of the runtime itself are left
// out, and the user's frames point into the bundle evaluated from the handler's file.
export function stackLines(e) {
  const lines = [`${e.name || "Error"}: ${v8Message(e)}`];
  for (const line of String(e.stack || "").split("\n")) {
    const m = /^(.*)@(.*):(\d+):(\d+)$/.exec(line);
    if (!m || !m[2].includes("> Function")) continue;
    const name = m[1].replace(/^anonymous\//, "").replace(/[/<]+$/, "").replace(/\/</g, ".<") || "<anonymous>";
    lines.push(`    at ${name} (${codeFile}:${m[3]}:${m[4]})`);
  }
  return lines;
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
    if (typeof Error.prepareStackTrace !== "function") {
      if (native) native.call(Error, obj, fn);
      else obj.stack = new Error().stack;
      return;
    }
    const sites = [];
    for (const line of String(new Error().stack || "").split("\n").slice(1)) {
      const m = /^(.*)@(.*):(\d+):(\d+)$/.exec(line);
      if (!m) continue;
      const file = m[2].includes("> Function") ? codeFile : m[2];
      const name = m[1].replace(/^anonymous\//, "").replace(/[/<]+$/, "").replace(/\/</g, ".<");
      sites.push(callSite(name, file, Number(m[3]), Number(m[4])));
    }
    Object.defineProperty(obj, "stack", { value: Error.prepareStackTrace(obj, sites), writable: true,
      configurable: true, enumerable: false });
  };
}
