// hookd's consoles: the JSON API client. It holds the token (in sessionStorage, under the key
// the page configures), sends every request with it, and turns the API's {code, detail} and
// 422 detail[] answers into readable ApiErrors. It must not touch the DOM, and it decides
// nothing about access: the API alone does.

// The sessionStorage key of the token; each console configures its own (see configure).
let tokenKey = 'hookd.token';

export function configure(opts) {
  if (opts.tokenKey) tokenKey = opts.tokenKey;
}
export function token() {
  return sessionStorage.getItem(tokenKey);
}
export function setToken(t) {
  sessionStorage.setItem(tokenKey, t);
}
export function clearToken() {
  sessionStorage.removeItem(tokenKey);
}

export class ApiError extends Error {
  constructor(status, body, text) {
    super(describe(status, body, text));
    this.status = status;
    this.body = body;
    this.items = body && Array.isArray(body.detail) ? body.detail : [];
    this.code = body && typeof body.code === 'string' ? body.code : null;
  }
}

export function locText(loc) {
  // ["body", "url"] reads as "url"; ["query", "limit"] as "limit (query)".
  if (!Array.isArray(loc)) return '';
  const parts = loc.map(String);
  if (parts[0] === 'body') return parts.slice(1).join('.') || 'body';
  if (parts.length > 1) return parts.slice(1).join('.') + ' (' + parts[0] + ')';
  return parts.join('.');
}

function describe(status, body, text) {
  if (status === 0) return (body && body.detail) || 'The server could not be reached.';
  if (body && Array.isArray(body.detail)) {
    const lines = body.detail.map((d) => {
      const where = locText(d.loc);
      return (where ? where + ': ' : '') + d.msg;
    });
    return 'The input is not valid: ' + lines.join('; ');
  }
  if (body && typeof body.detail === 'string') {
    return body.detail + ' (' + (body.code || 'error') + ', HTTP ' + status + ')';
  }
  if (text) return 'HTTP ' + status + ': ' + text.slice(0, 200);
  return 'The request failed with HTTP ' + status + '.';
}

// The page's answer to a refused token (401), heard before the caller sees the error.
let onUnauthorized = null;
export function setUnauthorized(fn) {
  onUnauthorized = fn;
}

// A request body that is already JSON text.
function RawJson(text) {
  this.text = text;
}
export function rawJson(text) {
  return new RawJson(text);
}

export async function api(method, path, body, extraHeaders) {
  const headers = Object.assign({ Accept: 'application/json' }, extraHeaders || {});
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  const init = { method: method, headers: headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    // Raw JSON text goes as typed, so that the key order of an envelope template (which is
    // the order on the wire) survives.
    init.body = body instanceof RawJson ? body.text : JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { detail: 'The server could not be reached (' + e.message + ').' });
  }
  const text = await res.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch (e) {
      json = null;
    }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, json, text);
    if (res.status === 401 && onUnauthorized) onUnauthorized(err);
    throw err;
  }
  return json;
}

export function qs(params) {
  const parts = [];
  Object.keys(params).forEach((k) => {
    const v = params[k];
    if (v === undefined || v === null || v === '') return;
    (Array.isArray(v) ? v : [v]).forEach((item) => {
      parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(item));
    });
  });
  return parts.length ? '?' + parts.join('&') : '';
}

export const enc = encodeURIComponent;

// The API paths of an application and of one of its endpoints.
export const appPath = (app) => '/api/v1/app/' + enc(app);
export const epPath = (app, ep) => appPath(app) + '/endpoint/' + enc(ep);
