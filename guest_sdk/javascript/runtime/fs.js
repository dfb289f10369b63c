// Node's `fs` for a function: reads of the files in its code (/var/task) and layers (/opt),
// and a writable /tmp, the way real handlers use them (templates, JSON config, a scratch
// file). The sandbox's JavaScript engine has no file system of its own: the host sends the
// function's non-code files with its code at deploy (wasmhost/runtimes/javascript.py,
// `mount`), and /tmp lives in the instance's memory, capped at the function's ephemeral
// storage like Lambda's. Missing paths are ENOENT and writes elsewhere EROFS, with Node's
// messages and codes (the AWS SDK's config-file lookup relies on them); what remains of
// `fs` (watchers, file descriptors, streams) is unenv's and fails naming itself.
import { Buffer } from "unenv/node/buffer";
import * as unenvFs from "unenv/node/fs";
import * as unenvPromises from "unenv/node/fs/promises";
import { posix } from "unenv/node/path";

const files = new Map(); // absolute path -> Buffer, or [text|base64, encoding] until first read
const mtimes = new Map(); // absolute path -> its modification time (ms): the code's as deployed, /tmp's as written
const codeSizes = new Map(); // the function's own code files (bundled: listed, not sent) -> their size
const dirs = new Set(["/", "/tmp", "/var", "/var/task", "/opt"]);
let tmpUsed = 0;
let tmpLimit = 512 << 20;

function addDirs(path) {
  for (let d = posix.dirname(path); !dirs.has(d); d = posix.dirname(d)) dirs.add(d);
}

/** The function's files ({path: [data, "utf8" | "base64", mtime ms]}, its code files as
 * ["", "code", mtime ms, size]) and /tmp's size, at init. */
export function mount(docs, ephemeralMb) {
  for (const [path, data] of Object.entries(docs)) {
    if (data[1] === "code") codeSizes.set(path, data[3]);
    files.set(path, data.slice(0, 2));
    if (data[2] !== undefined) mtimes.set(path, data[2]);
    addDirs(path);
  }
  if (ephemeralMb) tmpLimit = ephemeralMb << 20;
}

function fsError(code, errno, text, syscall, path) {
  const e = new Error(`${code}: ${text}, ${syscall} '${path}'`);
  Object.assign(e, { errno, code, syscall, path });
  return e;
}
const noEntry = (syscall, path) => fsError("ENOENT", -2, "no such file or directory", syscall, path);

function abs(p) {
  if (p instanceof URL) p = decodeURIComponent(p.pathname);
  else if (p instanceof Uint8Array) p = Buffer.from(p).toString();
  return posix.resolve("/var/task", String(p));
}

function content(path) {
  let data = files.get(path);
  if (Array.isArray(data) && data[1] === "code") {
    throw fsError("ENOTSUP", -95, "operation not supported (wasmhost bundles a Node.js function's code at deploy: "
      + "its own .js files are there to list, stat and require, not to read)", "open", path);
  }
  if (Array.isArray(data) && data[1] === "too-large") {
    throw fsError("EFBIG", -27, "file too large (wasmhost sends a Node.js function the data files of its code "
      + "up to 1 MiB each and 8 MiB in all: keep larger data in a bucket)", "open", path);
  }
  if (Array.isArray(data)) {
    data = Buffer.from(data[0], data[1]);
    files.set(path, data);
  }
  return data;
}

function encoded(buf, options) {
  const encoding = typeof options === "string" ? options : options && options.encoding;
  return encoding && encoding !== "buffer" ? buf.toString(encoding) : Buffer.from(buf);
}

function readFileSync(p, options) {
  if (typeof p === "number") return unenvFs.readFileSync(p, options);
  const path = abs(p);
  if (dirs.has(path)) throw fsError("EISDIR", -21, "illegal operation on a directory", "read", path);
  const data = content(path);
  if (data === undefined) throw noEntry("open", path);
  return encoded(data, options);
}

function writable(path, syscall) {
  if (path !== "/tmp" && !path.startsWith("/tmp/")) throw fsError("EROFS", -30, "read-only file system", syscall, path);
}

function store(path, bytes, syscall) {
  const before = files.has(path) ? content(path).length : 0;
  if (tmpUsed - before + bytes.length > tmpLimit) throw fsError("ENOSPC", -28, "no space left on device", syscall, path);
  tmpUsed += bytes.length - before;
  files.set(path, bytes);
  mtimes.set(path, Date.now());
}

function toBytes(data, options) {
  const encoding = (typeof options === "string" ? options : options && options.encoding) || "utf8";
  return typeof data === "string" ? Buffer.from(data, encoding) : Buffer.from(data.buffer ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data);
}

function writeFileSync(p, data, options) {
  const path = abs(p);
  writable(path, "open");
  if (!dirs.has(posix.dirname(path))) throw noEntry("open", path);
  if (dirs.has(path)) throw fsError("EISDIR", -21, "illegal operation on a directory", "open", path);
  const flag = options && options.flag;
  if (flag && flag.startsWith("a") && files.has(path)) data = Buffer.concat([content(path), toBytes(data, options)]);
  store(path, toBytes(data, options), "write");
}

function appendFileSync(p, data, options) {
  writeFileSync(p, data, { ...(typeof options === "string" ? { encoding: options } : options), flag: "a" });
}

function mkdirSync(p, options) {
  const path = abs(p);
  writable(path, "mkdir");
  const recursive = options && options.recursive;
  if (dirs.has(path) || files.has(path)) {
    if (recursive && dirs.has(path)) return undefined;
    throw fsError("EEXIST", -17, "file already exists", "mkdir", path);
  }
  let first = path; // what Node returns for a recursive mkdir: the first folder it made
  for (let d = posix.dirname(path); !dirs.has(d); d = posix.dirname(d)) first = d;
  if (!recursive && first !== path) throw noEntry("mkdir", path);
  dirs.add(path);
  addDirs(path);
  return recursive ? first : undefined;
}

function unlinkSync(p) {
  const path = abs(p);
  writable(path, "unlink");
  if (!files.has(path)) throw noEntry("unlink", path);
  tmpUsed -= content(path).length;
  files.delete(path);
}

function rmSync(p, options) {
  const path = abs(p);
  if (files.has(path)) return unlinkSync(path);
  if (!dirs.has(path)) {
    if (options && options.force) return undefined;
    throw noEntry("rm", path);
  }
  writable(path, "rm");
  if (!(options && options.recursive)) throw fsError("ERR_FS_EISDIR", -21, "Path is a directory", "rm", path);
  for (const f of [...files.keys()]) if (f.startsWith(path + "/")) unlinkSync(f);
  for (const d of [...dirs]) if (d === path || d.startsWith(path + "/")) dirs.delete(d);
  return undefined;
}

function renameSync(from, to) {
  const a = abs(from), b = abs(to);
  writable(a, "rename");
  writable(b, "rename");
  if (!dirs.has(posix.dirname(b))) throw noEntry("rename", b);
  if (!files.has(a)) throw noEntry("rename", a);
  const data = content(a);
  files.delete(a);
  files.set(b, data);
}

class Stats {
  constructor(size, dir, mtime) {
    Object.assign(this, { dev: 1, mode: dir ? 0o40755 : 0o100644, nlink: 1, uid: 993, gid: 990, rdev: 0,
      blksize: 4096, ino: 0, size, blocks: Math.ceil(size / 512), atimeMs: mtime, mtimeMs: mtime, ctimeMs: mtime,
      birthtimeMs: mtime, atime: new Date(mtime), mtime: new Date(mtime), ctime: new Date(mtime),
      birthtime: new Date(mtime) });
    this._dir = dir;
  }
  isFile() { return !this._dir; }
  isDirectory() { return this._dir; }
  isSymbolicLink() { return false; }
  isFIFO() { return false; }
  isSocket() { return false; }
  isBlockDevice() { return false; }
  isCharacterDevice() { return false; }
}

function statSync(p, options) {
  const path = abs(p);
  if (dirs.has(path)) return new Stats(4096, true, 0);
  if (codeSizes.has(path)) return new Stats(codeSizes.get(path), false, mtimes.get(path) || 0);
  const data = content(path);
  if (data === undefined) {
    if (options && options.throwIfNoEntry === false) return undefined;
    throw noEntry("stat", path);
  }
  return new Stats(data.length, false, mtimes.get(path) || 0);
}

function existsSync(p) {
  try {
    const path = abs(p);
    return dirs.has(path) || files.has(path);
  } catch {
    return false;
  }
}

function accessSync(p, mode) {
  const path = abs(p);
  if (!dirs.has(path) && !files.has(path)) throw noEntry("access", path);
  if (mode & 2 && path !== "/tmp" && !path.startsWith("/tmp/")) throw fsError("EACCES", -13, "permission denied", "access", path);
}

class Dirent {
  constructor(name, dir, parent) {
    this.name = name;
    this.parentPath = this.path = parent;
    this._dir = dir;
  }
  isFile() { return !this._dir; }
  isDirectory() { return this._dir; }
  isSymbolicLink() { return false; }
}

function readdirSync(p, options) {
  const path = abs(p);
  if (!dirs.has(path)) throw files.has(path) ? fsError("ENOTDIR", -20, "not a directory", "scandir", path) : noEntry("scandir", path);
  const prefix = path === "/" ? "/" : path + "/";
  const names = new Map();
  for (const f of files.keys()) if (f.startsWith(prefix) && !f.slice(prefix.length).includes("/")) names.set(f.slice(prefix.length), false);
  for (const d of dirs) if (d !== path && d.startsWith(prefix) && !d.slice(prefix.length).includes("/")) names.set(d.slice(prefix.length), true);
  const sorted = [...names.keys()].sort();
  return options && options.withFileTypes ? sorted.map((n) => new Dirent(n, names.get(n), path)) : sorted;
}

function realpathSync(p) {
  const path = abs(p);
  if (!dirs.has(path) && !files.has(path)) throw noEntry("realpath", path);
  return path;
}
realpathSync.native = realpathSync;

const sync = { readFileSync, writeFileSync, appendFileSync, mkdirSync, unlinkSync, rmSync, renameSync, statSync,
  lstatSync: statSync, existsSync, accessSync, readdirSync, realpathSync };

// the callback and promise forms, from the synchronous ones
function callbackForm(fn) {
  return (...args) => {
    const cb = typeof args[args.length - 1] === "function" ? args.pop() : null;
    let value, error = null;
    try {
      value = fn(...args);
    } catch (e) {
      error = e;
    }
    if (cb) queueMicrotask(() => (error ? cb(error) : cb(null, value)));
  };
}
function promiseForm(fn) {
  return (...args) => {
    try {
      return Promise.resolve(fn(...args));
    } catch (e) {
      return Promise.reject(e);
    }
  };
}
const names = { readFile: readFileSync, writeFile: writeFileSync, appendFile: appendFileSync, mkdir: mkdirSync,
  unlink: unlinkSync, rm: rmSync, rename: renameSync, stat: statSync, lstat: statSync, access: accessSync,
  readdir: readdirSync, realpath: realpathSync };
const callbacks = {}, promised = {};
for (const [name, fn] of Object.entries(names)) {
  callbacks[name] = callbackForm(fn);
  promised[name] = promiseForm(fn);
}
callbacks.exists = (p, cb) => queueMicrotask(() => cb(existsSync(p)));

const cjs = (ns) => (ns.default !== undefined ? ns.default : ns);
export const promises = { ...cjs(unenvPromises), ...promised };
const fs = { ...cjs(unenvFs), ...sync, ...callbacks, promises, Stats, Dirent };
export default fs;
