// Evidence bundles (aba-ledger-bundle/v1, docs/formats.md §5) verified in the browser,
// check for check as ledger/bundle.Verify does, first failure wins, so that an officer
// can check evidence without trusting the server that exported it. A failure is a
// Finding naming the member at fault ("entries[5].inclusion_proof") and a stable reason,
// the same as the Go verifier's (the console's differential test holds them equal).

import { sm3 } from './sm3.js';
import { b64decode, b64encode, equal, hex, parseHash, utf8 } from './bytes.js';
import { parse, isObject, uint, unknownMember } from './strictjson.js';
import { parsePublicKeyPEM } from './sm2.js';
import { ledgerVerifier, witnessVerifier, openNote, openCheckpoint, noteSignatureLines } from './note.js';
import { verifyInclusion } from './merkle.js';
import { parseEntry, isCanonical } from './entry.js';
import { Registry, REGISTRY_STREAM } from './registry.js';

export const FORMAT = 'aba-ledger-bundle/v1';
export const EXPORT_STREAM = 'ledger/exports';
export const TYPE_EXPORTED = 'ledger.bundle_exported.v1';

/** Why a bundle does not verify: the member at fault and a stable reason code. */
export class Finding extends Error {
  constructor(field, reason, detail) {
    super((field ? field + ': ' : '') + reason + (detail ? ': ' + detail : ''));
    this.field = field;
    this.reason = reason;
    this.detail = detail;
  }
}

/** The input is not JSON, or not a bundle of this format (ledgerctl exit 2, not tampering). */
export class Unsupported extends Error {}

const finding = (field, reason, detail = '') => new Finding(field, reason, detail);

function strictB64(v, path) {
  if (typeof v !== 'string') throw finding('', 'malformed', `${path}: wrong_type: must be a string`);
  try {
    return b64decode(v);
  } catch (e) {
    throw finding('', 'malformed', `${path}: not strict standard base64: ${e.message}`);
  }
}

function hashOf(v, path) {
  if (typeof v !== 'string') throw finding('', 'malformed', `${path}: wrong_type: must be a string`);
  try {
    return parseHash(v);
  } catch (e) {
    throw finding('', 'malformed', `${path}: ${e.message}`);
  }
}

function stringMap(v, path) {
  if (v === undefined || v === null) return new Map();
  if (!isObject(v)) throw finding('', 'malformed', `${path}: wrong_type: must be an object`);
  const m = new Map();
  for (const k of Object.keys(v)) {
    if (typeof v[k] !== 'string') throw finding('', 'malformed', `${path}.${k}: wrong_type: must be a string`);
    m.set(k, v[k]);
  }
  return m;
}

function str(v, path) {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw finding('', 'malformed', `${path}: wrong_type: must be a string`);
  return v;
}

function u64(v, path) {
  if (v === undefined || v === null) return 0n;
  const n = uint(v);
  if (n === null) throw finding('', 'malformed', `${path}: wrong_type: must be a non-negative integer`);
  return n;
}

/**
 * Reads a bundle from its text as bundle.Read does: not JSON or another format is
 * Unsupported; a bundle of this format that does not decode strictly is a Finding.
 */
export function readBundle(text) {
  let head;
  try {
    head = JSON.parse(text);
  } catch (e) {
    throw new Unsupported('not JSON: ' + e.message);
  }
  const format = head && typeof head === 'object' && !Array.isArray(head) ? head.format : undefined;
  if (format !== FORMAT) throw new Unsupported(`format ${JSON.stringify(format ?? '')}, want ${JSON.stringify(FORMAT)}`);
  let v;
  try {
    v = parse(text);
  } catch (e) {
    throw finding('', 'malformed', e.message);
  }
  const bad = unknownMember(v, ['format', 'checkpoint', 'keys', 'ledger_key', 'witnesses', 'export_seq', 'entries']);
  if (bad !== null) throw finding('', 'malformed', `${bad}: unknown_field`);
  const b = {
    format: str(v.format, 'format'),
    checkpoint: str(v.checkpoint, 'checkpoint'),
    keys: stringMap(v.keys, 'keys'),
    ledger_key: str(v.ledger_key, 'ledger_key'),
    witnesses: stringMap(v.witnesses, 'witnesses'),
    export_seq: u64(v.export_seq, 'export_seq'),
    entries: [],
  };
  if (v.entries !== undefined && v.entries !== null) {
    if (!Array.isArray(v.entries)) throw finding('', 'malformed', 'entries: wrong_type: must be an array');
    v.entries.forEach((e, i) => {
      const p = `entries[${i}]`;
      if (!isObject(e)) throw finding('', 'malformed', `${p}: wrong_type: must be an object`);
      const badE = unknownMember(e, ['seq', 'entry', 'hash', 'submission', 'signature', 'key_id', 'inclusion_proof']);
      if (badE !== null) throw finding('', 'malformed', `${p}.${badE}: unknown_field`);
      const proof = e.inclusion_proof ?? [];
      if (!Array.isArray(proof)) throw finding('', 'malformed', `${p}.inclusion_proof: wrong_type: must be an array`);
      b.entries.push({
        seq: u64(e.seq, p + '.seq'),
        entry: e.entry === undefined || e.entry === null ? new Uint8Array(0) : strictB64(e.entry, p + '.entry'),
        hash: e.hash === undefined || e.hash === null ? new Uint8Array(32) : hashOf(e.hash, p + '.hash'),
        submission: e.submission === undefined || e.submission === null ? new Uint8Array(0) : strictB64(e.submission, p + '.submission'),
        signature: e.signature === undefined || e.signature === null ? new Uint8Array(0) : strictB64(e.signature, p + '.signature'),
        key_id: str(e.key_id, p + '.key_id'),
        inclusion_proof: proof.map((h, j) => hashOf(h, `${p}.inclusion_proof[${j}]`)),
      });
    });
  }
  return b;
}

// parseKeys: each key must be exactly the canonical PEM of its key.
function parseKeys(m, field, check) {
  const out = new Map();
  for (const [id, text] of m) {
    let k;
    try {
      k = parsePublicKeyPEM(text);
    } catch (e) {
      throw finding(`${field}.${id}`, 'bad_key', e.message);
    }
    if (k.pem() !== text) throw finding(`${field}.${id}`, 'bad_key', 'not the canonical PEM encoding of the key');
    if (check) check(id, k);
    out.set(id, k);
  }
  return out;
}

function openBundleCheckpoint(text, lk, wits, rep) {
  const bad = (reason, detail) => finding('checkpoint', reason, detail);
  const nl = text.indexOf('\n');
  const origin = nl < 0 ? text : text.slice(0, nl);
  const lines = noteSignatureLines(text);
  if (lines.length === 0) throw bad('malformed', 'no signature lines');
  const seen = new Set();
  for (const l of lines) {
    const ok = l.startsWith('\u2014 ');
    const rest = ok ? l.slice(2).replace(/\n$/, '') : '';
    const sp = rest.indexOf(' ');
    const name = sp < 0 ? rest : rest.slice(0, sp);
    const b64 = sp < 0 ? '' : rest.slice(sp + 1);
    let raw = null;
    try {
      raw = b64decode(b64);
    } catch {
      raw = null;
    }
    if (!ok || sp < 0 || !raw || raw.length < 5 || b64encode(raw) !== b64) {
      throw bad('malformed', `signature line ${JSON.stringify(l.trim())} is not in canonical form`);
    }
    const id = name + '+' + hex(raw.subarray(0, 4));
    if (seen.has(id)) throw bad('malformed', `two signatures by ${id}`);
    seen.add(id);
  }
  const verifiers = [ledgerVerifier(origin, lk)];
  for (const n of [...wits.keys()].sort()) verifiers.push(witnessVerifier(n, wits.get(n)));
  let n;
  try {
    n = openNote(utf8(text), verifiers);
  } catch (e) {
    throw bad('bad_checkpoint_signature', e.message);
  }
  if (n.unverified.length > 0) throw bad('bad_checkpoint_signature', `signature by ${n.unverified[0].name} is by no key in the bundle`);
  let c;
  try {
    c = openCheckpoint(text, origin, lk);
  } catch (e) {
    throw bad('bad_checkpoint_signature', e.message);
  }
  for (const s of n.sigs) {
    if (s.name !== origin || s.hash !== verifiers[0].hash) rep.cosigners.push(s.name);
  }
  rep.origin = origin;
  return c;
}

function checkEntries(b, c) {
  if (b.entries.length === 0) throw finding('entries', 'empty', 'the bundle carries no entries');
  b.entries.forEach((be, i) => {
    if (!equal(sm3(be.entry), be.hash)) throw finding(`entries[${i}]`, 'bad_entry_hash', `seq ${be.seq}: SM3 of the entry bytes is not the hash given`);
  });
  const ents = [];
  b.entries.forEach((be, i) => {
    const field = `entries[${i}]`;
    if (i > 0 && be.seq <= b.entries[i - 1].seq) throw finding(field + '.seq', 'out_of_order', `seq ${be.seq} after ${b.entries[i - 1].seq}`);
    if (be.seq >= c.size) throw finding(field + '.seq', 'beyond_checkpoint', `seq ${be.seq} is not below the checkpoint's size ${c.size}`);
    let e;
    try {
      e = parseEntry(be.entry);
    } catch (err) {
      throw finding(field + '.entry', 'malformed_entry', err.message);
    }
    if (!isCanonical(e)) throw finding(field + '.entry', 'not_canonical', 'the entry bytes are not in the sealed canonical form');
    if (e.seq !== be.seq) throw finding(field + '.seq', 'bad_seq', `the entry says it is seq ${e.seq}`);
    if (!equal(e.submissionRaw, be.submission)) throw finding(field + '.submission', 'submission_mismatch', 'not the submission bytes inside the entry');
    if (!equal(e.signature, be.signature)) throw finding(field + '.signature', 'signature_mismatch', 'not the signature inside the entry');
    if (e.submission.actor.key_id !== be.key_id) throw finding(field + '.key_id', 'key_id_mismatch', `the submission names key ${e.submission.actor.key_id}`);
    try {
      verifyInclusion(be.entry, be.seq, c.size, be.inclusion_proof, c.root);
    } catch (err) {
      throw finding(field + '.inclusion_proof', 'bad_inclusion_proof', `seq ${be.seq} is not proven in the tree of ${c.size}: ${err.message}`);
    }
    if (i > 0 && be.seq === b.entries[i - 1].seq + 1n && !equal(e.prev_hash, b.entries[i - 1].hash)) {
      throw finding(field + '.entry', 'bad_prev_hash', `prev_hash is not the hash of seq ${be.seq - 1n}`);
    }
    ents.push(e);
  });
  return ents;
}

/**
 * Whether the entry at seq on stream is in the selection (Selection.Match): an explicit
 * list of positions (an export of a search's results) is the selection itself;
 * otherwise the stream and the seq range, each if given.
 */
export function selectionMatch(sel, seq, stream) {
  if (sel.seqs.length > 0) {
    let lo = 0, hi = sel.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sel.seqs[mid] < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo < sel.seqs.length && sel.seqs[lo] === seq;
  }
  if (sel.stream && stream !== sel.stream) return false;
  if (sel.from !== null && seq < sel.from) return false;
  if (sel.to !== null && seq > sel.to) return false;
  return true;
}

// The export act's payload, read as encoding/json.Unmarshal reads ExportPayload: members
// it does not know are ignored, a member of the wrong type makes it unreadable (null).
function exportPayload(p) {
  if (!isObject(p)) return null;
  const s = p.selection;
  const sel = { stream: '', from: null, to: null, seqs: [], query: {} };
  if (s !== undefined && s !== null) {
    if (!isObject(s)) return null;
    if (s.stream !== undefined && s.stream !== null) {
      if (typeof s.stream !== 'string') return null;
      sel.stream = s.stream;
    }
    for (const k of ['from', 'to']) {
      if (s[k] === undefined || s[k] === null) continue;
      const n = uint(s[k]);
      if (n === null) return null;
      sel[k] = n;
    }
    if (s.seqs !== undefined && s.seqs !== null) {
      if (!Array.isArray(s.seqs)) return null;
      for (const x of s.seqs) {
        const n = uint(x);
        if (n === null) return null;
        sel.seqs.push(n);
      }
    }
    if (s.query !== undefined && s.query !== null) {
      if (!isObject(s.query)) return null;
      for (const k of Object.keys(s.query)) {
        if (typeof s.query[k] !== 'string') return null;
        sel.query[k] = s.query[k];
      }
    }
  }
  const num = (v) => (v === undefined || v === null ? 0n : uint(v));
  const out = {
    format: typeof p.format === 'string' ? p.format : '',
    reason: typeof p.reason === 'string' ? p.reason : '',
    selection: sel,
    log_size: num(p.log_size),
    entries: num(p.entries),
    registry_version: num(p.registry_version),
  };
  if (out.log_size === null || out.entries === null || out.registry_version === null) return null;
  if (p.format !== undefined && typeof p.format !== 'string') return null;
  if (p.reason !== undefined && p.reason !== null && typeof p.reason !== 'string') return null;
  return out;
}

function replay(b, ents, keys, lk, rep) {
  if (b.entries[0].seq !== 0n) throw finding('entries[0]', 'missing_genesis', 'the bundle must carry the genesis entry (seq 0)');
  let reg;
  try {
    reg = Registry.genesis(ents[0].submission);
  } catch (e) {
    throw finding('entries[0].entry', 'bad_genesis', e.message);
  }
  if (reg.ledgerKey !== lk.id) throw finding('ledger_key', 'bad_genesis', `the genesis names ledger key ${reg.ledgerKey}`);
  if (reg.origin !== rep.origin) throw finding('checkpoint', 'bad_origin', `the genesis names origin ${JSON.stringify(reg.origin)}`);
  const expIdx = b.entries.findIndex((e) => e.seq >= b.export_seq);
  if (expIdx < 0 || b.entries[expIdx].seq !== b.export_seq) throw finding('export_seq', 'missing_export', `no entry at seq ${b.export_seq}`);
  const exp = ents[expIdx].submission;
  if (exp.type !== TYPE_EXPORTED || exp.stream !== EXPORT_STREAM || exp.actor.key_id !== lk.id) {
    throw finding('export_seq', 'not_an_export', `entry ${b.export_seq} is ${exp.type} on ${exp.stream}`);
  }
  const p = exportPayload(exp.payload);
  if (!p || p.format !== FORMAT) throw finding(`entries[${expIdx}].entry`, 'bad_export_payload', `the export event's payload is not a ${FORMAT} record`);
  if (p.log_size > b.export_seq) throw finding(`entries[${expIdx}].entry`, 'bad_export_payload', `log_size ${p.log_size} is beyond the export event`);

  const signers = new Array(ents.length);
  signers[0] = lk;
  let regSeen = 1n, selected = 0n;
  for (let i = 0; i < ents.length; i++) {
    const e = ents[i], be = b.entries[i];
    const field = `entries[${i}]`;
    const sub = e.submission;
    const inSel = be.seq < p.log_size && selectionMatch(p.selection, be.seq, sub.stream);
    if (inSel) {
      selected++;
      rep.selected.push(be.seq);
    }
    if (i === 0) {
      if (e.stream_version !== 1n) throw finding(field + '.entry', 'bad_genesis', `genesis stream version ${e.stream_version}`);
      const k = keys.get(be.key_id);
      if (!k || !k.equal(lk)) throw finding(field + '.key_id', 'bad_genesis', 'the genesis must be signed by the ledger key');
      continue;
    }
    const isReg = sub.stream === REGISTRY_STREAM;
    if (!inSel && !(isReg && be.seq < p.log_size) && be.seq !== b.export_seq) {
      throw finding(field, 'unexplained_entry', `seq ${be.seq} is neither selected, a registry act before the selection, nor the export`);
    }
    let ki;
    try {
      ki = reg.authorize(sub);
    } catch (err) {
      throw finding(field + '.entry', 'unauthorised', `seq ${be.seq}: ${err.message}`);
    }
    const k = keys.get(be.key_id);
    if (!k || !k.equal(ki.key)) throw finding(field + '.key_id', 'unknown_key', `seq ${be.seq}: key ${be.key_id} is missing from the bundle's keys or differs from the registered key`);
    signers[i] = ki.key;
    if (isReg) {
      regSeen++;
      if (e.stream_version !== regSeen) throw finding(field + '.entry', 'missing_registry_act', `registry act ${e.stream_version} follows ${regSeen - 1n}: an act in between is missing`);
      try {
        reg.apply(be.seq, sub);
      } catch (err) {
        throw finding(field + '.entry', 'bad_registry_act', `seq ${be.seq}: ${err.message}`);
      }
    }
  }
  let regBefore = 0n;
  for (let i = 0; i < ents.length; i++) {
    if (b.entries[i].seq < p.log_size && ents[i].submission.stream === REGISTRY_STREAM) regBefore++;
  }
  if (regBefore !== p.registry_version) {
    throw finding('entries', 'missing_registry_act', `the export event says ${p.registry_version} registry acts preceded it; the bundle carries ${regBefore}`);
  }
  if (selected !== p.entries) {
    throw finding('entries', 'incomplete_selection', `the export event says the selection held ${p.entries} entries; the bundle carries ${selected}`);
  }
  rep.export = { seq: b.export_seq, at: exp.occurred_at, institution: exp.actor.institution, by: exp.actor.person, reason: p.reason, selection: p.selection, entries: p.entries, logSize: p.log_size };
  return signers;
}

/**
 * Verifies a bundle (from readBundle). opts.ledgerKey pins the ledger key (a PublicKey);
 * opts.onProgress(done, total) is told how the signature checks go, between which the
 * page is given back (opts.yield false: never). Resolves to a report
 * {origin, size, root, ledgerKey, pinned, cosigners, entries, selected, export, parsed}
 * or rejects with a Finding.
 */
export async function verifyBundle(b, opts = {}) {
  if (b.format !== FORMAT) throw new Unsupported(`format ${JSON.stringify(b.format)}, want ${JSON.stringify(FORMAT)}`);
  const keys = parseKeys(b.keys, 'keys', (id, k) => {
    if (k.id !== id) throw finding('keys.' + id, 'key_id_mismatch', `the key's ID is ${k.id}`);
  });
  const wits = parseKeys(b.witnesses, 'witnesses', null);
  const lk = keys.get(b.ledger_key);
  if (!lk) throw finding('ledger_key', 'unknown_key', `ledger key ${JSON.stringify(b.ledger_key)} is not among the keys`);
  if (opts.ledgerKey && !opts.ledgerKey.equal(lk)) {
    throw finding('ledger_key', 'not_pinned_key', `the bundle's ledger key ${lk.id} is not the pinned key ${opts.ledgerKey.id}`);
  }
  const rep = { ledgerKey: lk.id, pinned: !!opts.ledgerKey, entries: b.entries.length, cosigners: [], selected: [], origin: '' };
  const c = openBundleCheckpoint(b.checkpoint, lk, wits, rep);
  rep.size = c.size;
  rep.root = c.root;
  const ents = checkEntries(b, c);
  const signers = replay(b, ents, keys, lk, rep);
  for (let i = 0; i < ents.length; i++) {
    if (i % 16 === 15) {
      if (opts.onProgress) opts.onProgress(i, ents.length);
      if (opts.yield !== false) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (!signers[i].verify(ents[i].submissionRaw, ents[i].signature)) {
      throw finding(`entries[${i}].signature`, 'bad_signature', `seq ${b.entries[i].seq}: the actor's SM2 signature does not verify over the submission`);
    }
  }
  rep.parsed = ents;
  return rep;
}
