// Reports from the running ledger (GET /v1/reports/{kind}?format=json): the custody
// timeline of a resource, the emergency register, findings and obligations with
// filters applied here in the browser, and the yearly assessment. The JSON is
// projections/report's: sections of columns and rows keyed by stable column keys, with
// <key>_code beside coded values. Each page lays its sections out to fit a screen and an
// A4 page (a few columns, related values on a second line) and links the server's HTML,
// CSV and Excel forms.

import { h, replace, download } from './dom.js';
import { t, lang } from './i18n.js';
import * as api from './api.js';
import { errorBox, field, notice, title, tone, todayCN, mono, announce } from './ui.js';

// Report answers already fetched in this page's life, by URL.
const reports = new Map();

async function load(kind, params) {
  const q = { ...params, format: 'json', lang: lang() };
  const key = kind + '?' + new URLSearchParams(Object.entries(q).filter(([, v]) => v)).toString();
  if (!reports.has(key)) {
    const p = api.get('/v1/reports/' + kind, q);
    p.catch(() => reports.delete(key));
    reports.set(key, p);
  }
  return reports.get(key);
}

// The other forms, fetched with the token (a plain link would not carry it) and saved.
function forms(kind, params) {
  const one = (format, label, ext) => h('button', { type: 'button', class: 'link', 'data-format': format, onclick: async (ev) => {
    const btn = ev.currentTarget;
    btn.disabled = true;
    try {
      const q = new URLSearchParams(Object.entries({ ...params, format, lang: lang() }).filter(([, v]) => v));
      const resp = await api.request('/v1/reports/' + kind + '?' + q.toString(), { raw: true, accept: '*/*' });
      const blob = await resp.blob();
      download(blob, `${kind}-${params.as_of || todayCN()}${params.year ? '-' + params.year : ''}-${lang()}.${ext}`);
    } catch (e) {
      btn.after(errorBox(e));
    } finally {
      btn.disabled = false;
    }
  } }, label);
  return h('div', { class: 'forms' }, h('span', null, t('report_forms'), t('colon')),
    one('html', t('form_html'), 'html'), one('csv', t('form_csv'), 'csv'), one('xlsx', t('form_xlsx'), 'xlsx'), one('json', t('form_json'), 'json'),
    h('span', { class: 'sub' }, t('forms_note')));
}

function head(rep) {
  return [
    h('p', { class: 'report-title' }, h('strong', null, rep.title), ' · ', t('as_of'), ' ', rep.as_of),
    rep.basis ? h('details', { class: 'basis' }, h('summary', null, t('basis')), h('p', null, rep.basis)) : null,
  ];
}

function notesOf(rep) {
  const n = [...(rep.notes || [])];
  return n.length ? h('ul', { class: 'notes sub' }, n.map((x) => h('li', null, x))) : null;
}

// Evidence columns hold ledger seqs ("226, 345, 349"): each opens its act.
function seqLinks(v, href) {
  const parts = String(v || '').split(/[,，、]\s*/).filter((s) => /^\d+$/.test(s));
  if (parts.length === 0) return v || '—';
  return h('span', { class: 'seqs' }, parts.map((s, i) => [i ? ', ' : '', h('a', { href: href('seq', s) }, s)]));
}

/**
 * A section as a table laid out by cols: [{key, sub: [keys], w: weight, seq: true,
 * tone: true, id: true}]. Sub-values go on a second line, labelled.
 */
function sectionTable(kind, sec, cols, ctx, rows = sec.rows) {
  const label = new Map(sec.columns.map((c) => [c.key, c.label]));
  const known = cols.filter((c) => label.has(c.key));
  const total = known.reduce((a, c) => a + (c.w || 1), 0);
  return h('table', { class: 'data report', 'data-section': sec.key },
    h('colgroup', null, known.map((c) => {
      const col = h('col');
      col.style.width = ((100 * (c.w || 1)) / total).toFixed(2) + '%';
      return col;
    })),
    h('thead', null, h('tr', null, known.map((c) => h('th', { scope: 'col', class: c.vertical ? 'vertical' : null }, h('span', null, label.get(c.key)))))),
    h('tbody', null, rows.map((row) => {
      const code = row.state_code || '';
      const tr = h('tr', { class: tone(kind, code) ? 'tone-' + tone(kind, code) : null });
      for (const c of known) {
        const v = row[c.key];
        let main;
        if (c.seq) main = seqLinks(v, ctx.href);
        else if (c.event && v) main = h('a', { href: ctx.href('event', v), class: 'mono' }, v);
        else if (c.cell) main = c.cell(row);
        else main = v === undefined || v === '' ? '—' : String(v);
        const subs = (c.sub || []).filter((k) => row[k] && row[k] !== '—' && label.has(k)).map((k) =>
          h('div', { class: 'sub' }, label.get(k), t('colon'), k.endsWith('seq') || k === 'evidence' ? seqLinks(row[k], ctx.href) : row[k]));
        if (c.mono && typeof main === 'string') main = h('span', { class: 'mono' }, main);
        const cls = [c.num ? 'num' : ''];
        let cellTone = '';
        if (c.tone && row[c.key + '_code'] !== undefined) cellTone = tone(kind, row[c.key + '_code']);
        if (c.toneOf) cellTone = c.toneOf(row);
        if (cellTone) cls.push('cell-' + cellTone);
        tr.append(h('td', { class: cls.filter(Boolean).join(' ') || null, 'data-code': c.tone ? row[c.key + '_code'] || null : null }, main, subs));
      }
      return tr;
    })));
}

function sectionOf(rep, key) {
  return (rep.sections || []).find((s) => s.key === key);
}

function sectionBlock(kind, rep, key, cols, ctx, extra) {
  const sec = sectionOf(rep, key);
  if (!sec) return null;
  return h('section', { class: 'report-section', id: 'section-' + key, 'aria-labelledby': 'h-' + key },
    h('h2', { id: 'h-' + key }, sec.title), extra || null,
    sec.rows.length ? sectionTable(kind, sec, cols, ctx) : h('p', { class: 'sub' }, t('results_none')),
    (sec.notes || []).length ? h('ul', { class: 'notes sub' }, sec.notes.map((n) => h('li', null, n))) : null);
}

// A small form of report parameters (as_of, and year or resource) that re-routes.
function paramsForm(name, fields, ctx, id) {
  const inputs = {};
  const make = (k) => {
    if (k === 'as_of') return (inputs[k] = h('input', { type: 'date', name: k, value: fields[k] || '' }));
    if (k === 'year') return (inputs[k] = h('input', { type: 'number', name: k, min: '2000', max: '9999', value: fields[k] || '', class: 'short' }));
    return (inputs[k] = h('input', { type: 'text', name: k, value: fields[k] || '', spellcheck: 'false', autocomplete: 'off' }));
  };
  const labels = { as_of: t('as_of'), year: t('year'), resource: t('f_resource') };
  return h('form', { class: 'card params', id, onsubmit: (ev) => {
    ev.preventDefault();
    const q = {};
    for (const k of Object.keys(inputs)) if (inputs[k].value.trim()) q[k] = inputs[k].value.trim();
    ctx.go(name, '', q);
  } }, Object.keys(fields).map((k) => {
    const f = field(labels[k], make(k));
    if (k === 'resource') f.classList.add('wide');
    return f;
  }),
  h('div', { class: 'actions' }, h('button', { type: 'submit' }, name === 'custody' ? t('custody_show') : t('apply'))));
}

async function reportOrError(main, kind, params, ctx) {
  try {
    return await load(kind, params);
  } catch (e) {
    if (!ctx.isCurrent()) return null;
    main.append(e.status === 403 ? notice('bad', t('report_forbidden')) : null, errorBox(e));
    return null;
  }
}

export async function custodyPage(main, r, ctx) {
  const resource = r.query.get('resource') || '';
  const asOf = r.query.get('as_of') || '';
  replace(main, title(t('custody_title')), h('p', { class: 'lead' }, t('custody_intro')),
    paramsForm('custody', { resource, as_of: asOf }, ctx, 'custody-form'));
  if (!resource) {
    main.append(h('p', { class: 'sub' }, t('custody_hint')));
    return;
  }
  main.append(h('p', { class: 'sub' }, t('loading')));
  const params = { resource, as_of: asOf };
  const rep = await reportOrError(main, 'accountability', params, ctx);
  main.lastElementChild.remove();
  if (!rep || !ctx.isCurrent()) return;
  const only = (key, cols) => {
    const sec = sectionOf(rep, key);
    if (!sec) return null;
    const rows = sec.rows.filter((x) => !x.resource || x.resource === resource);
    return h('section', { class: 'report-section', id: 'section-' + key, 'aria-labelledby': 'h-' + key },
      h('h2', { id: 'h-' + key }, sec.title),
      rows.length ? sectionTable('accountability', sec, cols, ctx, rows) : h('p', { class: 'sub' }, t('results_none')));
  };
  main.append(...head(rep), forms('accountability', params),
    only('timeline', [
      { key: 'seq', seq: true, w: 0.7, num: true }, { key: 'date', w: 1 }, { key: 'act', sub: ['type'], w: 2.4 },
      { key: 'institution_name', sub: ['institution'], w: 2 }, { key: 'person', w: 1.3, mono: true }, { key: 'id', event: true, w: 2.2 },
    ]),
    only('collected', [
      { key: 'institution_name', sub: ['institution'], w: 2 }, { key: 'collections', w: 0.8, num: true }, { key: 'records', w: 0.8, num: true },
      { key: 'emergencies', w: 1.4, mono: true }, { key: 'first', sub: ['last'], w: 1.1 }, { key: 'designated_source', w: 1.4 }, { key: 'evidence', seq: true, w: 1 },
    ]),
    only('held', [
      { key: 'institution_name', sub: ['institution'], w: 2 }, { key: 'how', w: 1.2 }, { key: 'state', sub: ['changed'], w: 1.2, tone: true },
      { key: 'since', w: 1 }, { key: 'evidence', seq: true, w: 1 },
    ]),
    only('used', [
      { key: 'user_name', sub: ['user'], w: 2 }, { key: 'act', w: 1 }, { key: 'purpose', sub: ['grant'], w: 2 },
      { key: 'within_grant', w: 1, tone: true }, { key: 'count', sub: ['records'], w: 0.8 }, { key: 'last', w: 1 }, { key: 'evidence', seq: true, w: 1 },
    ]),
    only('run', [
      { key: 'system', w: 1.6, mono: true }, { key: 'operator_name', sub: ['operator', 'role'], w: 2 },
      { key: 'contract', sub: ['contract_state'], w: 1.4 }, { key: 'client_name', sub: ['client'], w: 1.8 }, { key: 'evidence', seq: true, w: 1 },
    ]),
    notesOf(rep));
  announce(rep.title);
}

export async function emergenciesPage(main, r, ctx) {
  const asOf = r.query.get('as_of') || '';
  replace(main, title(t('emergencies_title')), paramsForm('emergencies', { as_of: asOf }, ctx, 'emergencies-form'));
  const params = { as_of: asOf };
  const rep = await reportOrError(main, 'emergencies', params, ctx);
  if (!rep || !ctx.isCurrent()) return;
  main.append(...head(rep), forms('emergencies', params),
    sectionBlock('emergencies', rep, 'emergencies', [
      { key: 'emergency', sub: ['title'], w: 2.4, mono: true }, { key: 'declared_by_name', sub: ['declared_by'], w: 2 },
      { key: 'declared_on', sub: ['ended_on'], w: 1.1 }, { key: 'due', w: 1.3 }, { key: 'state', sub: ['outstanding'], w: 1.8, tone: true },
      { key: 'evidence', seq: true, w: 1.2 },
    ], ctx),
    sectionBlock('emergencies', rep, 'data', [
      { key: 'resource', sub: ['emergency'], w: 2.4, mono: true }, { key: 'collected_by_name', sub: ['collected_by'], w: 2.2 },
      { key: 'records', w: 0.7, num: true }, { key: 'evaluation', sub: ['evaluated_on'], w: 1.6 }, { key: 'sealed_on', sub: ['destroyed_on'], w: 1.1 },
      { key: 'state', w: 1.1, tone: true }, { key: 'evidence', seq: true, w: 1.3 },
    ], ctx),
    sectionBlock('emergencies', rep, 'applications', [
      { key: 'application', sub: ['emergency'], w: 2.4, mono: true }, { key: 'shut_down_by_name', sub: ['shut_down_by'], w: 2.2 },
      { key: 'shut_down_on', w: 1.1 }, { key: 'state', w: 1.1, tone: true }, { key: 'evidence', seq: true, w: 1.1 },
    ], ctx),
    notesOf(rep));
  announce(rep.title);
}

// The county of each institution, from the assessment's institutions section (reviewers
// read it too); {} when it cannot be read.
async function counties(asOf, year) {
  try {
    const rep = await load('assessment', { as_of: asOf, year });
    const sec = sectionOf(rep, 'institutions');
    const m = {};
    for (const row of sec ? sec.rows : []) m[row.institution] = { code: row.county, name: row.county_name || row.county };
    return m;
  } catch {
    return {};
  }
}

const select = (id, label, options, value, any) => field(label, h('select', { id, name: id },
  h('option', { value: '' }, any), options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));

// Findings and obligations: filtered here, by institution, county, rule or deadline,
// state and year; the summary counts what the filters keep.
async function filteredPage(main, r, ctx, kind) {
  const q = r.query;
  const asOf = q.get('as_of') || '';
  const sel = { institution: q.get('institution') || '', county: q.get('county') || '', rule: q.get('rule') || '', state: q.get('state') ?? (kind === 'obligations' ? 'attention' : ''), year: q.get('year') || '' };
  replace(main, title(t(kind + '_title')), paramsForm(kind, { as_of: asOf }, ctx, kind + '-params'));
  const params = { as_of: asOf };
  const rep = await reportOrError(main, kind, params, ctx);
  if (!rep || !ctx.isCurrent()) return;
  const detailKey = kind === 'findings' ? 'findings' : 'obligations';
  const sec = sectionOf(rep, detailKey);
  const rows = sec ? sec.rows : [];
  const ruleKey = kind === 'findings' ? 'rule' : 'deadline';
  const dayKey = kind === 'findings' ? 'arose' : 'trigger_day';
  const years = [...new Set(rows.map((x) => String(x[dayKey] || '').slice(0, 4)).filter((y) => /^\d{4}$/.test(y)))].sort();
  const cmap = await counties(rep.as_of, sel.year || years[years.length - 1] || '');
  if (!ctx.isCurrent()) return;

  const insts = new Map();
  for (const x of rows) if (x.institution) insts.set(x.institution, x.institution_name || x.institution);
  const countyOpts = new Map();
  for (const i of insts.keys()) if (cmap[i]) countyOpts.set(cmap[i].code, cmap[i].name);
  const rules = [...new Set(rows.map((x) => x[ruleKey]).filter(Boolean))].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const states = new Map();
  for (const x of rows) if (x.state_code) states.set(x.state_code, x.state);

  const stateOpts = [...states].map(([v, l]) => [v, l]);
  if (kind === 'obligations') stateOpts.unshift(['attention', t('state_attention')]);
  const form = h('form', { class: 'card filters', id: kind + '-filters', onsubmit: (ev) => {
    ev.preventDefault();
    const fd = new FormData(ev.currentTarget);
    const nq = { as_of: asOf };
    for (const k of ['institution', 'county', 'rule', 'state', 'year']) nq[k] = fd.get(k) || '';
    if (kind === 'obligations' && !nq.state) nq.state = 'all';
    ctx.go(kind, '', nq);
  } },
  h('p', { class: 'form-title' }, t('filters')),
  h('div', { class: 'grid' },
    select('institution', t('f_institution'), [...insts].sort((a, b) => a[1].localeCompare(b[1], 'zh')), sel.institution, t('f_any')),
    select('county', t('f_county'), [...countyOpts].sort((a, b) => a[1].localeCompare(b[1], 'zh')), sel.county, t('f_any')),
    select('rule', kind === 'findings' ? t('f_rule') : t('f_deadline'), rules.map((x) => [x, x]), sel.rule, t('f_any')),
    select('state', t('f_state'), stateOpts, sel.state === 'all' ? '' : sel.state, t('f_any')),
    select('year', t('year'), years.map((y) => [y, y]), sel.year, t('f_year_any'))),
  h('div', { class: 'actions' }, h('button', { type: 'submit', id: kind + '-apply' }, t('apply'))));

  const keep = rows.filter((x) =>
    (!sel.institution || x.institution === sel.institution) &&
    (!sel.county || (cmap[x.institution] && cmap[x.institution].code === sel.county)) &&
    (!sel.rule || x[ruleKey] === sel.rule) &&
    (!sel.state || sel.state === 'all' || (sel.state === 'attention' ? x.state_code !== 'met_on_time' : x.state_code === sel.state)) &&
    (!sel.year || String(x[dayKey] || '').startsWith(sel.year)));

  const counts = new Map();
  for (const x of keep) counts.set(x.state_code, (counts.get(x.state_code) || 0) + 1);
  const summary = h('ul', { class: 'tally', id: kind + '-tally', 'aria-label': t('by_state') }, [...counts].map(([c, n]) =>
    h('li', { class: 'pill ' + (tone(kind, c) ? 'cell-' + tone(kind, c) : '') }, states.get(c) || c, ' ', h('strong', null, String(n)))));

  const cols = kind === 'findings' ? [
    { key: 'rule', sub: ['title', 'citation'], w: 2.6 },
    { key: 'institution_name', sub: ['institution'], w: 1.8 },
    { key: 'acting_person', sub: ['responsible_person'], w: 1.3, mono: true },
    { key: 'subject', sub: ['deadline', 'arose'], w: 1.5, mono: true },
    { key: 'state', sub: ['rectification'], w: 1.4, tone: true },
    { key: 'evidence', seq: true, w: 1 },
    { key: 'note', sub: ['policy'], w: 2.4 },
  ] : [
    { key: 'deadline', sub: ['title', 'articles'], w: 2.8 },
    { key: 'institution_name', sub: ['institution'], w: 1.8 },
    { key: 'subject', sub: ['trigger_seq', 'trigger_day'], w: 1.6, mono: true },
    { key: 'due', sub: ['start'], w: 1.1 },
    { key: 'state', sub: ['late_workdays', 'met_day'], w: 1.3, tone: true },
    { key: 'acts', seq: true, w: 1 },
    { key: 'note', sub: ['policy'], w: 1.8 },
  ];
  main.append(...head(rep), forms(kind, params), form,
    h('section', { class: 'report-section', 'aria-labelledby': 'h-detail' },
      h('h2', { id: 'h-detail' }, sec ? sec.title : ''),
      h('p', { class: 'sub', id: kind + '-shown' }, t('rows_shown', keep.length, rows.length)), summary,
      sec && keep.length ? sectionTable(kind, sec, cols, ctx, keep) : h('p', { class: 'sub' }, t('results_none'))),
    kind === 'findings'
      ? sectionBlock(kind, rep, 'summary', [{ key: 'rule', w: 0.6 }, { key: 'title', sub: ['citation'], w: 3.4 }, ...['open', 'rectification_ordered', 'rectified', 'escalated', 'total'].map((k) => ({ key: k, w: 0.9, num: true }))], ctx)
      : sectionBlock(kind, rep, 'summary', [{ key: 'deadline', w: 0.6 }, { key: 'title', w: 3.4 }, ...['open', 'met_on_time', 'met_late', 'missed', 'undetermined', 'total'].map((k) => ({ key: k, w: 0.8, num: true }))], ctx),
    kind === 'findings' ? sectionBlock(kind, rep, 'by_institution', [{ key: 'institution_name', sub: ['institution'], w: 3 }, ...['open', 'rectification_ordered', 'rectified', 'escalated', 'total'].map((k) => ({ key: k, w: 1, num: true }))], ctx) : null,
    notesOf(rep));
  announce(t('rows_shown', keep.length, rows.length));
}

export const findingsPage = (main, r, ctx) => filteredPage(main, r, ctx, 'findings');
export const obligationsPage = (main, r, ctx) => filteredPage(main, r, ctx, 'obligations');

const MEASURES = ['catalog', 'collection', 'aggregation', 'sharing', 'opening', 'corrections', 'withdrawals', 'subject_requests', 'emergency_data', 'outsourcing', 'security_duties', 'findings_rectification'];

// "8/10 (80%)，问题 2" → "80%" over "8/10，问题 2".
function scoreCell(v) {
  const s = String(v || '—');
  const m = /^(\d+\/\d+) \((\d+%)\)(.*)$/.exec(s);
  if (m) return [h('span', { class: 'score' }, m[2]), h('div', { class: 'sub' }, m[1] + m[3])];
  const i = s.search(/，|, /);
  if (i > 0) return [h('span', { class: 'score' }, s.slice(0, i)), h('div', { class: 'sub' }, s.slice(i + 1).trim())];
  return h('span', { class: 'score' }, s);
}

function scoreTone(code) {
  if (code === undefined || code === '') return 'none';
  const x = Number(code);
  if (Number.isNaN(x)) return 'none';
  if (x <= 0) return 'bad';
  if (x < 1) return 'warn';
  return 'good';
}

export async function assessmentPage(main, r, ctx) {
  const year = r.query.get('year') || String(Number(todayCN().slice(0, 4)) - 1);
  const asOf = r.query.get('as_of') || '';
  replace(main, title(t('assessment_title')), paramsForm('assessment', { year, as_of: asOf }, ctx, 'assessment-form'));
  const params = { year, as_of: asOf };
  const rep = await reportOrError(main, 'assessment', params, ctx);
  if (!rep || !ctx.isCurrent()) return;
  const measureCols = MEASURES.map((k) => ({ key: k, w: 1, vertical: true, cell: (row) => scoreCell(row[k]), toneOf: (row) => scoreTone(row[k + '_code']) }));
  main.append(...head(rep), forms('assessment', params), h('p', { class: 'sub legend' }, t('assessment_legend')),
    sectionBlock('assessment', rep, 'institutions', [{ key: 'name', sub: ['institution', 'county_name'], w: 3.2 }, ...measureCols], ctx),
    sectionBlock('assessment', rep, 'counties', [{ key: 'name', sub: ['county'], w: 3.2 }, ...measureCols], ctx),
    sectionBlock('assessment', rep, 'measures', [
      { key: 'label', sub: ['measure'], w: 1.6 }, { key: 'scored', w: 2.2 }, { key: 'meaning', w: 2.6 },
      { key: 'articles', sub: ['deadlines', 'rules'], w: 1.4 },
    ], ctx),
    notesOf(rep));
  announce(rep.title);
}

export { mono };
