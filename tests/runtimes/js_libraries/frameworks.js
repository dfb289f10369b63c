// Web frameworks as Lambda handlers, run in the sandbox and by plain Node 20
// (tests/runtimes/test_js_libraries.py): Fastify behind @fastify/aws-lambda (answered through
// fastify's inject, light-my-request, which builds Node's http messages the way Node's own code
// does) and hapi's server.inject, over API Gateway REST events: routes, a JSON body, a 404 and
// a malformed body.
const awsLambdaFastify = require("@fastify/aws-lambda");
const Fastify = require("fastify");
const Hapi = require("@hapi/hapi");

const app = Fastify();
app.get("/hi/:n", async (req) => ({ hi: req.params.n, q: req.query }));
app.post("/p", async (req, reply) => {
  reply.code(201);
  return req.body;
});
const proxy = awsLambdaFastify(app);

let hapi;
async function hapiServer() {
  if (!hapi) {
    hapi = Hapi.server();
    hapi.route({ method: "GET", path: "/hi/{n}", handler: (r) => ({ hi: r.params.n }) });
    hapi.route({ method: "POST", path: "/p", handler: (r, h) => h.response(r.payload).code(201) });
    await hapi.initialize();
  }
  return hapi;
}

const event = (httpMethod, path, body) => ({ httpMethod, path, headers: { "content-type": "application/json" },
  queryStringParameters: { a: "1" }, body: body || null, isBase64Encoded: false, requestContext: {} });
const REQUESTS = [["GET", "/hi/5"], ["POST", "/p", '{"a":1}'], ["GET", "/none"], ["POST", "/p", "{bad"]];

exports.handler = async (_event, context) => {
  const fastify = [];
  for (const [method, path, body] of REQUESTS) {
    const r = await proxy(event(method, path, body), context);
    delete r.headers.date;
    fastify.push(r);
  }
  const server = await hapiServer();
  const hapiAnswers = [];
  for (const [method, url, payload] of REQUESTS) {
    const r = await server.inject({ method, url, payload, headers: { "content-type": "application/json" } });
    delete r.headers.date;
    hapiAnswers.push([r.statusCode, r.payload, r.headers]);
  }
  return { fastify, hapi: hapiAnswers };
};
