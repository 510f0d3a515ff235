// The ledger's identity and keys, the latest checkpoint verified in the browser, and
// pinning the ledger key so that later checks do not take the server's word for it.

import { h, replace } from './dom.js';
import { t } from './i18n.js';
import * as api from './api.js';
import { errorBox, notice, title, kv, mono, ledgerTrust, pin } from './ui.js';
import { openCheckpoint, otherAlgKeyHash, LEDGER_ALG } from './note.js';
import { hex } from './bytes.js';

export async function ledgerPage(main, r, ctx) {
  replace(main, title(t('ledger_title')), h('p', { class: 'lead' }, t('ledger_intro')));
  const trust = await ledgerTrust();
  const info = trust.info;
  let cp = null, cpErr = null, note = '';
  try {
    const resp = await api.request('/v1/checkpoint', { raw: true, accept: 'text/plain' });
    note = await resp.text();
    cp = openCheckpoint(note, trust.origin, trust.key);
  } catch (e) {
    cpErr = e;
  }
  if (!ctx.isCurrent()) return;
  const pinState = trust.mismatch
    ? notice('bad', t('pin_mismatch', trust.served.id, trust.pinned.id))
    : trust.pinned ? notice('good', t('pinned_now', trust.pinned.id)) : notice('warn', t('not_pinned'));
  const pinBtn = trust.pinned
    ? h('button', { type: 'button', class: 'secondary', id: 'unpin', onclick: () => { pin(trust.origin, null); ctx.go('ledger'); } }, t('unpin_button'))
    : h('button', { type: 'button', id: 'pin', onclick: () => { pin(trust.origin, trust.served); ctx.go('ledger'); } }, t('pin_button'));
  main.append(pinState, h('div', { class: 'actions' }, pinBtn),
    kv([
      [t('k_origin'), mono(info.origin)],
      [t('k_authority'), mono(info.authority)],
      [t('k_ledger_size'), String(info.size)],
      [t('k_ledger_key'), h('div', null, t('k_key_id'), ' ', mono(trust.served.id), h('div', { class: 'sub' }, t('k_note_key'), ' ',
        mono(otherAlgKeyHash(info.origin, LEDGER_ALG, trust.served).toString(16).padStart(8, '0'))), h('pre', { class: 'note' }, trust.served.pem()))],
      [t('k_root_key'), h('div', null, t('k_key_id'), ' ', mono(info.root_key.id), h('pre', { class: 'note' }, info.root_key.pem))],
    ]),
    h('h2', null, t('latest_checkpoint')),
    cp ? notice('good', t('cp_verified'), ' — ', t('k_size'), ' ', cp.size.toString(), t('comma'), t('k_root'), ' ', mono(hex(cp.root)))
      : cpErr && cpErr.status !== undefined ? errorBox(cpErr) : notice('bad', t('cp_failed', cpErr ? cpErr.message : '')),
    note ? h('pre', { class: 'note', id: 'checkpoint-text' }, note) : null);
}
