// Popular packages of Lambda handlers, used as their READMEs show, run unchanged in the
// sandbox and by plain Node 20 (tests/runtimes/test_js_libraries.py): a Cognito-style
// authorizer (jsonwebtoken + jwk-to-pem, and AWS's aws-jwt-verify) over tokens Node signed,
// tokens signed here and verified here, the loggers pino and winston, cheerio and busboy.
const jwt = require("jsonwebtoken");
const jwkToPem = require("jwk-to-pem");
const { CognitoJwtVerifier, JwtRsaVerifier } = require("aws-jwt-verify");
const pino = require("pino");
const winston = require("winston");
const cheerio = require("cheerio");
const busboy = require("busboy");

// a multipart/form-data body as API Gateway hands it over, parsed as multer and the
// Lambda multipart parsers do
function multipart(body) {
  const fields = {};
  const bb = busboy({ headers: { "content-type": "multipart/form-data; boundary=XyZ" } });
  bb.on("field", (name, value) => { fields[name] = value; });
  bb.on("file", (name, stream, info) => {
    const chunks = [];
    stream.on("data", (c) => chunks.push(c));
    stream.on("end", () => { fields[name] = [info.filename, info.mimeType, Buffer.concat(chunks).toString()]; });
  });
  return new Promise((resolve) => { bb.on("close", () => resolve(fields)); bb.end(Buffer.from(body)); });
}

const outcome = async (fn) => {
  try {
    return { ok: await fn() };
  } catch (e) {
    return { error: e.name, message: e.message };
  }
};

exports.handler = async (event) => {
  const { tokens, jwk, ecPrivatePem, ecPublicPem, secret, pool, client } = event;
  const pem = jwkToPem(jwk);
  const verify = (token, key, options) => outcome(() => jwt.verify(token, key, options));
  const cognito = CognitoJwtVerifier.create({ userPoolId: pool, tokenUse: "id", clientId: client });
  cognito.cacheJwks({ keys: [jwk] });
  const rsa = JwtRsaVerifier.create({ issuer: "https://issuer.example", audience: null,
    jwksUri: "https://issuer.example/.well-known/jwks.json" });
  rsa.cacheJwks({ keys: [jwk] });
  const hs = jwt.sign({ sub: "u1" }, secret, { noTimestamp: true });
  const es = jwt.sign({ sub: "u2" }, ecPrivatePem, { algorithm: "ES256", noTimestamp: true });
  const lines = [];
  pino({ timestamp: false, base: undefined }, { write: (line) => lines.push(line) }).info({ user: "u1" }, "signed in");
  winston.createLogger({ format: winston.format.json(), transports: [new winston.transports.Console()] })
    .info("signed in", { user: "u1" });
  const $ = cheerio.load("<ul><li class='a'>one</li><li>two</li></ul>");
  return {
    pem,
    rs256: await verify(tokens.valid, pem, { algorithms: ["RS256"] }),
    expired: await verify(tokens.expired, pem, { algorithms: ["RS256"] }),
    tampered: await verify(tokens.tampered, pem, { algorithms: ["RS256"] }),
    wrongAlgorithm: await verify(tokens.valid, pem, { algorithms: ["ES256"] }),
    cognito: await outcome(() => cognito.verify(tokens.cognito)),
    cognitoTampered: await outcome(() => cognito.verify(tokens.cognitoTampered)),
    cognitoExpired: await outcome(() => cognito.verify(tokens.expired)),
    awsRsa: await outcome(() => rsa.verify(tokens.valid)),
    hs256: [hs, await verify(hs, secret), await verify(hs, "wrong secret")],
    es256: [await verify(es, ecPublicPem), await verify(tokens.es256, ecPublicPem)],
    pino: lines,
    cheerio: [$("li.a").text(), $("li").length, $.html("li:last-child")],
    busboy: await multipart("--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nh\u00e9llo\r\n"
      + "--XyZ\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n"
      + "file body\r\n--XyZ--\r\n"),
  };
};
