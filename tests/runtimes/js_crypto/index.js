// Node's synchronous crypto, run unchanged in the sandbox and by plain Node with the same
// keys (made by Node in the test): `same` holds what must be byte-for-byte Node's
// (ciphertexts, deterministic signatures, exported keys, errors); `made` holds what is
// random by design (ECDSA, PSS and OAEP outputs, generated keys), which the test checks
// with Node.
const crypto = require("crypto");

const attempt = (fn) => {
  try {
    const v = fn();
    return Buffer.isBuffer(v) ? v.toString("hex") : v;
  } catch (e) {
    return { error: e.constructor.name, message: e.message, code: e.code };
  }
};
const hex = (b) => Buffer.from(b).toString("hex");

exports.handler = async (event) => {
  const { rsa, ec, ed } = event.keys;
  const key = Buffer.alloc(32, 7), iv = Buffer.alloc(16, 2), text = "Lambda handlers encrypt this, across blocks.";
  const same = {};
  // AES in each mode, streamed in two updates, and decrypted back
  for (const alg of ["aes-256-cbc", "aes-128-cbc", "aes-192-ctr", "aes-256-ecb", "aes-128-cfb", "aes256"]) {
    const k = key.subarray(0, /128/.test(alg) ? 16 : /192/.test(alg) ? 24 : 32), v = /ecb/.test(alg) ? null : iv;
    const c = crypto.createCipheriv(alg, k, v);
    const ct = [c.update(text.slice(0, 5), "utf8", "hex"), c.update(text.slice(5), "utf8", "hex"), c.final("hex")];
    const d = crypto.createDecipheriv(alg, k, v);
    same[alg] = [ct, d.update(ct.join(""), "hex", "utf8") + d.final("utf8")];
    same[`${alg} wrong key`] = attempt(() => {
      const w = crypto.createDecipheriv(alg, Buffer.alloc(k.length, 9), v);
      return Buffer.concat([w.update(Buffer.from(ct.join(""), "hex")), w.final()]);
    });
  }
  for (const n of [12, 16]) {
    const g = crypto.createCipheriv("aes-256-gcm", key, Buffer.alloc(n, 3));
    g.setAAD(Buffer.from("header"));
    const ct = Buffer.concat([g.update(text), g.final()]), tag = g.getAuthTag();
    const open = (t) => attempt(() => {
      const d = crypto.createDecipheriv("aes-256-gcm", key, Buffer.alloc(n, 3));
      d.setAAD(Buffer.from("header"));
      d.setAuthTag(t);
      return Buffer.concat([d.update(ct), d.final()]).toString();
    });
    same[`gcm iv${n}`] = [hex(ct), hex(tag), open(tag), open(Buffer.alloc(16))];
  }
  same.errors = [attempt(() => crypto.createCipheriv("aes-256-cbc", Buffer.alloc(5), iv)),
    attempt(() => crypto.createCipheriv("aes-256-cbc", key, Buffer.alloc(5))),
    attempt(() => crypto.createCipheriv("aes-256-xyz", key, iv)),
    attempt(() => crypto.createCipheriv("aes-256-gcm", key, Buffer.alloc(12)).getAuthTag()),
    attempt(() => { const d = crypto.createDecipheriv("aes-256-cbc", key, iv); d.update(Buffer.alloc(15)); return d.final(); }),
    attempt(() => crypto.createPublicKey("not a key")),
    attempt(() => crypto.createPrivateKey(rsa.publicPem)),
    attempt(() => crypto.createSign("sha256").update("x").sign(ec.publicPem)),
    attempt(() => crypto.pbkdf2Sync("pw", "salt", 1, 16, "nope")),
    attempt(() => crypto.privateDecrypt(rsa.privatePem, Buffer.alloc(256, 1)))];
  // key derivation
  same.kdf = [hex(crypto.pbkdf2Sync("password", "salt", 1000, 32, "sha256")),
    hex(crypto.pbkdf2Sync("password", "salt", 10, 64, "sha512")),
    hex(crypto.scryptSync("password", "salt", 32, { N: 1024 })),
    hex(crypto.hkdfSync("sha256", "key", "salt", "info", 32)),
    await new Promise((res) => crypto.pbkdf2("p", "s", 5, 20, "sha1", (e, k) => res(hex(k))))];
  // keys: parsed from PEM and JWK, exported again
  const details = (k) => JSON.stringify(k.asymmetricKeyDetails, (_, v) => (typeof v === "bigint" ? `${v}n` : v));
  for (const [name, pair] of Object.entries(event.keys)) {
    const pub = crypto.createPublicKey(pair.publicPem), priv = crypto.createPrivateKey(pair.privatePem);
    const fromJwk = crypto.createPrivateKey({ key: pair.privateJwk, format: "jwk" });
    same[`${name} keys`] = [pub.type, pub.asymmetricKeyType, details(pub), priv.type, pub instanceof crypto.KeyObject,
      pub.export({ type: "spki", format: "der" }).toString("base64"), pub.export({ format: "jwk" }),
      priv.export({ format: "jwk" }), fromJwk.export({ type: "pkcs8", format: "pem" }),
      crypto.createPublicKey(priv).export({ type: "spki", format: "pem" }),
      crypto.createPublicKey({ key: pair.publicJwk, format: "jwk" }).equals(pub)];
  }
  same["ec sec1"] = crypto.createPrivateKey(ec.privatePem).export({ type: "sec1", format: "pem" });
  same["rsa pkcs1"] = crypto.createPrivateKey(rsa.privatePem).export({ type: "pkcs1", format: "pem" });
  // elliptic-curve Diffie-Hellman: both sides' secret, and the KeyObject form
  const ecdh = crypto.createECDH("prime256v1");
  ecdh.setPrivateKey(ec.privateJwk.d, "base64url");
  const peer = crypto.createECDH("prime256v1");
  peer.setPrivateKey(event.keys.ec2.privateJwk.d, "base64url");
  same.ecdh = [ecdh.getPublicKey("hex"), ecdh.getPublicKey("base64", "compressed"),
    ecdh.computeSecret(peer.getPublicKey()).toString("hex"), peer.computeSecret(ecdh.getPublicKey("hex"), "hex", "hex"),
    hex(crypto.diffieHellman({ privateKey: crypto.createPrivateKey(ec.privatePem),
      publicKey: crypto.createPublicKey(event.keys.ec2.publicPem) })),
    attempt(() => ecdh.computeSecret(Buffer.alloc(65, 4))), attempt(() => crypto.createECDH("nope"))];
  same.certificate = crypto.createPublicKey(event.certificate).export({ format: "jwk" }); // its SubjectPublicKeyInfo
  // RSA PKCS#1 v1.5 and Ed25519 signatures are deterministic
  same.signatures = [crypto.createSign("RSA-SHA256").update("payload").sign(rsa.privatePem, "base64"),
    crypto.sign("sha512", Buffer.from("payload"), rsa.privatePem).toString("base64"),
    crypto.sign(null, Buffer.from("payload"), ed.privatePem).toString("base64"),
    hex(crypto.privateEncrypt(rsa.privatePem, Buffer.from("raw")))];
  same.verified = [
    crypto.createVerify("sha256").update("payload").verify(ec.publicPem, event.signatures.ec, "base64"),
    crypto.createVerify("sha256").update("tampered").verify(ec.publicPem, event.signatures.ec, "base64"),
    crypto.verify("sha256", Buffer.from("payload"), { key: rsa.publicPem, padding: crypto.constants.RSA_PKCS1_PSS_PADDING },
      Buffer.from(event.signatures.pss, "base64")),
    crypto.privateDecrypt(rsa.privatePem, Buffer.from(event.signatures.oaep, "base64")).toString()];
  const made = {
    ecdsa: crypto.createSign("sha384").update("payload").sign(ec.privatePem, "base64"),
    p1363: crypto.sign("sha256", Buffer.from("payload"), { key: ec.privatePem, dsaEncoding: "ieee-p1363" }).toString("base64"),
    pss: crypto.sign("sha256", Buffer.from("payload"), { key: rsa.privatePem, padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
      saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST }).toString("base64"),
    oaep: crypto.publicEncrypt({ key: rsa.publicPem, oaepHash: "sha256" }, Buffer.from("secret")).toString("base64"),
  };
  const pair = crypto.generateKeyPairSync("rsa", { modulusLength: 1024 });
  const ecPair = crypto.generateKeyPairSync("ec", { namedCurve: "P-256", publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" } });
  made.generated = { rsaPublic: pair.publicKey.export({ type: "spki", format: "pem" }),
    rsaSig: crypto.sign("sha256", Buffer.from("payload"), pair.privateKey).toString("base64"),
    ecPublic: ecPair.publicKey, ecSig: crypto.sign("sha256", Buffer.from("payload"), ecPair.privateKey).toString("base64") };
  return { same, made };
};
