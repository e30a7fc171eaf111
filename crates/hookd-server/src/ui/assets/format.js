// hookd's consoles: how values read. Times (and the datetime-local inputs' values), indented
// JSON, status badges and trigger names. It must not fetch anything.

import { h } from './dom.js';

function pad(n) {
  return String(n).padStart(2, '0');
}
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
    pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}
export function timeEl(iso) {
  return h('time', { datetime: iso || '', title: iso || '' }, fmtTime(iso));
}
// A datetime-local input's value as RFC 3339 (it is local time; the API wants an offset).
export function localInputToIso(value) {
  if (!value) return '';
  const d = new Date(value);
  return isNaN(d) ? '' : d.toISOString();
}
export function isoToLocalInput(d) {
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes());
}
export function pretty(jsonOrText) {
  if (typeof jsonOrText !== 'string') return JSON.stringify(jsonOrText, null, 2);
  try {
    return JSON.stringify(JSON.parse(jsonOrText), null, 2);
  } catch (e) {
    return jsonOrText;
  }
}
const STATUS_TEXT = { 0: 'success', 1: 'pending', 2: 'fail', 3: 'sending' };
export function badge(statusOrText) {
  const text = typeof statusOrText === 'number' ? STATUS_TEXT[statusOrText] : statusOrText;
  return h('span.badge.badge-' + (text || 'pending'), text || 'unknown');
}
export function triggerText(t) {
  return t === 1 ? 'manual' : 'scheduled';
}
// An endpoint's state: disabled, failing (every attempt since `failingSince` failed), or
// enabled. A failing endpoint is still enabled, but green would say all is well.
export function endpointState(ep) {
  if (ep.disabled) return h('span.badge.badge-disabled', 'disabled');
  if (ep.failingSince) {
    return h('span.badge.badge-fail', { title: 'Every attempt since ' + fmtTime(ep.failingSince) + ' failed' }, 'failing');
  }
  return h('span.badge.badge-success', 'enabled');
}
