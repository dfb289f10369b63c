// `for await (const chunk of stream)` over a web ReadableStream (a fetch Response's body), as
// Node's streams allow and StarlingMonkey's do not: values() and Symbol.asyncIterator read
// through a reader, cancelling the stream when the loop leaves early (unless preventCancel).
export function installStreamIteration() {
  const proto = globalThis.ReadableStream && globalThis.ReadableStream.prototype;
  if (!proto || proto[Symbol.asyncIterator]) return;
  async function* values({ preventCancel = false } = {}) {
    const reader = this.getReader();
    let done = false;
    try {
      for (;;) {
        const step = await reader.read();
        if (step.done) {
          done = true;
          return;
        }
        yield step.value;
      }
    } finally {
      if (!done && !preventCancel) await reader.cancel();
      reader.releaseLock();
    }
  }
  for (const key of ["values", Symbol.asyncIterator]) {
    Object.defineProperty(proto, key, { configurable: true, writable: true, enumerable: false, value: values });
  }
}
