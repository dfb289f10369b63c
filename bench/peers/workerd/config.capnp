# workerd peer config: one worker serving the wasm echo; the socket address is set
# on the command line (--socket-addr http=127.0.0.1:PORT).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .echoWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);

const echoWorker :Workerd.Worker = (
  modules = [
    (name = "worker", esModule = embed "worker.js"),
    (name = "echo.wasm", wasm = embed "echo.wasm"),
  ],
  compatibilityDate = "2024-09-01",
);
