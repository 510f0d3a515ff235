// Search and page through acts (GET /v1/events), and export the selection as an evidence
// bundle (POST /v1/bundles), the export recorded on the ledger with the reason asked
// for here.

import { h, replace, nextId, download } from './dom.js';
import { t } from './i18n.js';
import * as api from './api.js';
import { errorBox, field, notice, title, catalogue, describe, mono, announce } from './ui.js';
import { readBundle } from './bundle.js';
import { fromUtf8 } from './bytes.js';
import { checkText } from './bundlepage.js';

/** The search conditions, in the order of the form and the query. */
export const FILTERS = ['institution', 'person', 'resource', 'type', 'stream', 'from', 'to'];
const LIMITS = ['20', '50', '100'];

const CURSORS = 'dataledger.console.cursors.';

function filtersOf(q) {
  const f = {};
  for (const k of FILTERS) if (q.get(k)) f[k] = q.get(k).trim();
  return f;
}

const filterKey = (f) => JSON.stringify(FILTERS.map((k) => f[k] || ''));

export async function searchPage(main, r, ctx) {
  const f = filtersOf(r.query);
  const limit = LIMITS.includes(r.query.get('limit')) ? r.query.get('limit') : '50';
  const page = Math.max(1, Number(r.query.get('page')) || 1);
  const cursor = r.query.get('cursor') || '';
  const cat = await catalogue().catch(() => new Map());

  const inputs = {};
  const text = (k, placeholder) => (inputs[k] = h('input', { type: 'text', name: k, value: f[k] || '', autocomplete: 'off', spellcheck: 'false', placeholder }));
  const typeList = h('datalist', { id: 'type-list' }, [...cat.keys()].sort().map((ty) => h('option', { value: ty }, describe(cat, ty))));
  inputs.type = h('input', { type: 'text', name: 'type', value: f.type || '', list: 'type-list', autocomplete: 'off', spellcheck: 'false', placeholder: 'data.collected.v1' });
  inputs.from = h('input', { type: 'date', name: 'from', value: f.from || '' });
  inputs.to = h('input', { type: 'date', name: 'to', value: f.to || '' });
  const limitSel = h('select', { name: 'limit' }, LIMITS.map((l) => h('option', { value: l, selected: l === limit }, l)));

  const form = h('form', { class: 'card filters', id: 'search-form', role: 'search', onsubmit: (ev) => {
    ev.preventDefault();
    const q = {};
    for (const k of FILTERS) if (inputs[k].value.trim()) q[k] = inputs[k].value.trim();
    q.limit = limitSel.value;
    ctx.go('search', '', q);
  } },
  h('div', { class: 'grid' },
    field(t('f_institution'), text('institution', 'aba-health-commission')),
    field(t('f_person'), text('person', 'wjw-liu.yang')),
    field(t('f_resource'), text('resource', '')),
    field(t('f_type'), inputs.type),
    field(t('f_stream'), text('stream', 'resource/…')),
    field(t('f_from'), inputs.from),
    field(t('f_to'), inputs.to),
    field(t('f_limit'), limitSel)),
  typeList,
  h('div', { class: 'actions' },
    h('button', { type: 'submit', id: 'search-button' }, t('search_button')),
    h('button', { type: 'button', class: 'secondary', onclick: () => ctx.go('search') }, t('clear_button'))));

  const results = h('section', { class: 'results', 'aria-labelledby': 'results-title' });
  replace(main, title(t('search_title')), h('p', { class: 'lead' }, t('search_intro')), form, results);

  if (Object.keys(f).length === 0) {
    replace(results, h('h2', { id: 'results-title' }, t('results')), h('p', { class: 'sub' }, t('results_hint')));
    return;
  }
  replace(results, h('h2', { id: 'results-title' }, t('results')), h('p', { class: 'sub' }, t('loading')));
  let res;
  try {
    res = await api.get('/v1/events', { ...f, cursor, limit });
  } catch (e) {
    if (!ctx.isCurrent()) return;
    if (e.status === 405) replace(results, h('h2', { id: 'results-title' }, t('results')), notice('warn', t('search_unavailable')), errorBox(e));
    else replace(results, h('h2', { id: 'results-title' }, t('results')), errorBox(e));
    return;
  }
  if (!ctx.isCurrent()) return;

  // Remember the cursor of each page of this search, for "previous".
  const key = CURSORS + filterKey(f) + limit;
  let stack = [];
  try { stack = JSON.parse(sessionStorage.getItem(key) || '[]'); } catch { stack = []; }
  stack[page - 1] = cursor;
  stack.length = page;
  sessionStorage.setItem(key, JSON.stringify(stack));

  const events = Array.isArray(res.events) ? res.events : [];
  const nav = h('nav', { class: 'pager', 'aria-label': t('results') },
    page > 1 ? h('a', { class: 'button secondary', href: ctx.href('search', '', { ...f, limit }) }, t('page_first')) : null,
    page > 1 ? h('a', { class: 'button secondary', id: 'page-prev', href: ctx.href('search', '', { ...f, limit, cursor: stack[page - 2] || '', page: page - 1 }) }, t('page_prev')) : null,
    res.next_cursor ? h('a', { class: 'button secondary', id: 'page-next', href: ctx.href('search', '', { ...f, limit, cursor: res.next_cursor, page: page + 1 }) }, t('page_next')) : null);

  const table = events.length === 0 ? h('p', { class: 'sub', id: 'no-results' }, t('results_none')) : h('table', { class: 'data', id: 'results-table' },
    h('colgroup', null, [6, 9, 25, 17, 13, 16, 14].map((w) => h('col', { class: 'w' + w }))),
    h('thead', null, h('tr', null, ['col_seq', 'col_day', 'col_act', 'col_institution', 'col_person', 'col_resource', 'col_stream'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, events.map((e) => h('tr', null,
      h('td', { class: 'num' }, String(e.seq)),
      h('td', null, e.day || ''),
      h('td', null, h('a', { href: ctx.href('event', e.id), class: 'act-link' }, describe(cat, e.type)), h('div', { class: 'sub mono' }, e.type)),
      h('td', { class: 'mono' }, e.institution || '—'),
      h('td', { class: 'mono' }, e.person || '—'),
      h('td', { class: 'mono' }, e.resource || (Array.isArray(e.resources) && e.resources.length ? e.resources.join(', ') : '—')),
      h('td', { class: 'mono' }, e.stream || '')))));

  replace(results,
    h('h2', { id: 'results-title' }, t('results')),
    h('p', { class: 'sub', id: 'results-count' }, t('results_count', events.length, page)),
    table, nav, exportPanel(f, ctx));
  announce(t('results_count', events.length, page));
}

// The export: the selection, the reason, then the bundle checked in this browser.
function exportPanel(f, ctx) {
  const who = ctx.who || {};
  const out = h('div', { 'aria-live': 'polite', id: 'export-result' });
  const reasonId = nextId('reason');
  const reason = h('textarea', { id: reasonId, name: 'reason', rows: '2', maxlength: '2048', required: true, placeholder: t('export_reason_hint') });
  const sel = FILTERS.filter((k) => f[k]).map((k) => h('li', null, t(k === 'from' ? 'f_from' : k === 'to' ? 'f_to' : 'f_' + k), t('colon'), mono(f[k])));
  const form = h('form', { class: 'export-form', id: 'export-form', hidden: true, onsubmit: (ev) => { ev.preventDefault(); runExport(f, reason, out, ctx); } },
    h('p', { class: 'sub' }, t('export_intro')),
    h('p', null, t('export_selection'), t('colon')), h('ul', { class: 'selection' }, sel),
    field(t('export_reason'), reason, t('export_reason_hint')),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', id: 'export-confirm' }, t('export_confirm')),
      h('button', { type: 'button', class: 'secondary', onclick: () => { form.hidden = true; open.focus(); } }, t('export_cancel'))));
  const open = h('button', { type: 'button', id: 'export-open', 'aria-expanded': 'false', 'aria-controls': 'export-form', onclick: () => {
    form.hidden = !form.hidden;
    open.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) reason.focus();
  } }, t('export_button'));
  return h('section', { class: 'card export', 'aria-labelledby': 'export-title' },
    h('h2', { id: 'export-title' }, t('export_title')),
    who.exports === false ? h('p', { class: 'sub' }, t('export_no_role')) : null,
    open, form, out);
}

async function runExport(f, reasonEl, out, ctx) {
  const reason = reasonEl.value.trim();
  if (!reason) { replace(out, notice('bad', t('export_reason_empty'))); reasonEl.focus(); return; }
  const body = { reason };
  for (const [k, v] of Object.entries({ institution: f.institution, person: f.person, resource: f.resource, type: f.type, stream: f.stream, from_day: f.from, to_day: f.to })) {
    if (v) body[k] = v;
  }
  replace(out, notice('info', t('export_running')));
  let resp;
  try {
    resp = await api.request('/v1/bundles', { body, raw: true });
  } catch (e) {
    // A server whose export takes only {stream, from, to, reason} refuses the search
    // filter's members by name; nothing was recorded.
    if (e.status === 400 && e.code === 'malformed_body' && /unknown|未知/.test(e.messageEn + e.messageZh)) {
      replace(out, notice('warn', t('export_unsupported_filter')), errorBox(e));
    } else replace(out, errorBox(e));
    return;
  }
  const text = await resp.text();
  const exportSeq = resp.headers.get('X-Ledger-Export-Seq') || '';
  await showBundle(text, exportSeq, out, ctx);
}

/** Verifies a freshly exported bundle in the browser and offers it for download. */
async function showBundle(text, exportSeq, out, ctx) {
  let b = null;
  try {
    b = readBundle(text);
  } catch {
    b = null;
  }
  const seq = exportSeq || (b ? String(b.export_seq) : '');
  const name = `evidence-bundle-${seq}.json`;
  const dl = h('button', { type: 'button', id: 'export-download', onclick: () => download(new Blob([text], { type: 'application/json' }), name) }, t('export_download'));
  let expId = '';
  const exp = b && b.entries.find((e) => e.seq === b.export_seq);
  if (exp) {
    try { expId = JSON.parse(fromUtf8(exp.submission)).id || ''; } catch { expId = ''; }
  }
  const verdict = h('div', { id: 'export-verdict', 'aria-live': 'polite' });
  replace(out, notice('good', h('p', { id: 'export-done', 'data-export-seq': seq }, t('export_done', seq, b ? b.entries.length : '?'))),
    h('div', { class: 'actions' }, dl, expId ? h('a', { class: 'button secondary', href: ctx.href('event', expId) }, t('export_open_act')) : null),
    verdict);
  await checkText(text, verdict, true);
}
