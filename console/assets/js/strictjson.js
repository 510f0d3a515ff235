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

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const PLAIN = /[^"\\\x00-\x1f]*/y;

/** Parses text (a string) strictly. */
export function parse(text) {
  let i = 0;
  // The path to the value being read, kept as a stack and joined only for an error.
  const stack = [];
  const where = () => stack.reduce((p, k) => (typeof k === 'number' ? `${p}[${k}]` : p ? p + '.' + k : k), '');
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else return;
    }
  };
  const fail = (detail) => { throw new JSONError('malformed_json', where(), detail); };
  const str = () => {
    if (text.charCodeAt(i) !== 0x22) fail('expected a string');
    i++;
    let out = '';
    for (;;) {
      PLAIN.lastIndex = i;
      PLAIN.exec(text);
      out += text.slice(i, PLAIN.lastIndex);
      i = PLAIN.lastIndex;
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) { i++; return out; }
      if (c < 0x20) fail('control character in string');
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
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(h, 16));
          i += 4;
          break;
        }
        default: fail('bad escape');
      }
    }
  };
  const value = (depth) => {
    if (depth > MAX_DEPTH) throw new JSONError('too_deep', where(), `nested more than ${MAX_DEPTH} levels`);
    ws();
    const c = text.charCodeAt(i);
    if (c === 0x7b) { // {
      i++;
      const obj = Object.create(null);
      ws();
      if (text.charCodeAt(i) === 0x7d) { i++; return obj; }
      for (;;) {
        ws();
        const k = str();
        stack.push(k);
        if (Object.hasOwn(obj, k)) throw new JSONError('duplicate_key', where(), 'the member appears twice');
        ws();
        if (text.charCodeAt(i) !== 0x3a) fail('expected ":"');
        i++;
        obj[k] = value(depth + 1);
        stack.pop();
        ws();
        const d = text.charCodeAt(i);
        i++;
        if (d === 0x2c) continue;
        if (d === 0x7d) return obj;
        i--;
        fail('expected "," or "}"');
      }
    }
    if (c === 0x5b) { // [
      i++;
      const arr = [];
      ws();
      if (text.charCodeAt(i) === 0x5d) { i++; return arr; }
      for (;;) {
        stack.push(arr.length);
        arr.push(value(depth + 1));
        stack.pop();
        ws();
        const d = text.charCodeAt(i);
        i++;
        if (d === 0x2c) continue;
        if (d === 0x5d) return arr;
        i--;
        fail('expected "," or "]"');
      }
    }
    if (c === 0x22) return str();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) fail('invalid value');
    i = NUMBER.lastIndex;
    return new JNum(m[0]);
  };
  const v = value(1);
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
