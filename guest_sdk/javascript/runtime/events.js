// `require("events")` as Node's: EventEmitter is a function, so the many packages that
// write `EventEmitter.call(this)` in a constructor (ioredis, older stream and client
// libraries) work, and `class X extends EventEmitter` still does. unenv's EventEmitter is
// a class (calling it throws "class constructors must be invoked with 'new'"); this
// function shares its prototype (all its methods), its statics (once, on, errorMonitor,
// defaultMaxListeners, ...), and sets up an instance by unenv's own constructor.
import * as unenv from "unenv/node/events";

const Base = unenv.EventEmitter;

export function EventEmitter(opts) {
  EventEmitter.init.call(this, opts);
}
EventEmitter.prototype = Base.prototype;
Object.defineProperty(Base.prototype, "constructor", { value: EventEmitter, writable: true, configurable: true });
for (const [key, desc] of Object.entries(Object.getOwnPropertyDescriptors(Base))) {
  if (!["length", "name", "prototype", "EventEmitter"].includes(key)) Object.defineProperty(EventEmitter, key, desc);
}
EventEmitter.EventEmitter = EventEmitter;
// Node's init: the fields unenv's constructor gives an instance, unless a prototype has them
EventEmitter.init = function init(opts) {
  if (this._events === undefined || this._events === Object.getPrototypeOf(this)._events) {
    Object.assign(this, new Base(opts));
  }
};
// In Node `on` is `addListener` and `off` is `removeListener` (one function each); unenv's
// `on` calls this.addListener, so a subclass that overrides both with one function calling
// the parent's `on` (readable-stream 3's Readable) would recurse forever
Base.prototype.on = Base.prototype.addListener;
Base.prototype.off = Base.prototype.removeListener;

export default EventEmitter;
