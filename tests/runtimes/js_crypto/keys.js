// The test's keys and Node's own signatures over them (Node makes them, the sandbox reads them)
//   node keys.js -> the handler's event as JSON
const crypto = require("crypto");
const pair = (type, options) => {
  const { publicKey, privateKey } = crypto.generateKeyPairSync(type, options);
  return { publicPem: publicKey.export({ type: "spki", format: "pem" }),
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }),
    publicJwk: publicKey.export({ format: "jwk" }), privateJwk: privateKey.export({ format: "jwk" }) };
};
const keys = { rsa: pair("rsa", { modulusLength: 2048 }), ec: pair("ec", { namedCurve: "P-256" }),
  ec2: pair("ec", { namedCurve: "P-256" }),
  p384: pair("ec", { namedCurve: "secp384r1" }), p521: pair("ec", { namedCurve: "P-521" }),
  k1: pair("ec", { namedCurve: "secp256k1" }), ed: pair("ed25519") };
const data = Buffer.from("payload");
const signatures = {
  ec: crypto.sign("sha256", data, keys.ec.privatePem).toString("base64"),
  pss: crypto.sign("sha256", data, { key: keys.rsa.privatePem, padding: crypto.constants.RSA_PKCS1_PSS_PADDING })
    .toString("base64"),
  oaep: crypto.publicEncrypt(keys.rsa.publicPem, Buffer.from("from node")).toString("base64"),
};
console.log(JSON.stringify({ keys, signatures, certificate: process.argv[2] || null }));
