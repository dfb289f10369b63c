// `net` and `tls` sockets: the sandbox has no TCP, so a database or cache client (pg, mysql2,
// mongodb, ioredis, ...) cannot connect. unenv's sockets stand still instead (connect() does
// nothing, so a client waits for ever) or throw "not implemented" at a client's first line.
// Here a connection fails as a socket's failure does in Node: an 'error' event, on the next
// turn, with Node's shape (`connect EACCES host:port`, errno, code, syscall, address, port),
// then 'close', so each client reports it its own way; the message says why. HTTP(S) goes
// through the host (fetch, http.js) and is not a socket here.
import { EventEmitter } from "./events.js";

const NO_TCP = "wasmhost runs Node.js functions without TCP sockets: a database or cache client cannot connect "
  + "from the sandbox; HTTP(S) APIs work through fetch, http and https";

// Node's arguments: (port, host, listener), (path, listener) or (options, listener)
function target(args) {
  const [first, second] = args;
  if (first !== null && typeof first === "object") return { host: first.host || first.servername || "localhost",
    port: first.port, path: first.path };
  if (typeof first === "string" && !/^\d+$/.test(first)) return { path: first };
  return { host: typeof second === "string" ? second : "localhost", port: Number(first) };
}

function refuse(socket, args) {
  const { host, port, path } = target(args);
  const listener = args.find((a) => typeof a === "function");
  if (listener) socket.once("connect", listener);
  socket.connecting = true;
  const where = path || `${host}:${port}`;
  const err = Object.assign(new Error(`connect EACCES ${where} (${NO_TCP})`),
    { errno: -13, code: "EACCES", syscall: "connect" }, path ? {} : { address: host, port });
  setTimeout(() => {
    socket.connecting = false;
    socket.destroyed = true;
    socket.emit("error", err);
    socket.emit("close", true);
  }, 0);
  return socket;
}

// a socket that never connects: the calls clients make before and after connect() (unenv's
// Socket has no methods at all: its Duplex copies class prototypes, whose methods do not copy)
export class Socket extends EventEmitter {
  constructor(options) {
    super();
    Object.assign(this, { connecting: false, destroyed: false, pending: true, readyState: "closed", bytesRead: 0,
      bytesWritten: 0, remoteAddress: undefined, remotePort: undefined, writable: false, readable: false,
      allowHalfOpen: !!options?.allowHalfOpen });
  }
  connect(...args) { return refuse(this, args); }
  write(chunk, encoding, callback) {
    const cb = [encoding, callback].find((a) => typeof a === "function");
    const err = Object.assign(new Error("This socket is closed"), { code: "ERR_SOCKET_CLOSED" });
    if (cb) setTimeout(() => cb(err), 0);
    return false;
  }
  end(...args) {
    const cb = args.find((a) => typeof a === "function");
    if (cb) this.once("close", cb);
    return this.destroy();
  }
  destroy(error) {
    if (!this.destroyed) {
      this.destroyed = true;
      setTimeout(() => {
        if (error) this.emit("error", error);
        this.emit("close", !!error);
      }, 0);
    }
    return this;
  }
  destroySoon() { return this.destroy(); }
  resetAndDestroy() { return this.destroy(); }
  setEncoding() { return this; }
  setTimeout(ms, callback) {
    if (callback) this.once("timeout", callback);
    return this;
  }
  setNoDelay() { return this; }
  setKeepAlive() { return this; }
  pause() { return this; }
  resume() { return this; }
  ref() { return this; }
  unref() { return this; }
  address() { return {}; }
  cork() {}
  uncork() {}
  pipe(dest) { return dest; }
}

// Node's TLSSocket over another stream keeps it in _handle._parentWrap (a JSStreamSocket):
// http2-wrapper, which got loads, reads that constructor at load
class JSStreamSocket extends Socket {
  constructor(stream) {
    super();
    this.stream = stream;
  }
}

export class TLSSocket extends Socket {
  constructor(socket, options) {
    super(options);
    Object.assign(this, { authorized: false, encrypted: true, alpnProtocol: null });
    if (socket && !(socket instanceof Socket)) this._handle = { _parentWrap: new JSStreamSocket(socket) };
  }
  getPeerCertificate() { return {}; }
  getCertificate() { return null; }
  getProtocol() { return null; }
  getCipher() { return null; }
  getSession() { return undefined; }
  setServername() {}
}

const connect = (...args) => new Socket().connect(...args);

/** What net and tls take from here over unenv's modules (builtins.js). */
export const netSockets = { Socket, Stream: Socket, connect, createConnection: connect };
export const tlsSockets = { TLSSocket, connect: (...args) => new TLSSocket().connect(...args) };
