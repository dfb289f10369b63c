// Node's built-in modules for `require(...)` and `import ... from "node:..."`: unenv's
// implementations (https://github.com/unjs/unenv, what Cloudflare and Netlify use for
// Node.js compatibility), with crypto, fs, util's format/inspect, process and zlib (fflate) of
// our own. What cannot work in a sandbox (child_process, net, ...) loads, and fails
// naming the function when called. (Generated from unenv's runtime/node list.)
import crypto from "./crypto.js";
import fs, { promises as fsPromises } from "./fs.js";
import { format, inspect } from "./format.js";
import zlib from "./zlib.js";
import diagnostics_channel from "./diagnostics_channel.js";
import stream from "./stream.js";
import events from "./events.js";
import { debuglog } from "./debuglog.js";
import "./buffer.js"; // Buffer's "base64url" encoding and latin1Slice & co., which unenv's lacks
import { client } from "./http.js";
import process from "./process.js";
import * as util_ns from "unenv/node/util";
import * as m_assert from "unenv/node/assert";
import * as m_assert_strict from "unenv/node/assert/strict";
import * as m_async_hooks from "unenv/node/async_hooks";
import * as m_buffer from "unenv/node/buffer";
import * as m_child_process from "unenv/node/child_process";
import * as m_cluster from "unenv/node/cluster";
import * as m_console from "unenv/node/console";
import * as m_constants from "unenv/node/constants";
import * as m_dgram from "unenv/node/dgram";
import * as m_dns from "unenv/node/dns";
import * as m_dns_promises from "unenv/node/dns/promises";
import * as m_domain from "unenv/node/domain";
import * as m_http from "unenv/node/http";
import * as m_http2 from "unenv/node/http2";
import * as m_https from "unenv/node/https";
import * as m_inspector from "unenv/node/inspector";
import * as m_module from "unenv/node/module";
import * as m_net from "unenv/node/net";
import * as m_os from "unenv/node/os";
import * as m_path from "unenv/node/path";
import * as m_path_posix from "unenv/node/path/posix";
import * as m_punycode from "unenv/node/punycode";
import * as m_querystring from "unenv/node/querystring";
import * as m_readline from "unenv/node/readline";
import * as m_readline_promises from "unenv/node/readline/promises";
import * as m_repl from "unenv/node/repl";
import * as m_stream_promises from "unenv/node/stream/promises";
import * as m_stream_web from "unenv/node/stream/web";
import * as m_string_decoder from "unenv/node/string_decoder";
import * as m_sys from "unenv/node/sys";
import * as m_timers from "unenv/node/timers";
import * as m_timers_promises from "unenv/node/timers/promises";
import * as m_tls from "unenv/node/tls";
import * as m_trace_events from "unenv/node/trace_events";
import * as m_tty from "unenv/node/tty";
import * as m_url from "unenv/node/url";
import * as m_v8 from "unenv/node/v8";
import * as m_vm from "unenv/node/vm";
import * as m_wasi from "unenv/node/wasi";
import * as m_worker_threads from "unenv/node/worker_threads";
import utilTypes from "./util_types.js";
import { getSystemErrorMap, getSystemErrorName } from "./syserrors.js";
import { netSockets, tlsSockets } from "./net.js";

const cjs = (ns) => (ns.default !== undefined ? ns.default : ns);
// Node's promisify honours util.promisify.custom (setTimeout has one); unenv's uses a private symbol
const CUSTOM = Symbol.for("nodejs.util.promisify.custom");
function promisify(fn) {
  if (fn[CUSTOM]) return fn[CUSTOM];
  return function (...args) {
    return new Promise((resolve, reject) => {
      fn.call(this, ...args, (err, value) => (err ? reject(err) : resolve(value)));
    });
  };
}
promisify.custom = CUSTOM;
function callbackify(fn) {
  return function (...args) {
    const cb = args.pop();
    fn.apply(this, args).then((v) => cb(null, v), (e) => cb(e || new Error(String(e))));
  };
}
export const util = { ...cjs(util_ns), format, inspect, promisify, callbackify,
  formatWithOptions: (o, ...a) => format(...a), getSystemErrorMap, getSystemErrorName };
util.types = utilTypes;
// unenv's stand-ins for what Node 20 does not have: libraries test for these (pino's caller
// takes util.getCallSites when present), so they are absent, as on Node 20
for (const name of ["getCallSite", "getCallSites", "getSystemErrorMessage"]) delete util[name];
util.debuglog = util.debug = debuglog; // quiet unless NODE_DEBUG names the section (debuglog.js)
// node:console's Console: a console writing to the streams it is given (Powertools' Logger
// makes one over process.stdout/stderr: on Lambda those lines reach the log as written)
class Console {
  constructor(stdout, stderr) {
    const opts = stdout && typeof stdout.write !== "function" ? stdout : { stdout, stderr };
    const out = opts.stdout, err = opts.stderr || opts.stdout;
    const line = (stream) => (...args) => { stream.write(`${format(...args)}\n`); };
    this.log = this.info = this.debug = line(out);
    this.warn = this.error = this.trace = line(err);
    this.dir = (obj, o) => out.write(`${inspect(obj, o)}\n`);
    this.table = (data) => out.write(`${inspect(data)}\n`);
    this.assert = (cond, ...args) => { if (!cond) err.write(`Assertion failed${args.length ? `: ${format(...args)}` : ""}\n`); };
    for (const k of ["group", "groupCollapsed", "groupEnd", "time", "timeEnd", "timeLog", "count", "countReset"]) {
      this[k] = () => {};
    }
  }
}
// Node's globals for messaging between threads, which StarlingMonkey lacks, as unenv's
// worker_threads has them (ports that deliver nothing: a function has no other thread).
// undici (cheerio imports it) names MessagePort as it loads.
for (const name of ["MessageChannel", "MessagePort", "BroadcastChannel"]) globalThis[name] ??= cjs(m_worker_threads)[name];
// The engine's performance with Node's eventLoopUtilization (hapi samples it at start): the
// sandbox's loop runs only while an invocation does, and its idle time is not measured, so
// every millisecond since the instance started counts as active, as Node counts a busy loop
function nodePerformance() {
  const perf = globalThis.performance;
  if (perf && !perf.eventLoopUtilization) {
    perf.eventLoopUtilization = (now, before) => {
      const at = now ? { ...now } : { idle: 0, active: perf.now(), utilization: 0 };
      if (before) at.active -= before.active, at.idle -= before.idle;
      at.utilization = at.active + at.idle > 0 ? at.active / (at.active + at.idle) : 0;
      return at;
    };
  }
  return perf;
}

export const BUILTINS = {
  "assert": cjs(m_assert),
  "assert/strict": cjs(m_assert_strict),
  "async_hooks": cjs(m_async_hooks),
  "buffer": cjs(m_buffer),
  "child_process": cjs(m_child_process),
  "cluster": cjs(m_cluster),
  "console": { ...cjs(m_console), Console },
  "constants": cjs(m_constants),
  "dgram": cjs(m_dgram),
  "diagnostics_channel": diagnostics_channel, // with Node's TracingChannel (diagnostics_channel.js)
  "dns": cjs(m_dns),
  "dns/promises": cjs(m_dns_promises),
  "domain": cjs(m_domain),
  "events": events, // EventEmitter callable as a function, as Node's (events.js)
  // reads of the function's files and a /tmp of its own (fs.js)
  "fs": fs,
  "fs/promises": fsPromises,
  // the client over the host's outbound HTTP (http.js); the rest unenv's
  "http": client(cjs(m_http), "http:"),
  "http2": cjs(m_http2),
  "https": client(cjs(m_https), "https:"),
  "inspector": cjs(m_inspector),
  "module": cjs(m_module),
  "net": { ...cjs(m_net), ...netSockets }, // sockets that fail to connect, saying why (net.js)
  "os": cjs(m_os),
  "path": cjs(m_path),
  "path/posix": cjs(m_path_posix),
  // unenv's perf_hooks reads the clock at load, which pre-initialization forbids
  perf_hooks: { get performance() { return nodePerformance(); }, PerformanceObserver: class {} },
  "punycode": cjs(m_punycode),
  "querystring": cjs(m_querystring),
  "readline": cjs(m_readline),
  "readline/promises": cjs(m_readline_promises),
  "repl": cjs(m_repl),
  "stream": stream, // Node's legacy Stream carrying unenv's classes (stream.js)
  "stream/promises": cjs(m_stream_promises),
  "stream/web": cjs(m_stream_web),
  "string_decoder": cjs(m_string_decoder),
  "sys": cjs(m_sys),
  "timers": cjs(m_timers),
  "timers/promises": cjs(m_timers_promises),
  "tls": { ...cjs(m_tls), ...tlsSockets },
  "trace_events": cjs(m_trace_events),
  "tty": cjs(m_tty),
  "url": cjs(m_url),
  "util/types": utilTypes,
  "v8": cjs(m_v8),
  "vm": cjs(m_vm),
  "wasi": cjs(m_wasi),
  "worker_threads": cjs(m_worker_threads),
  crypto, util, process, zlib,
};
