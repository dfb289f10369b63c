// `require("stream")` as Node's: the legacy Stream constructor (an EventEmitter with
// pipe()), carrying unenv's Readable, Writable, ... A function's AWS SDK gives most
// bundles Node's full streams (readable-stream, bundle.mjs); what reaches this module is
// a package that builds its own streams on the legacy one: readable-stream 3 (winston's
// transports, through-era packages) calls `Stream.call(this)` and inherits from it,
// which unenv's Stream (a class that throws) refuses.
import * as unenv from "unenv/node/stream";
import { EventEmitter } from "./events.js";

const base = unenv.default !== undefined ? unenv.default : unenv;

export function Stream(opts) {
  EventEmitter.call(this, opts); // callable as a function, as Node's is
}
Object.setPrototypeOf(Stream.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Stream, EventEmitter);

// Node's legacy pipe: data into dest.write (pausing while dest is full), end into dest.end
Stream.prototype.pipe = function pipe(dest, options) {
  const source = this;
  const ondata = (chunk) => {
    if (dest.writable && dest.write(chunk) === false && source.pause) source.pause();
  };
  const ondrain = () => { if (source.readable && source.resume) source.resume(); };
  source.on("data", ondata);
  dest.on("drain", ondrain);
  if (!options || options.end !== false) source.on("end", () => dest.end());
  dest.emit("pipe", source);
  return dest;
};

export default Object.assign(Stream, base, { Stream });
