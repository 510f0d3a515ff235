// RFC 6962 Merkle inclusion proofs with SM3 (docs/formats.md §2): leaf = SM3(0x00 ‖
// entry), node = SM3(0x01 ‖ left ‖ right). The check is the one of
// github.com/transparency-dev/merkle/proof, which the Go ledger uses.

import { sm3 } from './sm3.js';
import { equal } from './bytes.js';

const ZERO = Uint8Array.of(0);
const ONE = Uint8Array.of(1);

/** The Merkle leaf hash of an entry's bytes. */
export function leafHash(entry) { return sm3(ZERO, entry); }

/** The interior node over two children. */
export function nodeHash(l, r) { return sm3(ONE, l, r); }

function bitLen(x) {
  let n = 0;
  while (x > 0n) { n++; x >>= 1n; }
  return n;
}

function onesCount(x) {
  let n = 0;
  while (x > 0n) { n += Number(x & 1n); x >>= 1n; }
  return n;
}

/**
 * The root an inclusion proof leads to from leaf hash `leaf` at index in a tree of size
 * leaves (index and size as BigInt or Number). Throws Error for a proof of the wrong
 * length or an index beyond the tree.
 */
export function rootFromInclusionProof(index, size, leaf, proof) {
  index = BigInt(index);
  size = BigInt(size);
  if (index >= size) throw new Error(`index ${index} is beyond size ${size}`);
  if (leaf.length !== 32) throw new Error('leaf hash is not 32 bytes');
  const inner = bitLen(index ^ (size - 1n));
  const border = onesCount(index >> BigInt(inner));
  if (proof.length !== inner + border) throw new Error(`wrong proof size ${proof.length}, want ${inner + border}`);
  let h = leaf;
  for (let i = 0; i < inner; i++) {
    h = ((index >> BigInt(i)) & 1n) === 0n ? nodeHash(h, proof[i]) : nodeHash(proof[i], h);
  }
  for (let i = inner; i < proof.length; i++) h = nodeHash(proof[i], h);
  return h;
}

/** Throws Error unless the proof leads from the entry bytes at index to root. */
export function verifyInclusion(entry, index, size, proof, root) {
  for (const p of proof) if (p.length !== 32) throw new Error('a proof hash is not 32 bytes');
  const got = rootFromInclusionProof(index, size, leafHash(entry), proof);
  if (!equal(got, root)) throw new Error('the proof leads to another root');
}
