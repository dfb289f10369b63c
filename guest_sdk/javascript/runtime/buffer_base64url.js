// Buffer's "base64url" encoding (RFC 4648 section 5, unpadded), which Node has and unenv's
// Buffer (feross/buffer) refuses as an unknown encoding: JWT and JWK code reads and writes
// it (aws-jwt-verify, jwks-rsa, node-jose). Decoding is base64's (which already accepts
// "-" and "_"); encoding is base64's with the URL alphabet and no padding.
import { Buffer } from "unenv/node/buffer";

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
