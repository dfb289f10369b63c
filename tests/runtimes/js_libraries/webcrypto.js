// WebCrypto (crypto.subtle) as handlers use it, run in the sandbox and by plain Node 20
// (tests/runtimes/test_js_libraries.py): every algorithm's import, export, sign/verify,
// encrypt/decrypt and derivation over keys Node made (the event), and jose, whose JWTs are
// all WebCrypto. Deterministic operations must give Node's bytes; randomised ones (RSA-PSS,
// ECDSA, RSA-OAEP) must verify or decrypt what Node made.
const jose = require("jose");

const { subtle } = globalThis.crypto;
const enc = (s) => new TextEncoder().encode(s);
const hex = (buf) => Buffer.from(buf).toString("hex");
const DATA = enc("hello lambda");
const attempt = async (fn) => { try { return await fn(); } catch (e) { return [e.name, e.message]; } };

exports.fixtures = () => {
  const crypto = require("crypto");
  const pair = (type, options) => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync(type, options);
    return { public: publicKey.export({ format: "jwk" }), private: privateKey.export({ format: "jwk" }),
      spki: publicKey.export({ format: "der", type: "spki" }).toString("base64") };
  };
  const rsa = pair("rsa", { modulusLength: 2048 });
  const ec = pair("ec", { namedCurve: "P-256" });
  const ec2 = pair("ec", { namedCurve: "P-256" });
  const ed = pair("ed25519");
  const rsaKey = crypto.createPrivateKey({ key: rsa.private, format: "jwk" });
  const ecKey = crypto.createPrivateKey({ key: ec.private, format: "jwk" });
  return {
    rsa, ec, ec2, ed,
    pss: crypto.sign("sha256", DATA, { key: rsaKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString("base64"),
    ecdsa: crypto.sign("sha256", DATA, { key: ecKey, dsaEncoding: "ieee-p1363" }).toString("base64"),
    oaep: crypto.publicEncrypt({ key: crypto.createPublicKey({ key: rsa.public, format: "jwk" }), oaepHash: "sha256",
      padding: crypto.constants.RSA_PKCS1_OAEP_PADDING }, DATA).toString("base64"),
  };
};

exports.handler = async (f) => {
  const b64 = (s) => Buffer.from(s, "base64");
  const out = {};
  const rs = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const rsaPriv = await subtle.importKey("jwk", f.rsa.private, rs, true, ["sign"]);
  const rsaPub = await subtle.importKey("spki", b64(f.rsa.spki), rs, true, ["verify"]);
  const sig = await subtle.sign(rs, rsaPriv, DATA);
  out.rs256 = [hex(sig), await subtle.verify(rs, rsaPub, sig, DATA), await subtle.verify(rs, rsaPub, sig, enc("other")),
    rsaPub.algorithm, rsaPriv.type, rsaPub.usages];
  const pss = { name: "RSA-PSS", hash: "SHA-256" };
  const pssPub = await subtle.importKey("jwk", f.rsa.public, pss, false, ["verify"]);
  out.pss = await subtle.verify({ name: "RSA-PSS", saltLength: 32 }, pssPub, b64(f.pss), DATA);
  const es = { name: "ECDSA", namedCurve: "P-256" };
  const ecPub = await subtle.importKey("jwk", f.ec.public, es, true, ["verify"]);
  const ecPriv = await subtle.importKey("jwk", f.ec.private, es, false, ["sign"]);
  const own = await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, ecPriv, DATA);
  out.ecdsa = [await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, ecPub, b64(f.ecdsa), DATA),
    await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, ecPub, own, DATA), own.byteLength,
    hex(await subtle.exportKey("raw", ecPub)), await subtle.exportKey("jwk", ecPub)];
  const edPriv = await subtle.importKey("jwk", f.ed.private, "Ed25519", false, ["sign"]);
  out.ed25519 = hex(await subtle.sign("Ed25519", edPriv, DATA));
  const hmac = await subtle.importKey("raw", enc("secret"), { name: "HMAC", hash: "SHA-256" }, true, ["sign", "verify"]);
  out.hmac = [hex(await subtle.sign("HMAC", hmac, DATA)), hmac.algorithm, await subtle.exportKey("jwk", hmac)];
  const aesKey = await subtle.importKey("raw", new Uint8Array(32).fill(7), "AES-GCM", false, ["encrypt", "decrypt"]);
  const iv = new Uint8Array(12).fill(1);
  const sealed = await subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc("aad") }, aesKey, DATA);
  let tampered;
  try { await subtle.decrypt({ name: "AES-GCM", iv }, aesKey, sealed); } catch (e) { tampered = e.name; }
  out.aesGcm = [hex(sealed), Buffer.from(await subtle.decrypt({ name: "AES-GCM", iv, additionalData: enc("aad") }, aesKey, sealed)).toString(), tampered];
  const cbc = await subtle.importKey("raw", new Uint8Array(16).fill(3), "AES-CBC", false, ["encrypt"]);
  out.aesCbc = hex(await subtle.encrypt({ name: "AES-CBC", iv: new Uint8Array(16) }, cbc, DATA));
  const oaepKey = await subtle.importKey("jwk", f.rsa.private, { name: "RSA-OAEP", hash: "SHA-256" }, false, ["decrypt"]);
  out.oaep = Buffer.from(await subtle.decrypt({ name: "RSA-OAEP" }, oaepKey, b64(f.oaep))).toString();
  const ecdh = { name: "ECDH", namedCurve: "P-256" };
  const mine = await subtle.importKey("jwk", f.ec.private, ecdh, false, ["deriveBits"]);
  const theirs = await subtle.importKey("jwk", f.ec2.public, ecdh, false, []);
  out.ecdh = hex(await subtle.deriveBits({ name: "ECDH", public: theirs }, mine, 256));
  const pw = await subtle.importKey("raw", enc("password"), "PBKDF2", false, ["deriveBits", "deriveKey"]);
  out.pbkdf2 = hex(await subtle.deriveBits({ name: "PBKDF2", salt: enc("salt"), iterations: 1000, hash: "SHA-256" }, pw, 256));
  const derived = await subtle.deriveKey({ name: "PBKDF2", salt: enc("salt"), iterations: 10, hash: "SHA-256" }, pw,
    { name: "AES-GCM", length: 128 }, true, ["encrypt"]);
  out.deriveKey = [derived.algorithm, hex(await subtle.exportKey("raw", derived))];
  const ikm = await subtle.importKey("raw", enc("ikm"), "HKDF", false, ["deriveBits"]);
  out.hkdf = hex(await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: enc("s"), info: enc("i") }, ikm, 128));
  out.digest = hex(await subtle.digest("SHA-256", DATA));
  const generated = await subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, true, ["sign", "verify"]);
  out.generated = [generated.publicKey.algorithm, generated.privateKey.usages, generated.publicKey.usages];
  let wrong;
  try { await subtle.importKey("jwk", f.ec.public, rs, false, ["verify"]); } catch (e) { wrong = e.name; }
  out.wrongKey = wrong;
  // what WebCrypto refuses: a signature that cannot be one verifies false; a key used for what
  // its usages, type or algorithm do not allow, and a usage its algorithm has not, throw
  const es256 = { name: "ECDSA", hash: "SHA-256" };
  const ecSig = b64(f.ecdsa), rsSig = new Uint8Array(sig);
  const edPub = await subtle.importKey("jwk", f.ed.public, "Ed25519", false, ["verify"]);
  const hmacSignOnly = await subtle.importKey("raw", enc("secret"), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const ecBoth = await subtle.importKey("jwk", f.ec.private, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  out.refused = {
    ecShort: await attempt(() => subtle.verify(es256, ecPub, ecSig.subarray(0, 63), DATA)),
    ecZero: await attempt(() => subtle.verify(es256, ecPub, new Uint8Array(64), DATA)),
    rsaShort: await attempt(() => subtle.verify(rs, rsaPub, rsSig.subarray(1), DATA)),
    edShort: await attempt(() => subtle.verify("Ed25519", edPub, new Uint8Array(10), DATA)),
    hmacNoVerify: await attempt(() => subtle.verify("HMAC", hmacSignOnly, new Uint8Array(32), DATA)),
    signWithPublic: await attempt(() => subtle.sign(es256, ecPub, DATA)),
    verifyWithSignKey: await attempt(() => subtle.verify(es256, ecBoth, ecSig, DATA)),
    wrongAlgorithm: await attempt(() => subtle.verify(rs, ecPub, ecSig, DATA)),
    privateForVerify: await attempt(async () => (await subtle.importKey("jwk", f.ec.private,
      { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"])).usages),
    hmacForEncrypt: await attempt(async () => (await subtle.importKey("raw", enc("k"), { name: "HMAC", hash: "SHA-256" },
      false, ["encrypt"])).usages),
    jwkExt: await attempt(async () => (await subtle.importKey("jwk", { kty: "oct", k: "c2VjcmV0", ext: false },
      { name: "HMAC", hash: "SHA-256" }, true, ["sign"])).extractable),
    jwkOps: await attempt(async () => (await subtle.importKey("jwk", { kty: "oct", k: "c2VjcmV0", key_ops: ["verify"] },
      { name: "HMAC", hash: "SHA-256" }, false, ["sign"])).usages),
    jwkUse: await attempt(async () => (await subtle.importKey("jwk", { ...f.rsa.public, use: "enc" }, rs, false,
      ["verify"])).usages),
    jwkAlg: await attempt(async () => (await subtle.importKey("jwk", { ...f.rsa.public, alg: "RS512" }, rs, false,
      ["verify"])).usages),
    jwkFine: await attempt(async () => (await subtle.importKey("jwk", { ...f.rsa.public, alg: "RS256", use: "sig",
      key_ops: ["verify"], ext: true }, rs, true, ["verify"])).usages),
    rawRsa: await attempt(() => subtle.exportKey("raw", rsaPub)),
    rawPrivate: await attempt(async () => (await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true,
      ["sign"])).privateKey).then((key) => attempt(() => subtle.exportKey("raw", key))),
    noUsages: await attempt(async () => (await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, []))
      .privateKey.usages),
  };
  // jose: a token Node's key signed (RS256, deterministic), verified with the JWK; HS256 and EdDSA
  const rsJose = await jose.importJWK(f.rsa.private, "RS256");
  const token = await new jose.SignJWT({ sub: "user-1" }).setProtectedHeader({ alg: "RS256", kid: "k1" })
    .setIssuedAt(1700000000).setExpirationTime(4100000000).sign(rsJose);
  const { payload, protectedHeader } = await jose.jwtVerify(token, await jose.importJWK(f.rsa.public, "RS256"));
  const hs = await new jose.SignJWT({ a: 1 }).setProtectedHeader({ alg: "HS256" }).setIssuedAt(1700000000).sign(enc("k".repeat(32)));
  let expired;
  try {
    await jose.jwtVerify(await new jose.SignJWT({}).setProtectedHeader({ alg: "HS256" }).setExpirationTime(1).sign(enc("k".repeat(32))),
      enc("k".repeat(32)));
  } catch (e) { expired = [e.code, e.message]; }
  const jwks = jose.createLocalJWKSet({ keys: [{ ...f.rsa.public, kid: "k1", alg: "RS256" }] });
  out.jose = [token, payload, protectedHeader, hs, expired, (await jose.jwtVerify(token, jwks)).payload.sub,
    await jose.calculateJwkThumbprint(f.rsa.public)];
  return out;
};
