// Byte helpers for the console's own verifier: strict base64 and hex (one spelling per
// value, as the ledger's Go decoders require), UTF-8, concatenation and comparison.
// Written here, with no library, so that what the browser checks does not depend on
// code fetched from anywhere.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64REV = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64REV[B64.charCodeAt(i)] = i;

/** Thrown for input that is not in the one accepted spelling. */
export class FormatError extends Error {}

/**
 * Decodes standard padded base64 (RFC 4648 §4) strictly: no whitespace, padding only at
 * the end, zero padding bits — the spelling Go's base64.StdEncoding.Strict() accepts.
 */
export function b64decode(s) {
  if (typeof s !== 'string' || s.length % 4 !== 0) throw new FormatError('not padded base64');
  let pad = 0;
  if (s.endsWith('==')) pad = 2;
  else if (s.endsWith('=')) pad = 1;
  const n = (s.length / 4) * 3 - pad;
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const last = i + 4 === s.length;
    const v = [0, 0, 0, 0];
    for (let j = 0; j < 4; j++) {
      const c = s.charCodeAt(i + j);
      if (last && c === 61 && j >= 4 - pad) { v[j] = 0; continue; }
      const d = c < 128 ? B64REV[c] : -1;
      if (d < 0) throw new FormatError('invalid base64 character');
      v[j] = d;
    }
    const w = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    if (last && pad === 2 && (w & 0xffff) !== 0) throw new FormatError('non-zero base64 padding bits');
    if (last && pad === 1 && (w & 0xff) !== 0) throw new FormatError('non-zero base64 padding bits');
    out[o++] = (w >>> 16) & 0xff;
    if (o < n) out[o++] = (w >>> 8) & 0xff;
    if (o < n) out[o++] = w & 0xff;
  }
  return out;
}

/** Encodes bytes as standard padded base64. */
export function b64encode(b) {
  let s = '';
  let i = 0;
  for (; i + 3 <= b.length; i += 3) {
    const w = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += B64[w >>> 18] + B64[(w >>> 12) & 63] + B64[(w >>> 6) & 63] + B64[w & 63];
  }
  if (b.length - i === 1) {
    const w = b[i] << 16;
    s += B64[w >>> 18] + B64[(w >>> 12) & 63] + '==';
  } else if (b.length - i === 2) {
    const w = (b[i] << 16) | (b[i + 1] << 8);
    s += B64[w >>> 18] + B64[(w >>> 12) & 63] + B64[(w >>> 6) & 63] + '=';
  }
  return s;
}

const HEX = '0123456789abcdef';

/** Lowercase hex of bytes. */
export function hex(b) {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  return s;
}

/** Decodes lowercase hex only (the ledger writes hashes in exactly that form). */
export function unhex(s) {
  if (typeof s !== 'string' || s.length % 2 !== 0) throw new FormatError('not hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = HEX.indexOf(s[2 * i]);
    const lo = HEX.indexOf(s[2 * i + 1]);
    if (hi < 0 || lo < 0) throw new FormatError('not lowercase hex');
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** A 32-byte hash from 64 lowercase hex digits. */
export function parseHash(s) {
  if (typeof s !== 'string' || s.length !== 64) throw new FormatError('a hash is 64 lowercase hex digits');
  return unhex(s);
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of a string. */
export function utf8(s) { return enc.encode(s); }

/** The string of UTF-8 bytes; throws on invalid UTF-8. */
export function fromUtf8(b) { return dec.decode(b); }

/** Concatenates byte arrays. */
export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Whether two byte arrays are equal. */
export function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** Index of the first occurrence of needle in hay from start, or -1. */
export function indexOf(hay, needle, start = 0) {
  outer: for (let i = start; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Index of the last occurrence of needle in hay, or -1. */
export function lastIndexOf(hay, needle) {
  outer: for (let i = hay.length - needle.length; i >= 0; i--) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Big-endian unsigned integer of bytes, as a BigInt. */
export function toBigInt(b) {
  let v = 0n;
  for (let i = 0; i < b.length; i++) v = (v << 8n) | BigInt(b[i]);
  return v;
}

/** n as a big-endian byte array of length len. */
export function fromBigInt(n, len) {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) { out[i] = Number(n & 0xffn); n >>= 8n; }
  return out;
}
