// The plain Node.js baseline of bench/bench_workers.py: node's own `http` module
// echoing the request body, no sandbox, one process. Usage: node node_echo.js PORT
const http = require("http");
http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": body.length });
    res.end(body);
  });
}).listen(Number(process.argv[2]), "127.0.0.1");
