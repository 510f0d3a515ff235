// SM3 (GB/T 32905-2016, GM/T 0004-2012), the ledger's hash: entry hashes, Merkle nodes
// and the digest SM2 signs. Written from the standard; checked against the Go
// implementation by the console's differential test.

const IV = [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];

const rotl = (x, n) => ((x << n) | (x >>> (32 - n))) >>> 0;

// T_j rotated by j mod 32, precomputed for the 64 rounds.
const TJ = new Uint32Array(64);
for (let j = 0; j < 64; j++) TJ[j] = rotl(j < 16 ? 0x79cc4519 : 0x7a879d8a, j % 32);

const W = new Uint32Array(68);

function compress(v, block, off) {
  for (let j = 0; j < 16; j++) {
    const i = off + 4 * j;
    W[j] = ((block[i] << 24) | (block[i + 1] << 16) | (block[i + 2] << 8) | block[i + 3]) >>> 0;
  }
  for (let j = 16; j < 68; j++) {
    const x = W[j - 16] ^ W[j - 9] ^ rotl(W[j - 3], 15);
    W[j] = (x ^ rotl(x, 15) ^ rotl(x, 23) ^ rotl(W[j - 13], 7) ^ W[j - 6]) >>> 0;
  }
  let a = v[0], b = v[1], c = v[2], d = v[3], e = v[4], f = v[5], g = v[6], h = v[7];
  for (let j = 0; j < 64; j++) {
    const a12 = rotl(a, 12);
    const ss1 = rotl((a12 + e + TJ[j]) >>> 0, 7);
    const ss2 = ss1 ^ a12;
    const ff = j < 16 ? a ^ b ^ c : (a & b) | (a & c) | (b & c);
    const gg = j < 16 ? e ^ f ^ g : (e & f) | (~e & g);
    const tt1 = (ff + d + ss2 + (W[j] ^ W[j + 4])) >>> 0;
    const tt2 = (gg + h + ss1 + W[j]) >>> 0;
    d = c;
    c = rotl(b, 9);
    b = a;
    a = tt1;
    h = g;
    g = rotl(f, 19);
    f = e;
    e = (tt2 ^ rotl(tt2, 9) ^ rotl(tt2, 17)) >>> 0;
  }
  v[0] ^= a; v[1] ^= b; v[2] ^= c; v[3] ^= d;
  v[4] ^= e; v[5] ^= f; v[6] ^= g; v[7] ^= h;
}

/** An incremental SM3 hash: update(bytes)… then digest(). */
export class SM3 {
  constructor() {
    this.v = Uint32Array.from(IV);
    this.buf = new Uint8Array(64);
    this.n = 0; // bytes in buf
    this.len = 0; // total bytes
  }

  /** Adds bytes (a Uint8Array) to the message; returns this. */
  update(data) {
    let i = 0;
    this.len += data.length;
    if (this.n > 0) {
      const take = Math.min(64 - this.n, data.length);
      this.buf.set(data.subarray(0, take), this.n);
      this.n += take;
      i = take;
      if (this.n < 64) return this;
      compress(this.v, this.buf, 0);
      this.n = 0;
    }
    for (; i + 64 <= data.length; i += 64) compress(this.v, data, i);
    if (i < data.length) {
      this.buf.set(data.subarray(i), 0);
      this.n = data.length - i;
    }
    return this;
  }

  /** The 32-byte digest. The hash must not be used afterwards. */
  digest() {
    const bits = this.len * 8;
    const padLen = this.n < 56 ? 56 - this.n : 120 - this.n;
    const pad = new Uint8Array(padLen + 8);
    pad[0] = 0x80;
    const hi = Math.floor(bits / 0x100000000);
    const lo = bits >>> 0;
    pad[padLen] = hi >>> 24; pad[padLen + 1] = hi >>> 16; pad[padLen + 2] = hi >>> 8; pad[padLen + 3] = hi;
    pad[padLen + 4] = lo >>> 24; pad[padLen + 5] = lo >>> 16; pad[padLen + 6] = lo >>> 8; pad[padLen + 7] = lo;
    this.update(pad);
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
      out[4 * i] = this.v[i] >>> 24;
      out[4 * i + 1] = this.v[i] >>> 16;
      out[4 * i + 2] = this.v[i] >>> 8;
      out[4 * i + 3] = this.v[i];
    }
    return out;
  }
}

/** SM3 of the concatenation of the given byte arrays. */
export function sm3(...parts) {
  const h = new SM3();
  for (const p of parts) h.update(p);
  return h.digest();
}
