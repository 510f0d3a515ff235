// Talking to the ledgerd that served the page, and only to it. The bearer token lives in
// sessionStorage (this tab, until it is closed or the user signs out) and goes with
// every request as "Authorization: Bearer …".

const TOKEN = 'dataledger.console.token';
const ROLE = 'dataledger.console.role';

/** The token of this tab's session, or "". */
export const token = () => sessionStorage.getItem(TOKEN) || '';

/** Keeps the token for this tab only. */
export function signIn(t) {
  sessionStorage.setItem(TOKEN, t);
  sessionStorage.removeItem(ROLE);
}

/** Forgets the token and what the server said of it. */
export function signOut() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(ROLE);
}

/** The server's refusal: status, stable code, field, and its messages in both languages. */
export class ApiError extends Error {
  constructor(status, code, field, message, messageZh) {
    super(`${status} ${code}: ${message}`);
    this.status = status;
    this.code = code;
    this.field = field;
    this.messageEn = message;
    this.messageZh = messageZh;
  }
}

async function toError(resp) {
  let body = null;
  try {
    body = await resp.json();
  } catch {
    body = null;
  }
  const e = body && body.error;
  if (e && typeof e.code === 'string') return new ApiError(resp.status, e.code, e.field || '', e.message || '', e.message_zh || '');
  return new ApiError(resp.status, 'http_' + resp.status, '', resp.statusText || 'no answer from the ledger', '');
}

/**
 * Sends one request to the ledger. opts.body (an object) is sent as JSON; opts.raw
 * returns the Response itself for a 2xx answer; otherwise the parsed JSON. A non-2xx
 * answer throws ApiError; a network failure throws ApiError with status 0.
 */
export async function request(path, opts = {}) {
  const headers = { Accept: opts.accept || 'application/json' };
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = opts.contentType || 'application/json';
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  }
  const method = opts.method || (body !== undefined ? 'POST' : 'GET');
  let resp;
  // A read the server cannot answer yet (503: a read model catching up, a checkpoint
  // pending; 429: too many requests) is asked again after its Retry-After, a few times.
  for (let attempt = 0; ; attempt++) {
    try {
      resp = await fetch(path, { method, headers, body, cache: 'no-store', credentials: 'omit', redirect: 'error' });
    } catch (e) {
      throw new ApiError(0, 'network', '', 'the ledger could not be reached: ' + e.message, '无法连接账本服务：' + e.message);
    }
    if (method !== 'GET' || (resp.status !== 503 && resp.status !== 429) || attempt >= 8) break;
    const wait = Math.min(5, Math.max(1, Number(resp.headers.get('Retry-After')) || 1));
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
  if (!resp.ok) throw await toError(resp);
  if (opts.raw) return resp;
  return resp.json();
}

/** GET path with query parameters (empty ones left out). */
export function get(path, query = {}, opts = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return request(s ? `${path}?${s}` : path, opts);
}

// Public answers that do not change while the page is open.
const cache = new Map();

/** GET once per page load (public, immutable answers: the catalogue, the ledger's keys). */
export function cached(path) {
  if (!cache.has(path)) {
    const p = request(path);
    p.catch(() => cache.delete(path));
    cache.set(path, p);
  }
  return cache.get(path);
}

/**
 * Who the server takes this token for, and what its role may do: GET /v1/whoami (in the
 * read-audit log; it reads no event data). Kept for the tab.
 */
export async function whoami(force = false) {
  if (!force) {
    const saved = sessionStorage.getItem(ROLE);
    if (saved) return JSON.parse(saved);
  }
  const w = await request('/v1/whoami');
  const may = w.may || {};
  const out = {
    role: w.role || '', person: w.person || '', institution: w.institution || '',
    reads: !!(may.reads_all || may.reads_own), readsAll: !!may.reads_all, exports: !!may.exports,
    decrypts: !!may.decrypts, reports: (may.reports || []).length > 0, message: null,
  };
  sessionStorage.setItem(ROLE, JSON.stringify(out));
  return out;
}
