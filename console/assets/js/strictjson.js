// A strict JSON reader, as internal/strictjson reads what the ledger accepts: a member
// named twice at any depth, anything after the value, or nesting deeper than 64 levels is
// refused, so that a document means one thing to every reader. Objects come back with a
// null prototype (a member named "__proto__" is a member like any other) and numbers as
// JNum, keeping their exact text.

/** A JSON number with its text. */
export class JNum {
  constructor(raw) { this.raw = raw; }
  valueOf() { return Number(this.raw); }
}

/** Why a document was refused: code is malformed_json, duplicate_key, trailing_data or too_deep. */
export class JSONError extends Error {
  constructor(code, path, detail) {
    super((path ? path + ': ' : '') + code + ': ' + detail);
    this.code = code;
    this.path = path;
  }
}

export const MAX_DEPTH = 64;

const join = (path, k) => (path ? path + '.' + k : k);

/** Parses text (a string) strictly. */
export function parse(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const fail = (path, detail) => { throw new JSONError('malformed_json', path, detail); };
  const str = (path) => {
    if (text[i] !== '"') fail(path, 'expected a string');
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail(path, 'unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) { i++; return out; }
      if (c < 0x20) fail(path, 'control character in string');
      if (c === 0x5c) {
        const e = text[i + 1];
        i += 2;
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const h = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(h)) fail(path, 'bad \\u escape');
            out += String.fromCharCode(parseInt(h, 16));
            i += 4;
            break;
          }
          default: fail(path, 'bad escape');
        }
        continue;
      }
      out += text[i];
      i++;
    }
  };
  const value = (path, depth) => {
    if (depth > MAX_DEPTH) throw new JSONError('too_deep', path, `nested more than ${MAX_DEPTH} levels`);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = Object.create(null);
      ws();
      if (text[i] === '}') { i++; return obj; }
      for (;;) {
        ws();
        const k = str(path);
        const p = join(path, k);
        if (Object.hasOwn(obj, k)) throw new JSONError('duplicate_key', p, 'the member appears twice');
        ws();
        if (text[i] !== ':') fail(p, 'expected ":"');
        i++;
        obj[k] = value(p, depth + 1);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return obj; }
        fail(path, 'expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const arr = [];
      ws();
      if (text[i] === ']') { i++; return arr; }
      for (;;) {
        arr.push(value(`${path}[${arr.length}]`, depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return arr; }
        fail(path, 'expected "," or "]"');
      }
    }
    if (c === '"') return str(path);
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') fail(path, 'invalid value');
    i += m[0].length;
    return new JNum(m[0]);
  };
  const v = value('', 1);
  ws();
  if (i !== text.length) throw new JSONError('trailing_data', '', 'data after the JSON value');
  return v;
}

/** Whether v is a JSON object (from parse). */
export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JNum);

/** The integer value of a JNum holding a non-negative integer that fits 64 bits, else null. */
export function uint(v) {
  if (!(v instanceof JNum) || !/^(0|[1-9][0-9]*)$/.test(v.raw)) return null;
  const n = BigInt(v.raw);
  return n < 1n << 64n ? n : null;
}

/**
 * Checks obj's member names against the allowed ones (exact names, as strictjson does);
 * returns the first unknown member's name or null.
 */
export function unknownMember(obj, allowed) {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) return k;
  return null;
}
