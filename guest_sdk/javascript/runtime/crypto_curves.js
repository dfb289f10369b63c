// The elliptic curves of Node's crypto, from @noble/curves (audited, synchronous), built
// as the runtime is pre-initialized (see crypto_curves_preinit.js), so that a function's
// first signature does not build them.
import "./crypto_curves_preinit.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { ed25519 } from "@noble/curves/ed25519.js";

delete globalThis.crypto.getRandomValues; // the prototype's again: WASI's random source

export { p256, p384, p521, secp256k1, ed25519 };
