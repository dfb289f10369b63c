// Popular packages of Lambda handlers, used as their READMEs show, run unchanged in the
// sandbox and by plain Node 20 (tests/runtimes/test_js_libraries.py): a Cognito-style
// authorizer (jsonwebtoken + jwk-to-pem, and AWS's aws-jwt-verify) over tokens Node signed,
// tokens signed here and verified here, the loggers pino and winston, and cheerio.
const jwt = require("jsonwebtoken");
const jwkToPem = require("jwk-to-pem");
const { CognitoJwtVerifier, JwtRsaVerifier } = require("aws-jwt-verify");
const pino = require("pino");
const winston = require("winston");
const cheerio = require("cheerio");

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
  };
};
