// Node's Buffer where unenv's (feross/buffer) falls short:
// - the "base64url" encoding (RFC 4648 section 5, unpadded), which it refuses as an unknown
//   encoding: JWT and JWK code reads and writes it (aws-jwt-verify, jwks-rsa, node-jose).
//   Decoding is base64's (which already accepts "-" and "_"); encoding is base64's with the
//   URL alphabet and no padding;
// - Node's per-encoding methods, latin1Slice/utf8Write and the like, which parsers call
//   for speed (busboy, so multer and the multipart parsers of Lambda handlers);
// - no TYPED_ARRAY_SUPPORT flag: libraries read it as "this is the browser polyfill"
//   (@exodus/bytes, which jsdom loads, refuses to run on it).
import { Buffer } from "unenv/node/buffer";

delete Buffer.TYPED_ARRAY_SUPPORT;

const isUrl = (enc) => typeof enc === "string" && enc.toLowerCase() === "base64url";
const plain = (enc) => (isUrl(enc) ? "base64" : enc);

const { from, byteLength, isEncoding } = Buffer;
const { toString, write } = Buffer.prototype;

Buffer.from = function (value, encodingOrOffset, length) {
  return typeof value === "string" && isUrl(encodingOrOffset) ? from.call(this, value, "base64")
    : from.call(this, value, encodingOrOffset, length);
};
Buffer.byteLength = (string, enc) => byteLength(string, plain(enc));
Buffer.isEncoding = (enc) => isUrl(enc) || isEncoding(enc);
Buffer.prototype.toString = function (enc, start, end) {
  if (!isUrl(enc)) return toString.call(this, enc, start, end);
  return toString.call(this, "base64", start, end).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
};
Buffer.prototype.write = function (string, ...rest) {
  return write.call(this, string, ...rest.map(plain));
};

for (const enc of ["latin1", "utf8", "ascii", "hex", "base64", "base64url", "ucs2"]) {
  Buffer.prototype[`${enc}Slice`] ??= function (start = 0, end = this.length) { return this.toString(enc, start, end); };
  Buffer.prototype[`${enc}Write`] ??= function (string, offset = 0, length = this.length - offset) {
    return this.write(string, offset, length, enc);
  };
}
