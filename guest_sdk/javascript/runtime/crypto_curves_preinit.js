// Imported by crypto_curves.js before @noble/curves: each curve, as it is built, calls the
// random source once to see that it works (it then blinds secret-key arithmetic), and
// while the runtime is pre-initialized (Wizer) WASI's random import cannot be called at
// all. Until crypto_curves.js restores it, getRandomValues hands back its array as given:
// only that probe's check of the result's shape sees it; noble draws its real random
// bytes from crypto.getRandomValues at each call, once the function runs.
globalThis.crypto.getRandomValues = (array) => array;
