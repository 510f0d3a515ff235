// Ledger entries (docs/formats.md §1), read as ledger.ParseEntry reads them: the sealed
// envelope around the actor's signed submission bytes, which are sliced out of the
// entry, never re-encoded.

import { b64encode, fromUtf8, hex, indexOf, parseHash, utf8, FormatError } from './bytes.js';
import { parse, isObject, uint, unknownMember } from './strictjson.js';

/** Positions and versions must be exact in RFC 8785 numbers. */
export const MAX_SAFE_SEQ = 1n << 53n;

const MARKER = utf8(',"submission":');

/** Why entry bytes are not a valid record. */
export class EntryError extends Error {}

function str(v, what) {
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new EntryError(`${what} must be a string`);
  return v;
}

// encoding/json decodes []byte with base64.StdEncoding (not strict): newlines skipped,
// padding bits ignored. The canonical check refuses any spelling but the one written.
function looseB64(s) {
  const t = s.replace(/[\r\n]/g, '');
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) throw new EntryError('signature is not base64');
  const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const out = [];
  let acc = 0, bits = 0;
  for (const c of t.replace(/=+$/, '')) {
    acc = (acc << 6) | alpha.indexOf(c);
    bits += 6;
    if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 0xff); }
  }
  return Uint8Array.from(out);
}

/**
 * Decodes a submission's bytes (strictly: exact member names, no duplicates) into
 * {id, stream, type, occurred_at, actor: {institution, person, key_id}, payload,
 * payloadText, expected_version}. payload is the strict parse (numbers as JNum).
 */
export function parseSubmission(bytes) {
  let text;
  try {
    text = fromUtf8(bytes);
  } catch {
    throw new EntryError("entry's submission is not valid UTF-8");
  }
  let v;
  try {
    v = parse(text);
  } catch (e) {
    throw new EntryError("entry's submission is not valid: " + e.message);
  }
  if (!isObject(v)) throw new EntryError("entry's submission is not an object");
  const bad = unknownMember(v, ['id', 'stream', 'type', 'occurred_at', 'actor', 'payload', 'expected_version']);
  if (bad !== null) throw new EntryError(`entry's submission has an unknown member ${JSON.stringify(bad)}`);
  const actor = v.actor === undefined ? Object.create(null) : v.actor;
  if (!isObject(actor)) throw new EntryError("entry's submission: actor must be an object");
  const badA = unknownMember(actor, ['institution', 'person', 'key_id']);
  if (badA !== null) throw new EntryError(`entry's submission: actor has an unknown member ${JSON.stringify(badA)}`);
  const s = {
    id: str(v.id, 'id'),
    stream: str(v.stream, 'stream'),
    type: str(v.type, 'type'),
    occurred_at: str(v.occurred_at, 'occurred_at'),
    actor: { institution: str(actor.institution, 'actor.institution'), person: str(actor.person, 'actor.person'), key_id: str(actor.key_id, 'actor.key_id') },
    payload: v.payload === undefined ? null : v.payload,
    expected_version: null,
  };
  if (v.expected_version !== undefined && v.expected_version !== null) {
    const ev = uint(v.expected_version);
    if (ev === null) throw new EntryError("entry's submission: expected_version must be a non-negative integer");
    s.expected_version = ev;
  }
  return s;
}

/**
 * Parses canonical entry bytes: {seq, recorded_at, stream_version, prev_hash, signature,
 * submission, submissionRaw, bytes}. Throws EntryError for anything that is not a
 * record. It checks structure, not trust.
 */
export function parseEntry(bytes) {
  let text;
  try {
    text = fromUtf8(bytes);
  } catch {
    throw new EntryError('entry is not valid UTF-8');
  }
  let v;
  try {
    v = parse(text);
  } catch (e) {
    throw new EntryError('entry is not a valid record: ' + e.message);
  }
  if (!isObject(v)) throw new EntryError('entry is not a JSON object');
  const bad = unknownMember(v, ['prev_hash', 'recorded_at', 'seq', 'signature', 'stream_version', 'submission']);
  if (bad !== null) throw new EntryError(`entry has an unknown member ${JSON.stringify(bad)}`);
  const seq = v.seq === undefined ? undefined : uint(v.seq);
  const ver = v.stream_version === undefined ? undefined : uint(v.stream_version);
  if (seq === null || ver === null) throw new EntryError('entry: seq and stream_version must be non-negative integers');
  const rec = str(v.recorded_at, 'recorded_at');
  const sigText = str(v.signature, 'signature');
  let prev = new Uint8Array(32);
  if (v.prev_hash !== undefined) {
    try {
      prev = parseHash(str(v.prev_hash, 'prev_hash'));
    } catch (e) {
      throw new EntryError('entry: prev_hash: ' + e.message);
    }
  }
  const sig = looseB64(sigText);
  if (seq === undefined || ver === undefined || rec === '' || sig.length === 0 || v.submission === undefined) {
    throw new EntryError('entry lacks a required member');
  }
  if (seq > MAX_SAFE_SEQ || ver > MAX_SAFE_SEQ) throw new EntryError('entry position out of range');
  const i = indexOf(bytes, MARKER);
  if (i < 0 || bytes[bytes.length - 1] !== 0x7d) throw new EntryError('entry is not in canonical form');
  const raw = bytes.subarray(i + MARKER.length, bytes.length - 1);
  const ws = (c) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  if (raw.length === 0 || ws(raw[0]) || ws(raw[raw.length - 1])) throw new EntryError('entry is not in canonical form');
  try {
    parse(fromUtf8(raw));
  } catch {
    throw new EntryError('entry is not in canonical form');
  }
  const submission = parseSubmission(raw);
  return { seq, recorded_at: rec, stream_version: ver, prev_hash: prev, signature: sig, submission, submissionRaw: raw, bytes };
}

// RFC 3339 as Go's time.Parse(time.RFC3339Nano, …) reads it.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

/** Whether s is an RFC 3339 timestamp Go would parse. */
export function isRFC3339(s) {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number);
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59) return false;
  const days = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  if (d < 1 || d > days) return false;
  if (m[8] !== 'Z' && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return true;
}

/**
 * Whether the entry's bytes are exactly what the ledger seals for its fields (an entry
 * that decodes but was re-encoded differently is not the signed record).
 */
export function isCanonical(e) {
  if (!isRFC3339(e.recorded_at)) return false;
  const head = '{"prev_hash":"' + hex(e.prev_hash) + '","recorded_at":"' + e.recorded_at + '","seq":' + e.seq.toString() +
    ',"signature":"' + b64encode(e.signature) + '","stream_version":' + e.stream_version.toString() + ',"submission":';
  const h = utf8(head);
  if (h.length + e.submissionRaw.length + 1 !== e.bytes.length) return false;
  for (let i = 0; i < h.length; i++) if (h[i] !== e.bytes[i]) return false;
  return true;
}

/** The China (UTC+8) calendar day of an RFC 3339 timestamp, YYYY-MM-DD, or "". */
export function chinaDay(ts) {
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return '';
  return new Date(t + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

export { FormatError };
