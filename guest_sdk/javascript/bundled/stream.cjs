// Node's `stream` as a function's bundle sees it: the module is the legacy Stream function
// (an EventEmitter with pipe()) carrying Readable, Writable, Duplex, ... as its properties, as
// Node's lib/stream.js is. readable-stream (Node's streams as a package) exports Readable
// itself as its module, so `util.inherits(PNG, require("stream"))` (pngjs, under qrcode) made
// a Readable with no _read ("The _read() method is not implemented").
"use strict";
const streams = require("readable-stream");

const Stream = streams.Stream;
for (const key of Object.keys(streams)) {
  if (key !== "default" && !(key in Stream)) Stream[key] = streams[key];
}
// (not streams.promises: readable-stream's Readable inherits its statics from Stream, so that
// would read this getter again)
Object.defineProperty(Stream, "promises", { configurable: true, enumerable: true, get: () => require("stream/promises") });
Stream.Stream = Stream;
module.exports = Stream;
