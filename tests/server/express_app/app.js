// An Express app as Lambda code writes one: JSON and text answers, status codes, headers,
// cookies, a parsed JSON body, a Buffer, a chunked stream of writes, a gzipped answer
// (the compression middleware), a redirect, HEAD, and an error handled by Express's final
// handler. serverless.js and vendia.js serve it with Express 4 through the two adapters
// Lambda code uses, express5.js with Express 5 (path-to-regexp 8's Unicode property escapes).
const compression = require("compression");

module.exports = (express) => {
  const app = express();
  app.use(express.json());
  app.get("/items/:id", (req, res) => {
    res.set("X-Item", req.params.id).status(200).json({ id: req.params.id, q: req.query, ua: req.get("user-agent") || null });
  });
  app.post("/items", (req, res) => {
    res.status(201).cookie("session", "abc", { httpOnly: true }).cookie("theme", "dark").json({ created: req.body });
  });
  app.get("/bytes", (req, res) => {
    res.type("application/octet-stream").send(Buffer.from([0, 1, 2, 250, 255]));
  });
  app.get("/stream", (req, res) => {
    res.setHeader("Content-Type", "text/plain");
    res.write("one,");
    res.write(Buffer.from("two,"));
    res.end("three");
  });
  app.get("/report", compression({ threshold: 0 }), (req, res) => {
    res.type("text/csv");
    for (let i = 0; i < 200; i++) res.write(`${i},row ${i},${i * i}\n`);
    res.end();
  });
  app.get("/head-and-get", (req, res) => res.send("body seen only by GET"));
  app.get("/moved", (req, res) => res.redirect(301, "/items/1"));
  app.get("/nothing", (req, res) => res.sendStatus(204));
  app.get("/boom", () => {
    throw new Error("boom");
  });
  return app;
};
