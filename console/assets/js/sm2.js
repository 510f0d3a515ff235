// SM2 signature verification (GB/T 32918.2, GM/T 0003.2) with SM3 and the GM/T 0009
// default user ID, over the recommended curve of GB/T 32918.5 (GM/T 0003.5), in plain
// BigInt arithmetic. Only verification: the console never holds a private key.
//
// It accepts exactly what the ledger's Go verifier accepts (held to it by the console's
// differential test): a DER SEQUENCE of two minimally encoded, non-negative INTEGERs r
// and s in [1, n-1], nothing after it, and a public key that is an uncompressed point on
// the curve in a PKIX SubjectPublicKeyInfo naming SM2.

import { sm3 } from './sm3.js';
import { b64decode, b64encode, fromBigInt, hex, toBigInt, utf8, FormatError } from './bytes.js';

// GB/T 32918.5-2017, the recommended 256-bit prime curve.
export const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
export const A = 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn;
export const B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;
export const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
export const GX = 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n;
export const GY = 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n;

/** The GM/T 0009 default signer identity, as every signature in the ledger uses. */
export const DEFAULT_UID = '1234567812345678';

const mod = (x) => { const r = x % P; return r < 0n ? r + P : r; };

function inv(a, m) {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return ((s0 % m) + m) % m;
}

// Points in Jacobian coordinates (X, Y, Z): x = X/Z², y = Y/Z³; Z = 0 is the identity.
const INF = Object.freeze({ X: 1n, Y: 1n, Z: 0n });

function dbl(p) {
  if (p.Z === 0n || p.Y === 0n) return INF;
  // dbl-2001-b, for a = -3.
  const delta = mod(p.Z * p.Z);
  const gamma = mod(p.Y * p.Y);
  const beta = mod(p.X * gamma);
  const alpha = mod(3n * (p.X - delta) * (p.X + delta));
  const X = mod(alpha * alpha - 8n * beta);
  const Z = mod((p.Y + p.Z) * (p.Y + p.Z) - gamma - delta);
  const Y = mod(alpha * (4n * beta - X) - 8n * gamma * gamma);
  return { X, Y, Z };
}

function add(p, q) {
  if (p.Z === 0n) return q;
  if (q.Z === 0n) return p;
  // add-2007-bl.
  const z1z1 = mod(p.Z * p.Z);
  const z2z2 = mod(q.Z * q.Z);
  const u1 = mod(p.X * z2z2);
  const u2 = mod(q.X * z1z1);
  const s1 = mod(p.Y * q.Z * z2z2);
  const s2 = mod(q.Y * p.Z * z1z1);
  const h = mod(u2 - u1);
  const r = mod(2n * (s2 - s1));
  if (h === 0n) return r === 0n ? dbl(p) : INF;
  const i = mod(4n * h * h);
  const j = mod(h * i);
  const v = mod(u1 * i);
  const X = mod(r * r - j - 2n * v);
  const Y = mod(r * (v - X) - 2n * s1 * j);
  const Z = mod(((p.Z + q.Z) * (p.Z + q.Z) - z1z1 - z2z2) * h);
  return { X, Y, Z };
}

function affineX(p) {
  const zi = inv(p.Z, P);
  return mod(p.X * zi * zi);
}

// Jacobian p plus affine q ({x, y}): madd-2007-bl.
function madd(p, q) {
  if (p.Z === 0n) return { X: q.x, Y: q.y, Z: 1n };
  const z1z1 = mod(p.Z * p.Z);
  const u2 = mod(q.x * z1z1);
  const s2 = mod(q.y * p.Z * z1z1);
  const h = mod(u2 - p.X);
  const r = mod(2n * (s2 - p.Y));
  if (h === 0n) return r === 0n ? dbl(p) : INF;
  const hh = mod(h * h);
  const i = 4n * hh;
  const j = mod(h * i);
  const v = mod(p.X * i);
  const X = mod(r * r - j - 2n * v);
  const Y = mod(r * (v - X) - 2n * p.Y * j);
  const Z = mod((p.Z + h) * (p.Z + h) - z1z1 - hh);
  return { X, Y, Z };
}

// table[i] = i·pt for i in 0..15: a 4-bit window.
function table(x, y) {
  const t = [INF, { X: x, Y: y, Z: 1n }];
  for (let i = 2; i < 16; i++) t.push(add(t[i - 1], t[1]));
  return t;
}

// k·Q by 4-bit windows over table(Q): for a key seen once or twice.
function mulWindow(k, qTable) {
  let acc = INF;
  for (let shift = 252n; shift >= 0n; shift -= 4n) {
    if (acc.Z !== 0n) acc = dbl(dbl(dbl(dbl(acc))));
    const d = Number((k >> shift) & 15n);
    if (d) acc = add(acc, qTable[d]);
  }
  return acc;
}

// A comb: comb[i][d] = d·16^i·Q in affine coordinates, i in 0..63, d in 1..15, so that
// k·Q is at most 64 mixed additions and no doubling. Built once for G, and for a key that
// signs often (the institution keys of a bundle): building costs a few verifications.
function comb(x, y) {
  const jac = [];
  let base = { X: x, Y: y, Z: 1n };
  for (let i = 0; i < 64; i++) {
    const row = [base];
    for (let d = 2; d <= 15; d++) row.push(add(row[d - 2], base));
    jac.push(row);
    base = dbl(dbl(dbl(dbl(base))));
  }
  // Montgomery's trick: one inversion for all 960 points.
  const flat = jac.flat();
  const prefix = new Array(flat.length);
  let acc = 1n;
  for (let i = 0; i < flat.length; i++) {
    prefix[i] = acc;
    acc = mod(acc * flat[i].Z);
  }
  let accInv = inv(acc, P);
  const aff = new Array(flat.length);
  for (let i = flat.length - 1; i >= 0; i--) {
    const zi = mod(accInv * prefix[i]);
    accInv = mod(accInv * flat[i].Z);
    const zi2 = mod(zi * zi);
    aff[i] = { x: mod(flat[i].X * zi2), y: mod(flat[i].Y * zi2 * zi) };
  }
  const out = [];
  for (let i = 0; i < 64; i++) out.push([null, ...aff.slice(i * 15, i * 15 + 15)]);
  return out;
}

function mulComb(k, c) {
  let acc = INF;
  for (let i = 0; i < 64; i++) {
    const d = Number((k >> BigInt(4 * i)) & 15n);
    if (d) acc = madd(acc, c[i][d]);
  }
  return acc;
}

let gComb = null;

// How many verifications a key goes through before it gets a comb of its own.
const COMB_AFTER = 3;

// The fixed DER prefix of an SM2 SubjectPublicKeyInfo with an uncompressed point:
// SEQUENCE { SEQUENCE { id-ecPublicKey, sm2p256v1 (1.2.156.10197.1.301) }, BIT STRING 04‖X‖Y }.
const SPKI_PREFIX = Uint8Array.from([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
  0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d, 0x03, 0x42, 0x00, 0x04,
]);

// Verdicts already reached, by key, digest and signature: a pure function's answers.
const seen = new Map();

/** An SM2 public key: its point, its PKIX DER, its key ID and its canonical PEM. */
export class PublicKey {
  constructor(x, y, der) {
    this.x = x;
    this.y = y;
    this.der = der;
    /** hex(SM3(PKIX DER))[:32], the ledger's key ID. */
    this.id = hex(sm3(der)).slice(0, 32);
    this._za = null;
    this._table = null;
    this._comb = null;
    this._uses = 0;
  }

  /** The PEM block exactly as Go's pem.EncodeToMemory writes it. */
  pem() {
    const b = b64encode(this.der);
    let s = '-----BEGIN PUBLIC KEY-----\n';
    for (let i = 0; i < b.length; i += 64) s += b.slice(i, i + 64) + '\n';
    return s + '-----END PUBLIC KEY-----\n';
  }

  /** ZA = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) for the default user ID. */
  za() {
    if (!this._za) {
      const id = utf8(DEFAULT_UID);
      this._za = sm3(Uint8Array.from([(id.length * 8) >> 8, (id.length * 8) & 0xff]), id,
        fromBigInt(A, 32), fromBigInt(B, 32), fromBigInt(GX, 32), fromBigInt(GY, 32),
        fromBigInt(this.x, 32), fromBigInt(this.y, 32));
    }
    return this._za;
  }

  /**
   * Whether sig (DER) is this key's SM2 signature over msg (bytes). The answer for a
   * (digest, signature) pair is remembered: checking one checkpoint for many entries, or
   * one bundle twice, costs one verification.
   */
  verify(msg, sig) {
    const rs = parseSignature(sig);
    if (!rs) return false;
    const [r, s] = rs;
    if (r < 1n || r >= N || s < 1n || s >= N) return false;
    const eb = sm3(this.za(), msg);
    const memo = this.id + hex(eb) + hex(sig);
    if (seen.has(memo)) return seen.get(memo);
    const e = toBigInt(eb);
    const t = (r + s) % N;
    let ok = false;
    if (t !== 0n) {
      if (!gComb) gComb = comb(GX, GY);
      let tq;
      if (++this._uses > COMB_AFTER) {
        if (!this._comb) this._comb = comb(this.x, this.y);
        tq = mulComb(t, this._comb);
      } else {
        if (!this._table) this._table = table(this.x, this.y);
        tq = mulWindow(t, this._table);
      }
      const pt = add(mulComb(s, gComb), tq);
      ok = pt.Z !== 0n && (e + affineX(pt)) % N === r;
    }
    if (seen.size >= 16384) seen.clear();
    seen.set(memo, ok);
    return ok;
  }

  /** Whether two keys are the same point. */
  equal(k) { return !!k && k.x === this.x && k.y === this.y; }
}

/** Reads a DER SubjectPublicKeyInfo holding an SM2 point; throws FormatError otherwise. */
export function parsePublicKeyDER(der) {
  if (der.length !== SPKI_PREFIX.length + 64) throw new FormatError('not an SM2 public key (PKIX, uncompressed point)');
  for (let i = 0; i < SPKI_PREFIX.length; i++) {
    if (der[i] !== SPKI_PREFIX[i]) throw new FormatError('not an SM2 public key (PKIX, uncompressed point)');
  }
  const x = toBigInt(der.subarray(27, 59));
  const y = toBigInt(der.subarray(59, 91));
  if (x >= P || y >= P || mod(y * y) !== mod(x * x * x + A * x + B)) throw new FormatError('the point is not on the SM2 curve');
  return new PublicKey(x, y, Uint8Array.from(der));
}

/**
 * Reads a PKIX "PUBLIC KEY" PEM block as Go's crypto.ParsePublicKeyPEM does: exactly one
 * block, no headers, only whitespace around it, never a private key.
 */
export function parsePublicKeyPEM(text) {
  if (typeof text !== 'string') throw new FormatError('a public key must be PEM text');
  const known = parsed.get(text);
  if (known) return known;
  const k = parsePEM(text);
  if (parsed.size >= 512) parsed.clear();
  parsed.set(text, k);
  return k;
}

// Keys already read, by their PEM text: a key met again keeps its tables.
const parsed = new Map();

function parsePEM(text) {
  if (text.includes('PRIVATE KEY-----')) throw new FormatError('a private key where only a public key belongs');
  const m = /^[ \t\r\n]*-----BEGIN PUBLIC KEY-----[ \t]*\r?\n([\s\S]*?)\r?\n?-----END PUBLIC KEY-----[ \t]*(?:\r?\n([\s\S]*))?$/.exec(text);
  if (!m) throw new FormatError('want exactly one PKIX "PUBLIC KEY" PEM block');
  if (m[1].includes(':')) throw new FormatError('the "PUBLIC KEY" block has PEM headers');
  if (m[2] && m[2].trim() !== '') throw new FormatError('more after the "PUBLIC KEY" block');
  const body = m[1].replace(/[ \t\r\n]/g, '');
  let der;
  try {
    der = b64decode(body);
  } catch {
    der = lenientB64(body);
  }
  return parsePublicKeyDER(der);
}

// Go's pem.Decode uses non-strict base64: padding bits need not be zero.
function lenientB64(s) {
  const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  if (s.length % 4 !== 0) throw new FormatError('malformed PEM base64');
  const t = s.replace(/=+$/, '');
  if (s.length - t.length > 2 || /[^A-Za-z0-9+/]/.test(t)) throw new FormatError('malformed PEM base64');
  const out = [];
  let acc = 0, bits = 0;
  for (const c of t) {
    acc = (acc << 6) | alpha.indexOf(c);
    bits += 6;
    if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 0xff); }
  }
  return Uint8Array.from(out);
}

// readASN1 as golang.org/x/crypto/cryptobyte does it: one tag byte, a DER length
// (short form, or minimal long form of 1–4 bytes ≥ 128). Returns [content, rest] or null.
function readASN1(b, tag) {
  if (b.length < 2 || b[0] !== tag || (b[0] & 0x1f) === 0x1f) return null;
  let len, hdr;
  const lb = b[1];
  if ((lb & 0x80) === 0) {
    len = lb;
    hdr = 2;
  } else {
    const n = lb & 0x7f;
    if (n === 0 || n > 4 || b.length < 2 + n) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[2 + i];
    if (len < 128 || b[2] === 0) return null;
    hdr = 2 + n;
  }
  if (b.length - hdr < len) return null;
  return [b.subarray(hdr, hdr + len), b.subarray(hdr + len)];
}

// A non-negative, minimally encoded INTEGER's value, or null.
function readUint(b) {
  const r = readASN1(b, 0x02);
  if (!r) return null;
  const [v, rest] = r;
  if (v.length === 0) return null;
  if (v.length > 1 && ((v[0] === 0 && (v[1] & 0x80) === 0) || (v[0] === 0xff && (v[1] & 0x80) === 0x80))) return null;
  if (v[0] & 0x80) return null;
  return [toBigInt(v), rest];
}

/** [r, s] of a DER SM2 signature, or null when it is not strict DER. */
export function parseSignature(sig) {
  const seq = readASN1(sig, 0x30);
  if (!seq || seq[1].length !== 0) return null;
  const r = readUint(seq[0]);
  if (!r) return null;
  const s = readUint(r[1]);
  if (!s || s[1].length !== 0) return null;
  return [r[0], s[0]];
}
