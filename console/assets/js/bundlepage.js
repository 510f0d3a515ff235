// Verify an evidence bundle file entirely in the browser: nothing is uploaded.

import { h, replace } from './dom.js';
import { t } from './i18n.js';
import { field, notice, title, kv, mono, ledgerTrust, describe, catalogue, announce } from './ui.js';
import { readBundle, verifyBundle, Finding, Unsupported } from './bundle.js';
import { hex } from './bytes.js';
import { chinaDay } from './entry.js';

const MAX_LISTED = 300;

export async function bundlePage(main) {
  const input = h('input', { type: 'file', id: 'bundle-file', accept: '.json,application/json' });
  const pinBox = h('input', { type: 'checkbox', id: 'bundle-pin', checked: true });
  const out = h('div', { id: 'bundle-result', 'aria-live': 'polite' });
  input.addEventListener('change', () => {
    const f = input.files && input.files[0];
    if (f) f.text().then((text) => checkText(text, out, pinBox.checked));
  });
  replace(main, title(t('bundle_title')), h('p', { class: 'lead' }, t('bundle_intro')),
    h('div', { class: 'card' }, field(t('bundle_file'), input),
      h('div', { class: 'field check' }, pinBox, h('label', { for: 'bundle-pin' }, t('bundle_pin')))),
    out);
}

/** Verifies bundle text and shows the verdict in out (also used by the export). */
export async function checkText(text, out, usePin = true) {
  delete out.dataset.verdict;
  replace(out, notice('info', h('span', { id: 'bundle-progress' }, t('verifying'))));
  let b;
  try {
    b = readBundle(text);
  } catch (e) {
    return done(out, 'unsupported', notice('bad', h('p', { class: 'verdict' }, '✘ ', e instanceof Unsupported ? t('bundle_unsupported', e.message) : t('bundle_tampered', e.message))), e);
  }
  let pinned = null;
  if (usePin) {
    try {
      const tr = await ledgerTrust();
      pinned = tr.pinned;
    } catch {
      pinned = null;
    }
  }
  const progress = out.querySelector('#bundle-progress');
  let rep;
  try {
    rep = await verifyBundle(b, { ledgerKey: pinned, onProgress: (i, n) => { if (progress) progress.textContent = t('bundle_checking', i, n); } });
  } catch (e) {
    if (e instanceof Finding) {
      const m = /^entries\[(\d+)\]/.exec(e.field);
      const where = m ? t('bundle_tampered_at', m[1], String(b.entries[Number(m[1])].seq)) + ': ' : '';
      return done(out, 'tampered', notice('bad',
        h('p', { class: 'verdict', 'data-field': e.field, 'data-reason': e.reason }, '✘ ', t('bundle_tampered', where + e.reason)),
        kv([[t('reason_field'), mono(e.field || '—')], [t('reason_code'), mono(e.reason)], ['', e.detail || '']])), e);
    }
    return done(out, 'unsupported', notice('bad', h('p', { class: 'verdict' }, '✘ ', t('bundle_unsupported', e.message))), e);
  }
  const cat = await catalogue().catch(() => null);
  const sel = rep.export.selection;
  const selText = sel.seqs.length > 0
    ? t('k_found_by', sel.seqs.length, Object.keys(sel.query).sort().map((k) => `${k}=${sel.query[k]}`).join(', '))
    : [sel.stream ? `stream=${sel.stream}` : ''].concat(sel.from !== null || sel.to !== null ? [`seq ${sel.from ?? ''}–${sel.to ?? ''}`] : []).filter(Boolean).join(', ') || t('k_everything');
  const listed = rep.parsed.slice(0, MAX_LISTED);
  return done(out, 'intact',
    notice('good', h('p', { class: 'verdict' }, '✔ ', t('bundle_intact'))),
    kv([
      [t('k_origin'), mono(rep.origin)],
      [t('k_ledger_key'), h('span', null, mono(rep.ledgerKey), ' — ', rep.pinned ? t('pinned_key') : t('served_key'))],
      [t('k_size'), String(rep.size)],
      [t('k_root'), mono(hex(rep.root))],
      rep.cosigners.length ? [t('k_cosigners'), rep.cosigners.join(', ')] : null,
      [t('k_entries'), String(rep.entries)],
      [t('k_selected'), String(rep.selected.length)],
      [t('k_export'), `${rep.export.seq} · ${rep.export.at}`],
      [t('k_export_by'), h('span', null, mono(rep.export.institution), ' / ', mono(rep.export.by))],
      [t('k_reason'), rep.export.reason],
      [t('k_selection'), mono(selText)],
    ]),
    h('h2', null, t('bundle_entries')),
    h('table', { class: 'data' },
      h('colgroup', null, [8, 12, 34, 24, 22].map((w) => h('col', { class: 'w' + w }))),
      h('thead', null, h('tr', null, ['col_seq', 'col_day', 'col_act', 'col_institution', 'col_stream'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', null, listed.map((e) => h('tr', null,
        h('td', { class: 'num' }, e.seq.toString()),
        h('td', null, chinaDay(e.submission.occurred_at)),
        h('td', null, describe(cat, e.submission.type), h('div', { class: 'sub mono' }, e.submission.type)),
        h('td', { class: 'mono' }, e.submission.actor.institution, h('div', { class: 'sub' }, e.submission.actor.person)),
        h('td', { class: 'mono' }, e.submission.stream))))),
    rep.parsed.length > MAX_LISTED ? h('p', { class: 'sub' }, t('bundle_more', rep.parsed.length - MAX_LISTED)) : null);
}

function done(out, verdict, ...children) {
  const err = children[children.length - 1] instanceof Error ? children.pop() : null;
  replace(out, ...children);
  out.dataset.verdict = verdict;
  announce(out.textContent.slice(0, 200));
  return err;
}
