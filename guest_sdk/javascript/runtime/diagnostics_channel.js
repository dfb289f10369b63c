// `require("diagnostics_channel")`: unenv's named channels, with Node's TracingChannel
// (unenv's throws from traceSync and lacks hasSubscribers; pino traces every log line
// through one): a call runs traced, publishing start/end/error (and asyncStart/asyncEnd
// for promises and callbacks) to the channels' subscribers, as Node 20 does it.
// Channel.runStores publishes and runs (there are no AsyncLocalStorage stores to bind).
import * as unenv from "unenv/node/diagnostics_channel";

const base = unenv.default !== undefined ? unenv.default : unenv;
const { channel } = base;
const EVENTS = ["start", "end", "asyncStart", "asyncEnd", "error"];

function runStores(ch, data, fn, thisArg, args) {
  ch.publish(data);
  return fn.apply(thisArg, args);
}

class TracingChannel {
  constructor(nameOrChannels) {
    for (const e of EVENTS) {
      this[e] = typeof nameOrChannels === "string" ? channel(`tracing:${nameOrChannels}:${e}`) : nameOrChannels[e];
    }
  }
  get hasSubscribers() { return EVENTS.some((e) => this[e] && this[e].hasSubscribers); }
  subscribe(handlers) { for (const e of EVENTS) if (handlers[e]) this[e].subscribe(handlers[e]); }
  unsubscribe(handlers) {
    let done = true;
    for (const e of EVENTS) if (handlers[e] && !this[e].unsubscribe(handlers[e])) done = false;
    return done;
  }
  _failed(context, err) {  // published on the error channel, and given back to be thrown on
    context.error = err;
    this.error.publish(context);
    return err;
  }
  traceSync(fn, context = {}, thisArg, ...args) {
    if (!this.hasSubscribers) return fn.apply(thisArg, args);
    return runStores(this.start, context, () => {
      try {
        context.result = fn.apply(thisArg, args);
        return context.result;
      } catch (err) {
        throw this._failed(context, err);
      } finally {
        this.end.publish(context);
      }
    });
  }
  tracePromise(fn, context = {}, thisArg, ...args) {
    if (!this.hasSubscribers) return fn.apply(thisArg, args);
    const settle = () => { this.asyncStart.publish(context); this.asyncEnd.publish(context); };
    return runStores(this.start, context, () => {
      try {
        return Promise.resolve(fn.apply(thisArg, args)).then((result) => {
          context.result = result;
          settle();
          return result;
        }, (err) => {
          this._failed(context, err);
          settle();
          throw err;
        });
      } catch (err) {
        throw this._failed(context, err);
      } finally {
        this.end.publish(context);
      }
    });
  }
  traceCallback(fn, position = -1, context = {}, thisArg, ...args) {
    if (!this.hasSubscribers) return fn.apply(thisArg, args);
    const callback = args.at(position);
    const tracing = this;
    const wrapped = function (err, result, ...rest) {
      if (err) tracing._failed(context, err);
      else context.result = result;
      return runStores(tracing.asyncStart, context, () => {
        try {
          return callback.call(this, err, result, ...rest);
        } finally {
          tracing.asyncEnd.publish(context);
        }
      });
    };
    args.splice(position, 1, wrapped);
    return this.traceSync(fn, context, thisArg, ...args);
  }
}

base.Channel.prototype.runStores = function (data, fn, thisArg, ...args) { return runStores(this, data, fn, thisArg, args); };

export default { ...base, TracingChannel, tracingChannel: (nameOrChannels) => new TracingChannel(nameOrChannels) };
