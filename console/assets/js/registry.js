// The key registry (ledger/registry.go), replayed from the genesis entry and the
// registry acts an evidence bundle carries: which key could sign what, and when. The
// rules are the Go ledger's, one for one.

import { isObject, unknownMember } from './strictjson.js';
import { parsePublicKeyPEM } from './sm2.js';

export const REGISTRY_STREAM = 'ledger/keys';
export const TYPE_INITIALIZED = 'ledger.initialized.v1';
export const TYPE_KEY_REGISTERED = 'key.registered.v1';
export const TYPE_KEY_ROTATED = 'key.rotated.v1';
export const TYPE_KEY_REVOKED = 'key.revoked.v1';

export const ROLE_LEDGER = 'ledger';
export const ROLE_ROOT = 'root';
export const ROLE_INSTITUTION = 'institution';

/** A refusal by the registry's rules; code is the Go Problem's code. */
export class RegistryError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** isName: ^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$ */
export const isName = (s) => typeof s === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/.test(s);

function validName(v, field) {
  if (v === '' || v === undefined) throw new RegistryError('missing_field', `${field}: required field is missing`);
  if (!isName(v)) throw new RegistryError('bad_name', `${field}: must be 1–128 characters of [A-Za-z0-9._:@-], starting with a letter or digit`);
}

// strictUnmarshal into a struct of string fields.
function payloadOf(p, fields, optional = []) {
  if (!isObject(p)) throw new RegistryError('wrong_type', 'submission.payload: must be an object');
  const bad = unknownMember(p, [...fields, ...optional]);
  if (bad !== null) throw new RegistryError('unknown_field', `submission.payload.${bad}: unknown field`);
  const out = {};
  for (const f of [...fields, ...optional]) {
    const v = p[f];
    if (v === undefined || v === null) { out[f] = ''; continue; }
    if (typeof v !== 'string') throw new RegistryError('wrong_type', `submission.payload.${f}: must be a string`);
    out[f] = v;
  }
  return out;
}

function key(pem, field) {
  try {
    return parsePublicKeyPEM(pem);
  } catch (e) {
    throw new RegistryError('bad_key', `${field}: ${e.message}`);
  }
}

/** The key registry as of some position. */
export class Registry {
  /** Founds the registry from the genesis submission (ledger.GenesisRegistry). */
  static genesis(s) {
    if (s.type !== TYPE_INITIALIZED || s.stream !== REGISTRY_STREAM) {
      throw new RegistryError('bad_genesis', `entry 0 must be ${TYPE_INITIALIZED} on stream ${REGISTRY_STREAM}`);
    }
    const p = payloadOf(s.payload, ['origin', 'authority', 'ledger_key', 'root_key']);
    const lk = key(p.ledger_key, 'submission.payload.ledger_key');
    const rk = key(p.root_key, 'submission.payload.root_key');
    if (p.origin === '' || /[\n\r\t ]/.test(p.origin)) throw new RegistryError('bad_origin', 'origin must be one line without spaces');
    validName(p.authority, 'submission.payload.authority');
    if (lk.id === rk.id) throw new RegistryError('bad_key', 'the root key must differ from the ledger key');
    if (s.actor.key_id !== lk.id || s.actor.institution !== p.authority) {
      throw new RegistryError('wrong_signer', 'genesis must be signed by the ledger key on behalf of the authority');
    }
    const r = new Registry();
    r.origin = p.origin;
    r.authority = p.authority;
    r.ledgerKey = lk.id;
    r.rootKey = rk.id;
    r.keys = new Map([
      [lk.id, { key: lk, institution: p.authority, person: '', role: ROLE_LEDGER, registeredAt: 0n, revoked: false, revokedAt: 0n }],
      [rk.id, { key: rk, institution: p.authority, person: '', role: ROLE_ROOT, registeredAt: 0n, revoked: false, revokedAt: 0n }],
    ]);
    return r;
  }

  /** Who may sign s: the key's record, or a RegistryError (Registry.Authorize). */
  authorize(s) {
    const k = this.keys.get(s.actor.key_id);
    if (!k) throw new RegistryError('unknown_key', 'no key with this id is registered');
    if (k.revoked) throw new RegistryError('key_revoked', `the key was revoked at seq ${k.revokedAt}`);
    if (k.institution !== s.actor.institution) throw new RegistryError('key_not_bound', 'the key is registered to another institution');
    if (k.person !== '' && k.person !== s.actor.person) throw new RegistryError('key_not_bound', 'the key is registered to another person of the institution');
    const registryType = s.type === TYPE_INITIALIZED || s.type.startsWith('key.');
    if (registryType !== (s.stream === REGISTRY_STREAM)) {
      throw new RegistryError('bad_stream', `key registry acts, and only they, go on stream ${REGISTRY_STREAM}`);
    }
    let allowed = false;
    switch (k.role) {
      case ROLE_LEDGER: allowed = s.type.startsWith('ledger.') && s.type !== TYPE_INITIALIZED; break;
      case ROLE_ROOT: allowed = s.type.startsWith('key.') || s.type.startsWith('institution.'); break;
      case ROLE_INSTITUTION: allowed = !s.type.startsWith('key.') && !s.type.startsWith('ledger.') && !s.type.startsWith('institution.'); break;
    }
    if (!allowed) throw new RegistryError('type_not_allowed', `a ${k.role} key may not sign ${s.type}`);
    return k;
  }

  _newKey(id, pem, field) {
    const k = key(pem, field + 'public_key');
    if (k.id !== id) throw new RegistryError('key_id_mismatch', `${field}key_id: key_id does not match the public key (${k.id})`);
    if (this.keys.has(id)) throw new RegistryError('key_exists', `${field}key_id: a key with this id is already registered`);
    return k;
  }

  /** Folds an authorised registry act at seq (BigInt) into the registry (Registry.Apply). */
  apply(seq, s) {
    switch (s.type) {
      case TYPE_KEY_REGISTERED: {
        const p = payloadOf(s.payload, ['key_id', 'institution', 'public_key'], ['person']);
        const k = this._newKey(p.key_id, p.public_key, 'submission.payload.');
        validName(p.institution, 'submission.payload.institution');
        if (p.person !== '') validName(p.person, 'submission.payload.person');
        this.keys.set(k.id, { key: k, institution: p.institution, person: p.person, role: ROLE_INSTITUTION, registeredAt: seq, revoked: false, revokedAt: 0n });
        break;
      }
      case TYPE_KEY_ROTATED: {
        const p = payloadOf(s.payload, ['key_id', 'new_key_id', 'new_public_key']);
        const old = this.keys.get(p.key_id);
        if (!old || old.revoked) throw new RegistryError('unknown_key', 'no active key with this id');
        if (old.role === ROLE_LEDGER) throw new RegistryError('bad_key', 'the ledger key is not rotated through the registry');
        const k = this._newKey(p.new_key_id, p.new_public_key, 'submission.payload.new_');
        old.revoked = true;
        old.revokedAt = seq;
        this.keys.set(k.id, { key: k, institution: old.institution, person: old.person, role: old.role, registeredAt: seq, revoked: false, revokedAt: 0n });
        if (old.role === ROLE_ROOT) this.rootKey = k.id;
        break;
      }
      case TYPE_KEY_REVOKED: {
        const p = payloadOf(s.payload, ['key_id', 'reason']);
        const k = this.keys.get(p.key_id);
        if (!k || k.revoked) throw new RegistryError('unknown_key', 'no active key with this id');
        if (k.role !== ROLE_INSTITUTION) throw new RegistryError('bad_key', 'the root and ledger keys are rotated, not revoked');
        if (p.reason.trim() === '') throw new RegistryError('missing_field', 'submission.payload.reason: required field is missing');
        k.revoked = true;
        k.revokedAt = seq;
        break;
      }
    }
  }
}
