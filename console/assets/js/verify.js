// One act checked in the browser: what GET /v1/events/{id} answers, checked against
// the ledger key and the actor's key without trusting the server for anything else.
// Every check runs and is reported; the first that fails names the verdict.

import { sm3 } from './sm3.js';
import { b64decode, equal, hex, parseHash } from './bytes.js';
import { openCheckpoint } from './note.js';
import { verifyInclusion } from './merkle.js';
import { parseEntry, isCanonical } from './entry.js';
import { parsePublicKeyPEM } from './sm2.js';

/** The checks, in the order a verdict names the first failure. */
export const CHECKS = ['entry_hash', 'entry_form', 'checkpoint', 'inclusion', 'actor_key', 'signature'];

/**
 * Verifies an event answer ev ({seq, hash, entry (base64), tree_size, inclusion_proof,
 * checkpoint}) against the ledger ({origin, key: PublicKey}) and the actor's registered
 * key (the body of GET /v1/keys/{key_id}, or null when it could not be fetched).
 *
 * Returns {intact, failed, checks: {id: {ok, detail}}, entry, checkpoint}. detail is a
 * code with values for the page to word in either language.
 */
export function verifyEvent(ev, ledger, actorKey) {
  const checks = {};
  const pass = (id, detail = {}) => { checks[id] = { ok: true, detail }; };
  const fail = (id, code, extra = {}) => { checks[id] = { ok: false, detail: { code, ...extra } }; };
  let entryBytes = null, e = null, c = null;
  const seq = BigInt(ev.seq ?? -1);

  // 1. SM3 of the entry bytes is the hash given.
  try {
    entryBytes = b64decode(ev.entry);
    const got = sm3(entryBytes);
    let want = null;
    try { want = parseHash(ev.hash); } catch { want = null; }
    if (want && equal(got, want)) pass('entry_hash', { hash: hex(got) });
    else fail('entry_hash', 'hash_mismatch', { got: hex(got), want: String(ev.hash) });
  } catch (err) {
    fail('entry_hash', 'bad_encoding', { message: err.message });
  }

  // 2. The bytes are a sealed entry, at the position claimed.
  if (entryBytes) {
    try {
      e = parseEntry(entryBytes);
      if (!isCanonical(e)) fail('entry_form', 'not_canonical');
      else if (e.seq !== seq) fail('entry_form', 'bad_seq', { got: e.seq.toString(), want: seq.toString() });
      else pass('entry_form', { seq: e.seq.toString() });
    } catch (err) {
      e = null;
      fail('entry_form', 'malformed', { message: err.message });
    }
  } else fail('entry_form', 'no_entry');

  // 3. The checkpoint is signed by the ledger key under its origin and covers the entry.
  try {
    c = openCheckpoint(ev.checkpoint, ledger.origin, ledger.key);
    if (c.size !== BigInt(ev.tree_size) || seq >= c.size) fail('checkpoint', 'does_not_cover', { size: c.size.toString(), seq: seq.toString() });
    else pass('checkpoint', { size: c.size.toString(), root: hex(c.root), origin: c.origin, keyId: ledger.key.id });
  } catch (err) {
    c = null;
    fail('checkpoint', 'bad_signature', { message: err.message });
  }

  // 4. The inclusion proof leads from the entry to the checkpoint's root.
  if (entryBytes && c) {
    try {
      const proof = (ev.inclusion_proof || []).map(parseHash);
      verifyInclusion(entryBytes, seq, c.size, proof, c.root);
      pass('inclusion', { size: c.size.toString(), steps: proof.length });
    } catch (err) {
      fail('inclusion', 'bad_proof', { message: err.message });
    }
  } else fail('inclusion', 'unchecked');

  // 5. The actor's key: its PEM hashes to the key ID the actor signed with, and the
  // registry (as served) binds it to the actor when the act was recorded.
  let key = null;
  if (!e) fail('actor_key', 'unchecked');
  else if (!actorKey) fail('actor_key', 'unavailable');
  else {
    try {
      key = parsePublicKeyPEM(actorKey.public_key);
      const a = e.submission.actor;
      const reg = actorKey.registered_at === undefined ? null : BigInt(actorKey.registered_at);
      const rev = actorKey.revoked_at === undefined || actorKey.revoked_at === null ? null : BigInt(actorKey.revoked_at);
      if (key.id !== a.key_id) fail('actor_key', 'id_mismatch', { got: key.id, want: a.key_id });
      else if (actorKey.institution !== a.institution) fail('actor_key', 'other_institution', { got: actorKey.institution, want: a.institution });
      else if (actorKey.person && actorKey.person !== a.person) fail('actor_key', 'other_person', { got: actorKey.person, want: a.person });
      else if (reg !== null && reg >= seq && seq !== 0n) fail('actor_key', 'not_yet_registered', { at: reg.toString() });
      else if (rev !== null && rev < seq) fail('actor_key', 'revoked', { at: rev.toString() });
      else pass('actor_key', { keyId: key.id, institution: actorKey.institution, person: actorKey.person || '', role: actorKey.role, registeredAt: reg === null ? '' : reg.toString(), revokedAt: rev === null ? '' : rev.toString() });
    } catch (err) {
      key = null;
      fail('actor_key', 'bad_key', { message: err.message });
    }
  }

  // 6. The actor's SM2 signature over the exact submission bytes.
  if (e && key && key.id === e.submission.actor.key_id) {
    if (key.verify(e.submissionRaw, e.signature)) pass('signature', { keyId: key.id });
    else fail('signature', 'bad_signature');
  } else fail('signature', 'unchecked');

  const failed = CHECKS.find((id) => !checks[id].ok) || null;
  return { intact: failed === null, failed, checks, entry: e, checkpoint: c };
}
