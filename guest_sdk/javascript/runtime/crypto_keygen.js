// Node's key generation: generateKeyPairSync/generateKeyPair for RSA (random primes by
// Miller-Rabin on BigInts, e = 65537 unless asked), EC (P-256/384/521, secp256k1) and
// Ed25519 (@noble/curves' random secret keys), generateKeySync for secret keys; and the
// modular arithmetic RSA needs (crypto_sign.js). The random source is WASI's, through
// crypto.getRandomValues.
import { Buffer } from "unenv/node/buffer";
import { ed25519 } from "./crypto_curves.js";
import { toBigInt } from "./crypto_der.js";
import { CURVES, CURVE_ALIASES, PrivateKeyObject, PublicKeyObject, SecretKeyObject, ecPrivate, invalidValue, keyData,
  nodeError, publicOf } from "./crypto_keys.js";

function randomBig(bitsWanted) {
  const bytes = new Uint8Array(Math.ceil(bitsWanted / 8));
  globalThis.crypto.getRandomValues(bytes);
  bytes[0] &= 0xff >> (bytes.length * 8 - bitsWanted);
  return toBigInt(bytes);
}

export function modPow(base, exp, mod) {
  let result = 1n;
  base %= mod;
  for (; exp > 0n; exp >>= 1n) {
    if (exp & 1n) result = (result * base) % mod;
    base = (base * base) % mod;
  }
  return result;
}

export function modInverse(a, m) {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

const SMALL_PRIMES = [];
for (let n = 3; n < 2000; n += 2) if (SMALL_PRIMES.every((p) => n % p)) SMALL_PRIMES.push(n);

function probablyPrime(n, rounds) {
  for (const p of SMALL_PRIMES) if (n % BigInt(p) === 0n) return n === BigInt(p);
  let d = n - 1n, s = 0;
  while (!(d & 1n)) { d >>= 1n; s++; }
  for (let i = 0; i < rounds; i++) {
    const a = 2n + (randomBig(n.toString(2).length - 1) % (n - 4n));
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let j = 1; j < s && composite; j++) {
      x = (x * x) % n;
      if (x === n - 1n) composite = false;
    }
    if (composite) return false;
  }
  return true;
}

function prime(bitLength, e) {
  for (;;) {
    // the top two bits set, so that p*q has the full modulus length; odd
    const c = randomBig(bitLength) | (3n << BigInt(bitLength - 2)) | 1n;
    if ((c - 1n) % e !== 0n && probablyPrime(c, 24)) return c;
  }
}

function rsaKey(modulusLength, e) {
  for (;;) {
    const p = prime(modulusLength - (modulusLength >> 1), e), q = prime(modulusLength >> 1, e);
    const n = p * q;
    if (p === q || n.toString(2).length !== modulusLength) continue;
    const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
    const d = modInverse(e, lambda);
    return { kind: "rsa", n, e, d, p, q, dp: d % (p - 1n), dq: d % (q - 1n), qi: modInverse(q, p) };
  }
}
function gcd(a, b) { while (b) [a, b] = [b, a % b]; return a; }

function generate(type, options = {}) {
  if (type === "rsa") {
    const { modulusLength, publicExponent = 0x10001 } = options;
    if (!Number.isInteger(modulusLength) || modulusLength < 512) throw invalidValue("options.modulusLength", modulusLength);
    return new PrivateKeyObject(rsaKey(modulusLength, BigInt(publicExponent)));
  }
  if (type === "ec") {
    const curve = CURVES[options.namedCurve] ? options.namedCurve : CURVE_ALIASES[options.namedCurve];
    if (!curve) throw invalidValue("options.namedCurve", options.namedCurve);
    return new PrivateKeyObject(ecPrivate(curve, CURVES[curve].impl.utils.randomSecretKey()));
  }
  if (type === "ed25519") {
    const d = Buffer.from(ed25519.utils.randomSecretKey());
    return new PrivateKeyObject({ kind: "ed25519", d, pub: Buffer.from(ed25519.getPublicKey(d)) });
  }
  throw nodeError(TypeError, `The argument 'type' must be a supported key type. Received '${type}'`,
    "ERR_INVALID_ARG_VALUE");
}

export function generateKeyPairSync(type, options = {}) {
  const privateKey = generate(type, options);
  const publicKey = new PublicKeyObject(publicOf(keyData(privateKey)));
  return {
    publicKey: options.publicKeyEncoding ? publicKey.export(options.publicKeyEncoding) : publicKey,
    privateKey: options.privateKeyEncoding ? privateKey.export(options.privateKeyEncoding) : privateKey,
  };
}

export function generateKeyPair(type, options, callback) {
  if (typeof options === "function") [options, callback] = [{}, options];
  let pair, error = null;
  try {
    pair = generateKeyPairSync(type, options);
  } catch (e) {
    error = e;
  }
  setTimeout(() => (error ? callback(error) : callback(null, pair.publicKey, pair.privateKey)), 0);
}

export function generateKeySync(type, { length } = {}) {
  const bytes = new Uint8Array(length / 8);
  globalThis.crypto.getRandomValues(bytes);
  return new SecretKeyObject(bytes);
}

