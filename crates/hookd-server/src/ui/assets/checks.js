// hookd's consoles: the API's own input rules (keys, URLs, header names and values, rate
// limits), mirrored so a person learns at once. The API checks everything again and stays the
// authority; these must never be looser in a way that hides its answer, and must not touch the
// DOM.

// The API's own rules, checked before sending so a person learns at once (the API checks
// them again, and its answer is shown the same way).
const KEY_RE = /^[a-zA-Z0-9\-_.]+$/;
export function checkKey(value, max) {
  if (!value) return 'must not be empty';
  if (value.length > (max || 256)) return 'must be at most ' + (max || 256) + ' characters long';
  if (!KEY_RE.test(value)) return "may only contain letters, digits, '-', '_' and '.'";
  return null;
}
export function checkUrl(value) {
  if (!value) return 'is required';
  if (value.length > 65536) return 'must be at most 65536 characters long';
  let u;
  try {
    u = new URL(value);
  } catch (e) {
    return 'is not a valid URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must use the http or https scheme';
  if (!u.hostname) return 'must have a host';
  return null;
}
const FORBIDDEN_HEADERS = [
  'user-agent', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailers',
  'transfer-encoding', 'upgrade', 'age', 'cache-control', 'clear-site-data', 'expires', 'pragma',
  'warning', 'content-length', 'content-type', 'content-encoding', 'content-language',
  'content-location', 'host', 'connection',
];
const FORBIDDEN_PREFIXES = ['x-amz-', 'x-amzn-', 'x-google', 'x-goog-', 'x-gfe', 'x-azure-', 'x-fd-', 'x-svix-', 'svix-', 'webhook-'];
export function checkHeaderName(name) {
  if (!name || !/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(name)) return "'" + name + "' is not a valid header name";
  const lower = name.toLowerCase();
  if (FORBIDDEN_HEADERS.indexOf(lower) >= 0) return "'" + name + "' is set by hookd and cannot be changed";
  if (FORBIDDEN_PREFIXES.some((p) => lower.startsWith(p))) return "'" + name + "' starts with a reserved prefix";
  return null;
}
export function checkHeaderValue(value) {
  if (/[\r\n\0]/.test(value)) return 'must not contain line breaks';
  if (value.length > 4096) return 'must be at most 4096 bytes';
  return null;
}
export function checkRate(value) {
  if (value === '') return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) return 'must be a whole number from 1 to 65535';
  return null;
}
