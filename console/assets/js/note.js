// C2SP signed notes and tlog checkpoints with SM2 (docs/formats.md §3–4), as
// golang.org/x/mod/sumdb/note opens them and ledger.OpenCheckpoint reads them.

import { sha256 } from './sha256.js';
import { b64decode, concat, fromUtf8, utf8, FormatError } from './bytes.js';

/** The signed-note algorithm string of checkpoint signatures. */
export const LEDGER_ALG = 'sm2-sm3/gmt-0009-default-uid';
/** The signed-note algorithm string of witness cosignatures. */
export const COSIG_ALG = 'cosignature/v1-sm2-sm3/gmt-0009-default-uid';

/** SHA-256(name ‖ 0x0A ‖ 0xFF ‖ alg ‖ PKIX DER)[:4] as an unsigned 32-bit number. */
export function otherAlgKeyHash(name, alg, key) {
  const memo = name + '\n' + alg + '\n' + key.id;
  let v = keyHashes.get(memo);
  if (v === undefined) {
    const h = sha256(utf8(name), Uint8Array.of(0x0a, 0xff), utf8(alg), key.der);
    v = ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
    if (keyHashes.size >= 1024) keyHashes.clear();
    keyHashes.set(memo, v);
  }
  return v;
}

const keyHashes = new Map();

/** A verifier of checkpoint signatures by the ledger key under its origin. */
export function ledgerVerifier(origin, key) {
  return { name: origin, hash: otherAlgKeyHash(origin, LEDGER_ALG, key), verify: (msg, sig) => key.verify(msg, sig) };
}

/** A verifier of a witness's cosignatures (8-byte time ‖ DER over the cosigned message). */
export function witnessVerifier(name, key) {
  return {
    name,
    hash: otherAlgKeyHash(name, COSIG_ALG, key),
    verify: (msg, sig) => {
      if (sig.length < 9) return false;
      let t = 0n;
      for (let i = 0; i < 8; i++) t = (t << 8n) | BigInt(sig[i]);
      return key.verify(concat(utf8('cosignature/v1\ntime ' + t.toString() + '\n'), msg), sig.subarray(8));
    },
  };
}

/** Why a note does not open. */
export class NoteError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const SIG_PREFIX = '\u2014 ';

function isValidName(name) {
  return name !== '' && !/\s/u.test(name) && !name.includes('+');
}

/**
 * Opens a signed note (text: string) against verifiers, as note.Open does: valid UTF-8
 * without control characters other than newline; text, a blank line, signature lines
 * "— name base64"; each signature by a known verifier must verify, at least one must.
 * Returns {text, sigs, unverified}.
 */
export function openNote(msgBytes, verifiers) {
  let msg;
  try {
    msg = fromUtf8(msgBytes);
  } catch {
    throw new NoteError('malformed', 'malformed note: not UTF-8');
  }
  for (const ch of msg) {
    const c = ch.codePointAt(0);
    if (c < 0x20 && c !== 0x0a) throw new NoteError('malformed', 'malformed note: control character');
  }
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed', 'malformed note: no signature block');
  const text = msg.slice(0, split + 1);
  let sigs = msg.slice(split + 2);
  if (sigs.length === 0 || !sigs.endsWith('\n')) throw new NoteError('malformed', 'malformed note: signature block');
  const textBytes = utf8(text);
  const out = { text, sigs: [], unverified: [] };
  const seen = new Set();
  const seenUnverified = new Set();
  let num = 0;
  while (sigs.length > 0) {
    const i = sigs.indexOf('\n');
    let line = sigs.slice(0, i);
    sigs = sigs.slice(i + 1);
    if (!line.startsWith(SIG_PREFIX)) throw new NoteError('malformed', 'malformed note: a signature line does not start with "— "');
    line = line.slice(SIG_PREFIX.length);
    const sp = line.indexOf(' ');
    const name = sp < 0 ? line : line.slice(0, sp);
    const b64 = sp < 0 ? '' : line.slice(sp + 1);
    let sig;
    try {
      sig = lenientB64(b64);
    } catch {
      sig = null;
    }
    if (!sig || !isValidName(name) || b64 === '' || sig.length < 5) throw new NoteError('malformed', 'malformed note: signature line');
    const hash = ((sig[0] << 24) | (sig[1] << 16) | (sig[2] << 8) | sig[3]) >>> 0;
    if (++num > 100) throw new NoteError('malformed', 'malformed note: too many signatures');
    const v = verifiers.find((x) => x.name === name && x.hash === hash);
    if (!v) {
      if (!seenUnverified.has(line)) {
        seenUnverified.add(line);
        out.unverified.push({ name, hash });
      }
      continue;
    }
    const key = name + '+' + hash;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!v.verify(textBytes, sig.subarray(4))) throw new NoteError('bad_signature', `invalid signature by ${name}`);
    out.sigs.push({ name, hash });
  }
  if (out.sigs.length === 0) throw new NoteError('unverified', 'no signature by a known key');
  return out;
}

// note.Open decodes with base64.StdEncoding (padding bits need not be zero).
function lenientB64(s) {
  try {
    return b64decode(s);
  } catch (e) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw e;
    const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const t = s.replace(/=+$/, '');
    const out = [];
    let acc = 0, bits = 0;
    for (const c of t) {
      acc = (acc << 6) | alpha.indexOf(c);
      bits += 6;
      if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 0xff); }
    }
    return Uint8Array.from(out);
  }
}

/** The signature lines of a note: what follows its last blank line, line by line. */
export function noteSignatureLines(text) {
  const i = text.lastIndexOf('\n\n');
  if (i < 0) return [];
  const out = [];
  let rest = text.slice(i + 2);
  while (rest.length > 0) {
    const j = rest.indexOf('\n');
    if (j < 0) { out.push(rest); break; }
    out.push(rest.slice(0, j + 1));
    rest = rest.slice(j + 1);
  }
  return out;
}

/** Reads a checkpoint body: exactly origin, decimal size and base64 root lines. */
export function parseCheckpointBody(text) {
  const lines = text.split('\n');
  if (lines.length !== 4 || lines[3] !== '') throw new FormatError('checkpoint body must be exactly origin, size and root lines');
  if (!/^(0|[1-9][0-9]*)$/.test(lines[1]) || BigInt(lines[1]) >= 1n << 64n) throw new FormatError(`checkpoint size ${JSON.stringify(lines[1])} is not a decimal number`);
  let root;
  try {
    root = b64decode(lines[2]);
  } catch {
    root = null;
  }
  if (!root || root.length !== 32) throw new FormatError('checkpoint root is not a base64 SM3 hash');
  return { origin: lines[0], size: BigInt(lines[1]), root };
}

/**
 * Verifies a checkpoint note signed by the ledger key under origin (ledger.OpenCheckpoint):
 * returns {origin, size, root, cosigners: [names of other verified signers]}.
 */
export function openCheckpoint(noteText, origin, ledgerKey, extra = []) {
  const n = openNote(utf8(noteText), [ledgerVerifier(origin, ledgerKey), ...extra]);
  const c = parseCheckpointBody(n.text);
  if (c.origin !== origin) throw new FormatError(`checkpoint origin ${JSON.stringify(c.origin)}, want ${JSON.stringify(origin)}`);
  return { ...c, note: n };
}
