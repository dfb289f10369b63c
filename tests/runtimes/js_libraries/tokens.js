// The test's keys and tokens, made by Node (the sandbox verifies them):
//   node tokens.js -> the handler's event as JSON
const crypto = require("crypto");
const jwt = require("jsonwebtoken");

const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
const jwk = { ...rsa.publicKey.export({ format: "jwk" }), kid: "key-1", alg: "RS256", use: "sig" };
const pool = "us-east-1_TestPool", client = "test-client";
const sign = (payload) => jwt.sign(payload, rsa.privateKey, { algorithm: "RS256", keyid: "key-1" });
const later = Math.floor(Date.now() / 1000) + 3600;
const valid = sign({ sub: "user-1", iss: "https://issuer.example", exp: later, iat: 1 });
const cognito = sign({ sub: "user-2", iss: `https://cognito-idp.us-east-1.amazonaws.com/${pool}`, aud: client,
  token_use: "id", exp: later, iat: 1 });
// the same signature over another payload
const tamper = (token, payload) => {
  const [h, , s] = token.split(".");
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${s}`;
};
console.log(JSON.stringify({
  jwk, pool, client, secret: "a shared secret",
  ecPrivatePem: ec.privateKey.export({ type: "pkcs8", format: "pem" }),
  ecPublicPem: ec.publicKey.export({ type: "spki", format: "pem" }),
  tokens: {
    valid,
    tampered: tamper(valid, { sub: "admin", iss: "https://issuer.example", exp: later }),
    expired: sign({ sub: "user-1", iss: `https://cognito-idp.us-east-1.amazonaws.com/${pool}`, aud: client,
      token_use: "id", exp: 1000, iat: 1 }),
    cognito,
    cognitoTampered: tamper(cognito, { sub: "admin", iss: `https://cognito-idp.us-east-1.amazonaws.com/${pool}`,
      aud: client, token_use: "id", exp: later, iat: 1 }),
    es256: jwt.sign({ sub: "u3" }, ec.privateKey, { algorithm: "ES256", noTimestamp: true }),
  },
}));
