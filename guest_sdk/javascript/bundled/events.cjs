// Node's `events` as a function's bundle sees it: EventEmitter as Node defines it, a
// function whose prototype's methods are enumerable (the `events` package, Node's own code
// as a package), so old-style code works as in Node: `EventEmitter.call(this)` with
// util.inherits (the runtime's EventEmitter is a class, which refuses to be called), and
// `for (var k in EventEmitter.prototype)` mixins (mongoose 4 gives its models `on` so).
// What the package lacks of Node 20's module (errorMonitor, EventEmitter.on, ...) is the
// runtime's.
"use strict";
const base = require("node:events");
const EventEmitter = require("events");

for (const key of Object.keys(base)) {
  if (!(key in EventEmitter) && key !== "default") EventEmitter[key] = base[key];
}
module.exports = EventEmitter;
