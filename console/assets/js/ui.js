// Pieces every page uses: refusals shown in both languages, labelled fields, key–value
// tables, the event catalogue, the ledger's identity and the pinned ledger key.

import { h, nextId } from './dom.js';
import { t, lang, serverMessage } from './i18n.js';
import { cached } from './api.js';
import { parsePublicKeyPEM } from './sm2.js';

/**
 * A refusal or failure, worded for people: what it means in the current language, then
 * the server's own message and code, so that nothing the server said is hidden.
 */
export function errorBox(e) {
  const status = e && e.status;
  let key = 'err_other';
  if (status === 0) key = 'err_network';
  else if (status === 401) key = 'err_401';
  else if (status === 403) key = 'err_403';
  else if (status === 404) key = 'err_404';
  else if (status === 429) key = 'err_429';
  const msg = serverMessage(e) || (e && e.message) || '';
  return h('div', { class: 'notice bad', role: 'alert' },
    h('p', { class: 'notice-title' }, t(key)),
    msg ? h('p', null, t('err_server_said'), t('colon'), msg) : null,
    e && e.code ? h('p', { class: 'sub' }, t('err_code'), ': ', e.code, status ? ` (HTTP ${status})` : '') : null);
}

/** A notice box of a tone (good, bad, warn, info). */
export const notice = (tone, ...children) => h('div', { class: `notice ${tone}`, role: tone === 'bad' ? 'alert' : 'status' }, ...children);

/** A labelled control: the label's for is the control's id. */
export function field(label, control, hint) {
  const id = control.id || nextId();
  control.id = id;
  const hintId = hint ? id + '-hint' : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
}

/** A two-column table of [label, value] rows (values may be nodes). */
export function kv(rows) {
  return h('table', { class: 'kv' }, h('tbody', null, rows.filter(Boolean).map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, k), h('td', null, v)))));
}

/** A monospaced value that breaks anywhere (hashes, ids). */
export const mono = (s) => h('span', { class: 'mono' }, s);

/** Page heading, focusable so that route changes move the reader to it. */
export const title = (text) => h('h1', { tabindex: '-1', id: 'page-title' }, text);

/** The event catalogue by type name. */
export async function catalogue() {
  const c = await cached('/v1/event-types');
  const m = new Map();
  for (const ty of c.types || []) m.set(ty.name, ty);
  return m;
}

/** The catalogue's description of a type in the current language, or the type itself. */
export function describe(cat, type) {
  const e = cat && cat.get(type);
  if (!e) return type;
  return lang() === 'en' ? e.description_en || e.description_zh : e.description_zh || e.description_en;
}

const PIN = 'dataledger.console.pin.';

/**
 * The ledger as this browser should trust it: origin, the key to check checkpoints with
 * (the pinned one if any), the key the server serves, and whether they differ.
 */
export async function ledgerTrust() {
  const info = await cached('/v1/ledger');
  const served = parsePublicKeyPEM(info.ledger_key.pem);
  const pinnedPEM = localStorage.getItem(PIN + info.origin);
  let pinned = null;
  if (pinnedPEM) {
    try {
      pinned = parsePublicKeyPEM(pinnedPEM);
    } catch {
      pinned = null;
    }
  }
  return { info, origin: info.origin, served, pinned, key: pinned || served, mismatch: !!pinned && !pinned.equal(served) };
}

/** Pins (or with null, unpins) the ledger key for origin in this browser. */
export function pin(origin, key) {
  if (key) localStorage.setItem(PIN + origin, key.pem());
  else localStorage.removeItem(PIN + origin);
}

/** The tone class of a report's coded state. */
export function tone(kind, code) {
  switch (code) {
    case 'overdue': case 'missed': case 'escalated': case 'outside':
      return 'bad';
    case 'open':
      return kind === 'findings' ? 'bad' : 'info';
    case 'late': case 'met_late': case 'pending': case 'rectification_ordered': case 'unknown': case 'undetermined':
      return 'warn';
    case 'done': case 'met_on_time': case 'rectified': case 'within':
      return 'good';
    case 'active':
      return 'info';
  }
  return '';
}

/** The China (UTC+8) calendar day today, YYYY-MM-DD. */
export function todayCN() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

/** Announces text to screen readers through the live region. */
export function announce(text) {
  const s = document.getElementById('status');
  if (s) s.textContent = text;
}
