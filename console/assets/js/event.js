// An act's page: GET /v1/events/{id} shown readably, from the entry bytes the browser
// has verified itself (not from the server's decoded copy), with every check named.

import { h, replace } from './dom.js';
import { t, lang } from './i18n.js';
import * as api from './api.js';
import { errorBox, notice, title, kv, mono, catalogue, describe, ledgerTrust, announce } from './ui.js';
import { verifyEvent, CHECKS } from './verify.js';
import { parseEntry, chinaDay } from './entry.js';
import { b64decode } from './bytes.js';
import { isObject, JNum } from './strictjson.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Answers already fetched in this page's life: switching the language re-renders
// without asking the server (and the audit log) again.
const events = new Map();

/** #/seq/N: finds the act at a position (reports name evidence by seq) and opens it. */
export async function seqPage(main, r, ctx) {
  replace(main, title(t('event_title')), h('p', { class: 'sub' }, t('loading')));
  const res = await api.get('/v1/proofs/inclusion', { seq: r.arg });
  const e = parseEntry(b64decode(res.entry));
  location.replace(ctx.href('event', e.submission.id));
}

/** Whether a payload value is an encrypted-field envelope (docs/privacy.md). */
function isEnvelope(v) {
  return isObject(v) && typeof v.enc === 'string' && typeof v.ct === 'string' && 'kid' in v;
}

function scalar(v) {
  if (v instanceof JNum) return v.raw;
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  return v;
}

// A payload as a nested table: encrypted fields said to be so, never shown as noise.
function payloadView(p) {
  if (Array.isArray(p)) {
    if (p.every((x) => !isObject(x) && !Array.isArray(x))) return h('span', { class: 'mono' }, p.map(scalar).join(', '));
    return h('ol', { class: 'plist' }, p.map((x) => h('li', null, payloadView(x))));
  }
  if (isEnvelope(p)) return h('span', { class: 'enc' }, t('payload_encrypted', String(p.subject || '')));
  if (isObject(p)) {
    return h('table', { class: 'kv payload' }, h('tbody', null, Object.keys(p).map((k) => h('tr', null, h('th', { scope: 'row' }, k), h('td', null, payloadView(p[k]))))));
  }
  return h('span', null, String(scalar(p)));
}

function detailText(id, d) {
  switch (id) {
    case 'entry_hash':
      if (d.code === 'hash_mismatch') return t('d_hash_mismatch', d.got, d.want);
      if (d.code === 'bad_encoding') return t('d_bad_encoding', d.message);
      return t('d_hash_ok', d.hash);
    case 'entry_form':
      if (d.code === 'not_canonical') return t('d_not_canonical');
      if (d.code === 'bad_seq') return t('d_bad_seq', d.got, d.want);
      if (d.code === 'malformed') return t('d_malformed', d.message);
      if (d.code === 'no_entry') return t('d_no_entry');
      return t('d_form_ok', d.seq);
    case 'checkpoint':
      if (d.code === 'does_not_cover') return t('d_does_not_cover', d.size, d.seq);
      if (d.code === 'bad_signature') return t('d_bad_signature_cp', d.message);
      return t('d_checkpoint_ok', d.origin, d.size, d.root, d.keyId);
    case 'inclusion':
      if (d.code === 'bad_proof') return t('d_bad_proof', d.message);
      if (d.code === 'unchecked') return t('d_unchecked');
      return t('d_inclusion_ok', d.size, d.steps);
    case 'actor_key':
      switch (d.code) {
        case 'id_mismatch': return t('d_id_mismatch', d.got, d.want);
        case 'other_institution': return t('d_other_institution', d.got, d.want);
        case 'other_person': return t('d_other_person', d.got, d.want);
        case 'not_yet_registered': return t('d_not_yet_registered', d.at);
        case 'revoked': return t('d_revoked', d.at);
        case 'unavailable': return t('d_unavailable');
        case 'bad_key': return t('d_bad_key', d.message);
        case 'unchecked': return t('d_unchecked');
      }
      return t('d_key_ok', d.keyId, d.institution, d.person ? t('d_key_person', d.person) : '', d.registeredAt || '0', d.revokedAt ? t('d_key_revoked_at', d.revokedAt) : '') + t('stop') + t('d_key_server');
    case 'signature':
      if (d.code === 'bad_signature') return t('d_bad_signature');
      if (d.code === 'unchecked') return t('d_unchecked');
      return t('d_sig_ok', d.keyId);
  }
  return '';
}

/** The verdict and the checks, as the page and the tests read them. */
export function verdictView(v) {
  const failedText = v.failed ? t('chk_' + v.failed) + ' — ' + detailText(v.failed, v.checks[v.failed].detail) : '';
  return h('section', { class: 'verification', 'aria-labelledby': 'verdict' },
    v.intact
      ? notice('good', h('p', { class: 'verdict', id: 'verdict', 'data-verdict': 'intact' }, '✔ ', t('verdict_intact')), h('p', { class: 'sub' }, t('verdict_intact_detail')))
      : notice('bad', h('p', { class: 'verdict', id: 'verdict', 'data-verdict': 'tampered', 'data-failed': v.failed }, '✘ ', t('verdict_tampered', failedText))),
    h('h2', null, t('checks_title')),
    h('ol', { class: 'checks', id: 'checks' }, CHECKS.map((id) => {
      const c = v.checks[id];
      return h('li', { class: c.ok ? 'ok' : 'fail', 'data-check': id, 'data-ok': String(c.ok) },
        h('span', { class: 'mark', 'aria-hidden': 'true' }, c.ok ? '✔' : '✘'),
        h('span', { class: 'check-name' }, t('chk_' + id)), ' ',
        h('span', { class: 'visually-hidden' }, c.ok ? t('ok') : t('failed')),
        h('div', { class: 'sub check-detail' }, detailText(id, c.detail)));
    })));
}

export async function eventPage(main, r, ctx) {
  const id = r.arg;
  replace(main, title(t('event_title')));
  if (!UUID.test(id)) {
    main.append(notice('bad', t('event_id_bad')));
    return;
  }
  const status = h('div', null, h('p', { class: 'sub' }, t('loading')));
  main.append(status);
  let ev = events.get(id);
  if (!ev) {
    ev = await api.request('/v1/events/' + id);
    events.set(id, ev);
  }
  if (!ctx.isCurrent()) return;
  const [cat, trust] = await Promise.all([catalogue().catch(() => null), ledgerTrust()]);
  // The actor's key is fetched by the key ID inside the entry bytes, which the checks
  // then compare with the key's own hash.
  let keyId = '';
  try {
    keyId = parseEntry(b64decode(ev.entry)).submission.actor.key_id;
  } catch {
    keyId = '';
  }
  let actorKey = null;
  if (/^[0-9a-f]{32}$/.test(keyId)) {
    try {
      actorKey = await api.cached('/v1/keys/' + keyId);
    } catch {
      actorKey = null;
    }
  }
  if (!ctx.isCurrent()) return;
  replace(status, notice('info', t('verifying')));
  const v = verifyEvent(ev, { origin: trust.origin, key: trust.key }, actorKey);
  announce(v.intact ? t('verdict_intact') : t('verdict_tampered', t('chk_' + v.failed)));

  const e = v.entry;
  const parts = [verdictView(v)];
  if (trust.mismatch) parts.unshift(notice('bad', t('pin_mismatch', trust.served.id, trust.pinned.id)));
  if (e) {
    const s = e.submission;
    const ct = cat && cat.get(s.type);
    const day = chinaDay(s.occurred_at);
    parts.push(h('section', { 'aria-labelledby': 'facts-title' },
      h('h2', { id: 'facts-title' }, t('facts_title'), t('colon'), describe(cat, s.type)),
      kv([
        [t('k_type'), mono(s.type)],
        ct ? [t('k_description'), lang() === 'en' ? ct.description_en : ct.description_zh] : null,
        ct && (ct.articles || []).length ? [t('k_articles'), (lang() === 'en' ? ct.articles_en : ct.articles).join(t('enum'))] : null,
        [t('k_actor'), h('span', null, mono(s.actor.institution), ' / ', mono(s.actor.person))],
        [t('k_key'), mono(s.actor.key_id)],
        [t('k_occurred'), h('span', null, s.occurred_at, t('k_day_cn', day))],
        [t('k_recorded'), h('span', null, e.recorded_at, t('k_day_cn', chinaDay(e.recorded_at)))],
        [t('k_stream'), mono(s.stream)],
        [t('k_stream_version'), e.stream_version.toString()],
        [t('k_seq'), e.seq.toString()],
        [t('k_id'), mono(s.id)],
        [t('k_hash'), mono(String(ev.hash))],
        [t('k_prev_hash'), mono(Array.from(e.prev_hash, (b) => b.toString(16).padStart(2, '0')).join(''))],
      ])));
    const plain = h('div', { id: 'plaintext' });
    const who = ctx.who || {};
    parts.push(h('section', { 'aria-labelledby': 'payload-title' },
      h('h2', { id: 'payload-title' }, t('payload_title')),
      payloadView(s.payload),
      hasEnvelope(s.payload) && who.decrypts !== false ? h('p', null, h('button', { type: 'button', class: 'secondary', id: 'show-plaintext', onclick: () => showPlain(id, plain) }, t('show_plaintext'))) : null,
      plain));
    const links = [];
    const res = isObject(s.payload) && typeof s.payload.resource === 'string' ? s.payload.resource : '';
    if (res) links.push(h('li', null, h('a', { href: ctx.href('custody', '', { resource: res }) }, t('link_custody', res))));
    links.push(h('li', null, h('a', { href: ctx.href('search', '', { person: s.actor.person }) }, t('link_person', s.actor.person))));
    links.push(h('li', null, h('a', { href: ctx.href('search', '', { stream: s.stream }) }, t('link_stream', s.stream))));
    parts.push(h('section', { 'aria-labelledby': 'links-title' }, h('h2', { id: 'links-title' }, t('links_title')), h('ul', { class: 'links' }, links)));
  }
  parts.push(h('section', { 'aria-labelledby': 'proof-title' },
    h('h2', { id: 'proof-title' }, t('proof_title')),
    kv([
      [t('k_ledger_key'), h('span', null, mono(trust.key.id), ' — ', trust.pinned ? t('pinned_key') : t('served_key'))],
      [t('k_tree_size'), String(ev.tree_size)],
      [t('k_checkpoint'), h('pre', { class: 'note' }, String(ev.checkpoint))],
      [t('k_proof'), h('ol', { class: 'proof mono' }, (ev.inclusion_proof || []).map((p) => h('li', null, p)))],
    ])));
  replace(status, ...parts);
}

function hasEnvelope(p) {
  if (isEnvelope(p)) return true;
  if (Array.isArray(p)) return p.some(hasEnvelope);
  if (isObject(p)) return Object.keys(p).some((k) => hasEnvelope(p[k]));
  return false;
}

async function showPlain(id, out) {
  replace(out, h('p', { class: 'sub' }, t('loading')));
  try {
    const p = await api.request('/v1/events/' + id + '/plaintext');
    replace(out, h('h3', null, t('plaintext_title')), h('p', { class: 'sub' }, t('plaintext_note')), payloadView(toStrict(p.payload)));
  } catch (e) {
    replace(out, errorBox(e));
  }
}

// JSON.parse values shown like strict ones (numbers as they are).
function toStrict(v) {
  if (Array.isArray(v)) return v.map(toStrict);
  if (v && typeof v === 'object') {
    const o = Object.create(null);
    for (const k of Object.keys(v)) o[k] = toStrict(v[k]);
    return o;
  }
  if (typeof v === 'number') return new JNum(String(v));
  return v;
}
