// The console's shell: header, navigation, session and the hash router. Pages live in
// their own modules; each renders into <main> and may be re-rendered when the language
// changes.

import { h, replace } from './dom.js';
import { t, lang, setLang, applyLang } from './i18n.js';
import * as api from './api.js';
import { errorBox, title, field, notice } from './ui.js';
import { searchPage } from './search.js';
import { eventPage, seqPage } from './event.js';
import { bundlePage } from './bundlepage.js';
import { custodyPage, emergenciesPage, findingsPage, obligationsPage, assessmentPage } from './reports.js';
import { ledgerPage } from './ledgerpage.js';

// name → [page, needs a token, nav label key]
const ROUTES = {
  search: [searchPage, true, 'nav_search'],
  event: [eventPage, true, null],
  seq: [seqPage, true, null],
  bundle: [bundlePage, false, 'nav_bundle'],
  custody: [custodyPage, true, 'nav_custody'],
  emergencies: [emergenciesPage, true, 'nav_emergencies'],
  findings: [findingsPage, true, 'nav_findings'],
  obligations: [obligationsPage, true, 'nav_obligations'],
  assessment: [assessmentPage, true, 'nav_assessment'],
  ledger: [ledgerPage, false, 'nav_ledger'],
  signin: [signinPage, false, null],
};

/** The current route: {name, arg, query}. */
export function route() {
  const raw = location.hash.startsWith('#/') ? location.hash.slice(2) : '';
  const [p, q] = raw.split('?');
  const parts = p.split('/');
  let arg = '';
  try {
    arg = parts[1] ? decodeURIComponent(parts[1]) : '';
  } catch {
    arg = '';
  }
  return { name: parts[0] || '', arg, query: new URLSearchParams(q || '') };
}

/** Navigates to a route: go('search', '', {person: 'x'}). */
export function go(name, arg = '', query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  const target = '#/' + name + (arg ? '/' + encodeURIComponent(arg) : '') + (s ? '?' + s : '');
  if (location.hash === target) render();
  else location.hash = target;
}

/** A link to a route. */
export function href(name, arg = '', query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return '#/' + name + (arg ? '/' + encodeURIComponent(arg) : '') + (s ? '?' + s : '');
}

let who = null;

function roleText(w) {
  if (!w) return '';
  const key = 'role_' + (w.role || 'unknown');
  return t(key in ROLE_KEYS ? key : 'role_unknown');
}
const ROLE_KEYS = { role_reviewer: 1, role_institution: 1, role_submitter: 1, role_authority: 1, role_security_officer: 1 };

function header() {
  const r = route();
  const signed = !!api.token();
  const navItems = Object.entries(ROUTES).filter(([, v]) => v[2] && (signed || !v[1]));
  return [
    h('a', { class: 'skip', href: '#main', onclick: (ev) => { ev.preventDefault(); document.getElementById('main').focus(); } }, t('skip')),
    h('header', { class: 'top' },
      h('div', { class: 'brand' },
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '账'),
        h('span', { class: 'brand-text' }, h('span', { class: 'brand-title' }, t('app_title')), h('span', { class: 'brand-sub' }, t('app_sub')))),
      h('div', { class: 'session' },
        signed && who ? h('span', { class: 'role', id: 'role-badge', title: t('role_label') }, t('role_label'), t('colon'), h('strong', null, roleText(who)), who.person ? ' · ' + who.person : null) : null,
        h('button', { type: 'button', class: 'lang', id: 'lang-switch', lang: lang() === 'en' ? 'zh-CN' : 'en', 'aria-label': t('lang_switch_label'),
          onclick: () => { setLang(lang() === 'en' ? 'zh' : 'en'); render(); } }, t('lang_switch')),
        signed ? h('button', { type: 'button', class: 'secondary', id: 'sign-out', onclick: signOut }, t('signout')) : null)),
    h('nav', { class: 'tabs', 'aria-label': t('nav_label') },
      h('ul', null, navItems.map(([name, v]) => h('li', null,
        h('a', { href: '#/' + name, 'aria-current': r.name === name ? 'page' : null }, t(v[2])))))),
  ];
}

function signOut() {
  api.signOut();
  who = null;
  go('signin', '', { out: '1' });
}

async function signinPage(main, r) {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true, class: 'wide' });
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card', id: 'signin-form', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const tok = input.value.trim();
    if (!tok) { replace(out, notice('bad', t('token_empty'))); input.focus(); return; }
    api.signIn(tok);
    replace(out, notice('info', t('checking_token')));
    try {
      who = await api.whoami(true);
    } catch (e) {
      api.signOut();
      who = null;
      replace(out, errorBox(e));
      return;
    }
    const next = r.query.get('next');
    if (who.role === 'submitter') { render(); return; }
    location.hash = next && next.startsWith('#/') && !next.startsWith('#/signin') ? next : '#/search';
  } },
  field(t('token_label'), input),
  h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'sign-in' }, t('signin_button'))));
  replace(main, title(t('signin_title')),
    r.query.get('out') ? notice('good', t('signed_out')) : null,
    r.query.get('expired') ? notice('bad', t('err_401')) : null,
    h('p', { class: 'lead' }, t('signin_intro')), form, out,
    who && who.role === 'submitter' ? notice('bad', t('submitter_note')) : null);
  input.focus();
}

function roleCard() {
  if (!who) return null;
  const caps = [];
  if (who.role === 'submitter') caps.push(t('cap_reads_none'));
  else caps.push(who.readsAll ? t('cap_reads_all') : t('cap_reads_own'));
  if (who.role !== 'submitter') {
    caps.push(who.exports ? t('cap_exports') : t('cap_no_exports'));
    caps.push(who.decrypts ? t('cap_plaintext') : t('cap_no_plaintext'));
  }
  return h('p', { class: 'rolecaps sub', id: 'role-caps' }, roleText(who), t('colon'), caps.join(t('semicolon')), t('stop'), t('role_how'));
}

let rendering = 0;

/** Renders the current route into the page. */
export async function render() {
  applyLang();
  document.title = t('app_title') + ' · ' + t('app_sub');
  const r = route();
  let entry = ROUTES[r.name];
  if (!entry) {
    location.replace(api.token() ? '#/search' : '#/signin');
    return;
  }
  if (entry[1] && !api.token()) {
    location.replace('#/signin?next=' + encodeURIComponent(location.hash));
    return;
  }
  const n = ++rendering;
  if (api.token() && !who) {
    try {
      who = await api.whoami();
    } catch (e) {
      if (e.status === 401) {
        api.signOut();
        who = null;
        location.replace('#/signin');
        return;
      }
      who = null;
    }
  }
  if (n !== rendering) return;
  const body = document.getElementById('app');
  const main = h('main', { id: 'main', tabindex: '-1' });
  replace(body, ...header(), main);
  if (entry[1] && who && r.name === 'search') main.append(roleCard());
  const section = h('div', { class: 'page page-' + r.name });
  main.append(section);
  try {
    await entry[0](section, r, { who, go, href, isCurrent: () => n === rendering });
  } catch (e) {
    if (n !== rendering) return;
    if (e && e.status === 401 && r.name !== 'signin') {
      // The token is no longer accepted (revoked, expired): forget it and ask again.
      api.signOut();
      who = null;
      location.replace('#/signin?expired=1&next=' + encodeURIComponent(location.hash));
      return;
    }
    section.append(errorBox(e));
  }
  if (n === rendering) {
    document.body.dataset.ready = r.name;
    const focusTarget = section.querySelector('h1');
    if (focusTarget && document.activeElement === document.body) focusTarget.focus({ preventScroll: true });
  }
}

window.addEventListener('hashchange', () => {
  delete document.body.dataset.ready;
  render();
});
render();
