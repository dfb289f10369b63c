// Node checks what the sandbox made at random (run by the test after both handlers):
//   node check.js <event.json> <made.json>  -> a JSON list of booleans
const crypto = require("crypto");
const fs = require("fs");
const [event, made] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
const { rsa, ec } = event.keys;
const data = Buffer.from("payload"), g = made.generated;
console.log(JSON.stringify([
  crypto.verify("sha384", data, ec.publicPem, Buffer.from(made.ecdsa, "base64")),
  crypto.verify("sha256", data, { key: ec.publicPem, dsaEncoding: "ieee-p1363" }, Buffer.from(made.p1363, "base64")),
  crypto.verify("sha256", data, { key: rsa.publicPem, padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
    saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST }, Buffer.from(made.pss, "base64")),
  crypto.privateDecrypt({ key: rsa.privatePem, oaepHash: "sha256" }, Buffer.from(made.oaep, "base64")).toString() === "secret",
  crypto.createPublicKey(g.rsaPublic).asymmetricKeyDetails.modulusLength === 1024,
  crypto.verify("sha256", data, g.rsaPublic, Buffer.from(g.rsaSig, "base64")),
  crypto.verify("sha256", data, g.ecPublic, Buffer.from(g.ecSig, "base64")),
]));
