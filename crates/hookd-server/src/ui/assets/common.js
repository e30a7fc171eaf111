// hookd's consoles: what the dashboard and the portal share. The API client (with the token
// from sessionStorage), readable errors from the API's {code, detail} and 422 detail[] shapes,
// a DOM builder that never parses data as HTML, flash messages, form checks that mirror the
// API's, pagination over iterator/prevIterator, masked secrets, hash routing, and the
// request an attempt sent (as recorded, or reconstructed for attempts that predate recording).
'use strict';

window.hk = (function () {
  let tokenKey = 'hookd.token';

  // ---- Token ----

  function configure(opts) {
    if (opts.tokenKey) tokenKey = opts.tokenKey;
  }
  function token() {
    return sessionStorage.getItem(tokenKey);
  }
  function setToken(t) {
    sessionStorage.setItem(tokenKey, t);
  }
  function clearToken() {
    sessionStorage.removeItem(tokenKey);
  }

  // ---- API client ----

  class ApiError extends Error {
    constructor(status, body, text) {
      super(describe(status, body, text));
      this.status = status;
      this.body = body;
      this.items = body && Array.isArray(body.detail) ? body.detail : [];
      this.code = body && typeof body.code === 'string' ? body.code : null;
    }
  }

  function locText(loc) {
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

  let onUnauthorized = null;

  // A request body that is already JSON text.
  function RawJson(text) {
    this.text = text;
  }
  function rawJson(text) {
    return new RawJson(text);
  }

  async function api(method, path, body, extraHeaders) {
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

  function qs(params) {
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

  const enc = encodeURIComponent;

  // ---- DOM ----

  // h('tag.class1.class2', {attrs, on: {click: fn}}, children...). Strings become text nodes,
  // so no API value is ever interpreted as HTML.
  function h(spec, attrs) {
    const [tag, ...classes] = spec.split('.');
    const node = document.createElement(tag || 'div');
    if (classes.length) node.className = classes.join(' ');
    let children = Array.prototype.slice.call(arguments, 2);
    if (attrs && (attrs instanceof Node || typeof attrs !== 'object' || Array.isArray(attrs))) {
      children.unshift(attrs);
      attrs = null;
    }
    let value;
    if (attrs) {
      Object.keys(attrs).forEach((k) => {
        const v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'value') {
          // A property, set once the children (a select's options) exist.
          value = v;
        } else if (k === 'on') {
          Object.keys(v).forEach((ev) => node.addEventListener(ev, v[ev]));
        } else if (k === 'class') {
          node.className = (node.className ? node.className + ' ' : '') + v;
        } else if (k === 'text') {
          node.textContent = v;
        } else if (k in node && typeof v !== 'string' && k !== 'list') {
          node[k] = v;
        } else {
          node.setAttribute(k, v === true ? '' : String(v));
        }
      });
    }
    append(node, children);
    if (value !== undefined) node.value = value;
    return node;
  }

  function append(node, children) {
    children.forEach((c) => {
      if (c === null || c === undefined || c === false) return;
      if (Array.isArray(c)) append(node, c);
      else node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function main() {
    return document.getElementById('main');
  }

  // Replaces the page's content and moves focus to its heading, for keyboard and screen
  // reader users, after a navigation.
  function render() {
    const m = clear(main());
    append(m, Array.prototype.slice.call(arguments));
    const heading = m.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
    return m;
  }

  // ---- Flash messages ----

  function flash(message, kind) {
    const box = document.getElementById('flash');
    clear(box);
    if (!message) return;
    const isError = kind === 'error';
    const body = h('div');
    if (message instanceof ApiError && message.items.length) {
      body.appendChild(h('strong', 'The input is not valid:'));
      body.appendChild(
        h('ul', message.items.map((d) => h('li', (locText(d.loc) ? locText(d.loc) + ': ' : '') + d.msg)))
      );
    } else {
      body.textContent = message instanceof Error ? message.message : String(message);
    }
    const note = h('div.flash.' + (isError ? 'flash-error' : 'flash-ok'), {
      role: isError ? 'alert' : 'status',
      'data-kind': isError ? 'error' : 'ok',
    },
    body,
    h('button', { type: 'button', 'aria-label': 'Dismiss', on: { click: () => clear(box) } }, '×'));
    box.appendChild(note);
  }

  // Runs an action from a button: disables it meanwhile, reports success or the readable error.
  async function act(button, fn, success) {
    if (button) button.disabled = true;
    try {
      const result = await fn();
      if (success) flash(typeof success === 'function' ? success(result) : success, 'ok');
      return result;
    } catch (e) {
      flash(e, 'error');
      return undefined;
    } finally {
      if (button && button.isConnected) button.disabled = false;
    }
  }

  // A button whose action asks first, inline (no modal dialog, which an embedding page may
  // block): a click shows the question with a confirming and a cancelling button.
  function confirming(button, question, yesLabel, fn) {
    button.addEventListener('click', () => {
      if (button.nextSibling && button.nextSibling.classList && button.nextSibling.classList.contains('confirm')) return;
      const yes = h('button.danger.confirm-yes', { type: 'button' }, yesLabel);
      const no = h('button', { type: 'button' }, 'Cancel');
      const box = h('span.confirm.row', { role: 'group', 'aria-label': question }, h('span', question), yes, no);
      const close = () => {
        box.remove();
        button.hidden = false;
        button.focus();
      };
      no.addEventListener('click', close);
      yes.addEventListener('click', async () => {
        await fn(yes);
        if (box.isConnected) close();
      });
      button.hidden = true;
      button.parentNode.insertBefore(box, button.nextSibling);
      yes.focus();
    });
    return button;
  }

  // ---- Forms ----

  function field(label, input, hint) {
    const id = input.id || 'f-' + Math.random().toString(36).slice(2);
    input.id = id;
    return h('div.field', h('label', { for: id }, label, hint ? h('span.hint', ' ' + hint) : null), input);
  }

  function clearErrors(form) {
    form.querySelectorAll('.field-error, .form-error').forEach((n) => n.remove());
    form.querySelectorAll('[aria-invalid]').forEach((n) => {
      n.removeAttribute('aria-invalid');
      n.removeAttribute('aria-describedby');
    });
  }

  // Shows errors next to their fields. `errors` is a list of {field, msg} (client checks) or an
  // ApiError with 422 items whose loc is ["body", field, ...]. What matches no field is shown
  // at the top of the form; either way the flash area repeats the whole message.
  function showErrors(form, errors) {
    clearErrors(form);
    let list = errors;
    if (errors instanceof ApiError) {
      // The most specific part of the location that names a field of this form wins:
      // ["body", "options", "retryPolicy", "baseSecs"] lands at the baseSecs input.
      const fieldOf = (loc) => {
        if (!Array.isArray(loc) || loc[0] !== 'body') return '';
        for (let i = loc.length - 1; i >= 1; i--) {
          if (form.querySelector('[name="' + CSS.escape(String(loc[i])) + '"]')) return String(loc[i]);
        }
        return '';
      };
      list = errors.items.map((d) => ({
        field: fieldOf(d.loc),
        msg: (locText(d.loc) ? locText(d.loc) + ': ' : '') + d.msg,
      }));
      if (!list.length) list = [{ field: '', msg: errors.message }];
    }
    let first = null;
    list.forEach((e) => {
      const input = e.field ? form.querySelector('[name="' + CSS.escape(e.field) + '"]') : null;
      const id = 'err-' + Math.random().toString(36).slice(2);
      const p = h('p.' + (input ? 'field-error' : 'form-error'), { id: id }, e.msg);
      if (input) {
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', id);
        (input.closest('.field') || input.parentNode).appendChild(p);
        if (!first) first = input;
      } else {
        form.insertBefore(p, form.firstChild);
      }
    });
    if (first) first.focus();
  }

  // Runs a form's submission: client checks first (`check` returns a list of {field, msg}),
  // then the API call; errors are shown at the fields and in the flash area.
  function onSubmit(form, check, submit, success) {
    // Editing a field that was marked wrong takes its mark away, so no stale error remains
    // beside a corrected value.
    form.addEventListener('input', (ev) => {
      const input = ev.target;
      if (!input.getAttribute || input.getAttribute('aria-invalid') !== 'true') return;
      const note = document.getElementById(input.getAttribute('aria-describedby') || '');
      if (note) note.remove();
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const problems = check ? check() : [];
      if (problems.length) {
        showErrors(form, problems);
        flash('Please correct the highlighted fields: ' + problems.map((p) => p.msg).join('; '), 'error');
        return;
      }
      const button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      try {
        const result = await submit();
        if (success) flash(typeof success === 'function' ? success(result) : success, 'ok');
      } catch (e) {
        if (e instanceof ApiError && e.items.length) showErrors(form, e);
        flash(e, 'error');
      } finally {
        if (button && button.isConnected) button.disabled = false;
      }
    });
    return form;
  }

  // The API's own rules, checked before sending so a person learns at once (the API checks
  // them again, and its answer is shown the same way).
  const KEY_RE = /^[a-zA-Z0-9\-_.]+$/;
  function checkKey(value, max) {
    if (!value) return 'must not be empty';
    if (value.length > (max || 256)) return 'must be at most ' + (max || 256) + ' characters long';
    if (!KEY_RE.test(value)) return "may only contain letters, digits, '-', '_' and '.'";
    return null;
  }
  function checkUrl(value) {
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
  function checkHeaderName(name) {
    if (!name || !/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(name)) return "'" + name + "' is not a valid header name";
    const lower = name.toLowerCase();
    if (FORBIDDEN_HEADERS.indexOf(lower) >= 0) return "'" + name + "' is set by hookd and cannot be changed";
    if (FORBIDDEN_PREFIXES.some((p) => lower.startsWith(p))) return "'" + name + "' starts with a reserved prefix";
    return null;
  }
  function checkHeaderValue(value) {
    if (/[\r\n\0]/.test(value)) return 'must not contain line breaks';
    if (value.length > 4096) return 'must be at most 4096 bytes';
    return null;
  }
  function checkRate(value) {
    if (value === '') return null;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 65535) return 'must be a whole number from 1 to 65535';
    return null;
  }

  // ---- Formatting ----

  function pad(n) {
    return String(n).padStart(2, '0');
  }
  function fmtTime(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }
  function timeEl(iso) {
    return h('time', { datetime: iso || '', title: iso || '' }, fmtTime(iso));
  }
  // A datetime-local input's value as RFC 3339 (it is local time; the API wants an offset).
  function localInputToIso(value) {
    if (!value) return '';
    const d = new Date(value);
    return isNaN(d) ? '' : d.toISOString();
  }
  function isoToLocalInput(d) {
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes());
  }
  function pretty(jsonOrText) {
    if (typeof jsonOrText !== 'string') return JSON.stringify(jsonOrText, null, 2);
    try {
      return JSON.stringify(JSON.parse(jsonOrText), null, 2);
    } catch (e) {
      return jsonOrText;
    }
  }
  const STATUS_TEXT = { 0: 'success', 1: 'pending', 2: 'fail', 3: 'sending' };
  function badge(statusOrText) {
    const text = typeof statusOrText === 'number' ? STATUS_TEXT[statusOrText] : statusOrText;
    return h('span.badge.badge-' + (text || 'pending'), text || 'unknown');
  }
  function triggerText(t) {
    return t === 1 ? 'manual' : 'scheduled';
  }

  // ---- Pagination ----

  // A list that pages with the API's cursors: "Next" follows `iterator`, "Previous" follows
  // `prevIterator` (the API reads a leading '-' as "the page before"). `load(iterator)` returns
  // a ListResponse; `render(data)` returns (or resolves to) the node showing it; `onLoad(resp)`,
  // if given, hears about every page loaded.
  function pagedList(opts) {
    const box = h('div.paged');
    const body = h('div');
    const prev = h('button.small', { type: 'button' }, '‹ Previous');
    const next = h('button.small', { type: 'button' }, 'Next ›');
    const info = h('span.muted.small');
    const pager = h('nav.pager', { 'aria-label': opts.label || 'Pages' }, prev, next, info);
    box.appendChild(body);
    box.appendChild(pager);
    let page = null;
    let first = true;
    let cameBackward = false;
    let pageNo = 1;

    async function go(iterator, backward, number) {
      prev.disabled = true;
      next.disabled = true;
      try {
        const resp = await opts.load(iterator);
        page = resp;
        first = !iterator;
        cameBackward = backward;
        pageNo = number;
        const node = resp.data.length ? await opts.render(resp.data) : h('p.muted.empty-list', opts.empty || 'Nothing here yet.');
        clear(body);
        body.appendChild(node);
        if (opts.onLoad) opts.onLoad(resp);
      } catch (e) {
        clear(body);
        body.appendChild(h('p.form-error', { role: 'alert' }, e.message));
        page = null;
      }
      update();
    }
    function update() {
      if (!page) {
        prev.disabled = true;
        next.disabled = true;
        return;
      }
      // Going forward, `done` says whether more follow; coming back, whether more precede.
      const morePrev = !first && !(cameBackward && page.done);
      const moreNext = cameBackward ? true : !page.done;
      prev.disabled = !morePrev || !page.prevIterator;
      next.disabled = !moreNext || !page.iterator;
      pager.hidden = first && !moreNext;
      info.textContent = 'Page ' + pageNo;
    }
    prev.addEventListener('click', () => go(page.prevIterator, true, Math.max(1, pageNo - 1)));
    next.addEventListener('click', () => go(page.iterator, false, pageNo + 1));
    box.reload = () => go(null, false, 1);
    box.isFirst = () => first;
    box.reload();
    return box;
  }

  function table(headers, rows) {
    return h('div.table-wrap', h('table',
      h('thead', h('tr', headers.map((c) => {
        const [text, cls] = Array.isArray(c) ? c : [c, null];
        return h('th', { scope: 'col', class: cls }, text);
      }))),
      h('tbody', rows)));
  }

  // ---- Secrets ----

  // A secret shown masked until "Reveal" fetches and shows it.
  function secretBox(fetchSecret, label) {
    // The mask names no prefix: whether it is a whsec_ secret or a whpk_ public key is only
    // known once revealed.
    const MASK = '•'.repeat(30);
    const code = h('code.secret-value', { 'aria-label': (label || 'Secret') + ' (hidden)' }, MASK);
    const reveal = h('button.small.reveal', { type: 'button', 'aria-pressed': 'false' }, 'Reveal');
    const copy = h('button.small', { type: 'button', hidden: true }, 'Copy');
    let value = null;
    reveal.addEventListener('click', async () => {
      if (value !== null) {
        value = null;
        code.textContent = MASK;
        code.setAttribute('aria-label', (label || 'Secret') + ' (hidden)');
        reveal.textContent = 'Reveal';
        reveal.setAttribute('aria-pressed', 'false');
        copy.hidden = true;
        return;
      }
      const v = await act(reveal, fetchSecret);
      if (v === undefined) return;
      value = v;
      code.textContent = v;
      code.removeAttribute('aria-label');
      reveal.textContent = 'Hide';
      reveal.setAttribute('aria-pressed', 'true');
      copy.hidden = false;
    });
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(value);
        flash('Copied the secret to the clipboard.', 'ok');
      } catch (e) {
        flash('The browser did not allow copying; select the text instead.', 'error');
      }
    });
    const box = h('div.secret', code, reveal, copy);
    box.hide = () => {
      if (value !== null) reveal.click();
    };
    return box;
  }

  // ---- The request hookd sends for an attempt ----

  const SENSITIVE = ['x-auth-token', 'x-api-key', 'www-authenticate', 'authorization', 'proxy-authenticate', 'proxy-authorization'];

  // Reconstructs what hookd sent for an attempt: attempts record the response, not the request,
  // so this is derived from the message (id, payload), the attempt's time and the endpoint's
  // *current* custom headers. Signatures and sensitive header values are masked.
  function derivedRequest(msg, attempt, endpointHeaders, userAgent, options) {
    const opts = options || {};
    const ts = String(Math.floor(new Date(attempt.timestamp).getTime() / 1000));
    const rows = [];
    const notes = [];
    const custom = (endpointHeaders && endpointHeaders.headers) || {};
    Object.keys(custom).forEach((k) => rows.push([k, custom[k], 'endpoint header (current value)']));
    ((endpointHeaders && endpointHeaders.sensitive) || []).forEach((k) => rows.push([k, '•••••• (sensitive)', 'endpoint header']));
    if (opts.contentType === undefined) rows.push(['content-type', 'application/json', '']);
    else if (opts.contentType !== '') rows.push(['content-type', opts.contentType, 'endpoint option']);
    rows.push(['user-agent', userAgent || 'hookd', '']);
    if (opts.auth) {
      notes.push('The endpoint authenticates with its own schemes (options.auth): their headers are sent with secret values, not shown here, and the Standard Webhooks headers only if a scheme asks for them.');
    }
    rows.push(['webhook-id', msg.id, opts.auth ? 'when signed' : '']);
    rows.push(['webhook-timestamp', ts, 'about the attempt time']);
    rows.push(['webhook-signature', 'v1,•••••• (masked)', '']);
    rows.push(['svix-id', msg.id, '']);
    rows.push(['svix-timestamp', ts, 'about the attempt time']);
    rows.push(['svix-signature', 'v1,•••••• (masked)', '']);
    if (opts.envelope) notes.push('The endpoint wraps payloads in an envelope (options.envelope): the body sent was the rendered envelope around this payload.');
    else notes.push('If the event type defines an envelope, the body sent was that envelope around this payload.');
    return { method: 'POST', url: attempt.url, headers: rows, body: msg.payload, notes: notes };
  }

  // The request part of an attempt's details: derived from the message and the endpoint's
  // current settings, for attempts that did not record their request.
  function derivedRequestPart(attempt, msg, endpointHeaders, userAgent, options) {
    const req = derivedRequest(msg, attempt, endpointHeaders, userAgent, options);
    return h('div.request-derived',
      h('p.note', 'This attempt did not record its request: this is reconstructed from the message and the endpoint\'s current headers and options. Signatures and sensitive values are masked.'),
      req.notes.map((n) => h('p.muted.small', n)),
      h('p.mono.break', req.method + ' ' + req.url),
      h('div.table-wrap', h('table.headers', h('tbody', req.headers.map((r) =>
        h('tr', h('td.mono', r[0]), h('td.mono.break', r[1]), h('td.muted.small', r[2])))))),
      h('pre.request-body', pretty(req.body)));
  }

  // The request part of an attempt's details, as the attempt recorded it. A body cut at the
  // recording limit is shown as the text it is (not re-indented: it is not whole JSON).
  function recordedRequestPart(sent) {
    let body;
    if (sent.body === null) {
      body = h('p.muted.request-body-note', sent.bodyNote || 'The body is not available.');
    } else if (sent.bodyTruncated) {
      body = [h('pre.request-body.truncated', sent.body + '…'),
        h('p.muted.small.request-body-note', sent.bodyNote || 'The body was cut where recording stopped.')];
    } else {
      body = h('pre.request-body', pretty(sent.body));
    }
    return h('div.request-recorded',
      h('p.muted.small', 'As recorded when the attempt was made; secret values are masked.'),
      h('p.mono.break', sent.method + ' ' + sent.url),
      h('div.table-wrap', h('table.headers', h('tbody', sent.headers.map((r) =>
        h('tr', h('td.mono', r.name), h('td.mono.break', r.value)))))),
      body);
  }

  // One attempt, collapsed: opening it loads the request it recorded (once).
  function attemptDetails(attempt, msg, endpointHeaders, userAgent, actions, options, appId) {
    const ok = attempt.status === 0;
    const request = h('div.request', h('p.muted.small', 'Loading the request…'));
    let loaded = false;
    const load = async () => {
      if (loaded) return;
      loaded = true;
      try {
        const sent = await api('GET', '/api/v1/app/' + encodeURIComponent(appId) + '/msg/' +
          encodeURIComponent(msg.id) + '/attempt/' + encodeURIComponent(attempt.id) + '/request');
        clear(request).appendChild(sent.recorded
          ? recordedRequestPart(sent)
          : derivedRequestPart(attempt, msg, endpointHeaders, userAgent, options));
      } catch (e) {
        loaded = false;
        clear(request).appendChild(h('p.form-error', { role: 'alert' }, e.message));
      }
    };
    const details = h('details.attempt', { 'data-attempt': attempt.id },
      h('summary',
        badge(attempt.status),
        h('span.mono', attempt.responseStatusCode ? 'HTTP ' + attempt.responseStatusCode : 'no response'),
        h('span.muted', attempt.responseDurationMs + ' ms'),
        h('span.muted', triggerText(attempt.triggerType)),
        timeEl(attempt.timestamp),
        h('span.muted.small.break', attempt.url)),
      h('div',
        actions || null,
        h('h4', 'Request sent'),
        request,
        h('h4', 'Response received'),
        h('p', ok ? 'Delivered: ' : 'Failed: ', attempt.responseStatusCode ? 'HTTP ' + attempt.responseStatusCode : 'no response (status 0)', ' in ' + attempt.responseDurationMs + ' ms'),
        attempt.retryAfter ? h('p.retry-after', 'The receiver asked to be retried later: ', h('code', 'Retry-After: ' + attempt.retryAfter)) : null,
        attempt.nextAttempt ? h('p.next-attempt', 'Next attempt scheduled for ', timeEl(attempt.nextAttempt), attempt.retryAfter ? ' (the retry schedule\'s time, moved later when the receiver asked for later, at most 24 hours after its answer).' : '.') : null,
        h('pre.response-body', attempt.response === '' ? '(empty body)' : pretty(attempt.response))));
    details.addEventListener('toggle', () => {
      if (details.open) load();
    });
    // Opened by the caller before it is shown (a refresh keeps open what was open).
    queueMicrotask(() => {
      if (details.open) load();
    });
    return details;
  }

  // ---- Shared pieces of both consoles ----

  // The event-type catalogue by name, schemas included, fetched once per page: every page of
  // it, up to CATALOGUE_MAX_PAGES pages of 250 (a catalogue larger than that is shown in part,
  // and says so).
  const CATALOGUE_MAX_PAGES = 40;
  let catalogue = null;
  async function fetchCatalogue() {
    const data = [];
    let iterator = null;
    for (let page = 0; page < CATALOGUE_MAX_PAGES; page++) {
      const resp = await api('GET', '/api/v1/event-type' + qs({ limit: 250, with_content: 'true', iterator: iterator }));
      resp.data.forEach((et) => data.push(et));
      if (resp.done || !resp.iterator) return { data: data, done: true };
      iterator = resp.iterator;
    }
    return { data: data, done: false };
  }
  async function eventTypes() {
    if (!catalogue) {
      catalogue = fetchCatalogue().catch((e) => {
        catalogue = null;
        throw e;
      });
    }
    return catalogue;
  }
  function forgetEventTypes() {
    catalogue = null;
  }

  function firstExample(et) {
    const schemas = et.schemas || {};
    const versions = ['1'].concat(Object.keys(schemas).filter((v) => v !== '1'));
    for (const v of versions) {
      const sc = schemas[v];
      if (sc && Array.isArray(sc.examples) && sc.examples.length) return sc.examples[0];
    }
    return undefined;
  }

  // Checkboxes over the catalogue; none checked means "every event type". With `details`, each
  // type shows its description, schema and example.
  async function eventTypePicker(selected, details) {
    const list = await eventTypes();
    const chosen = new Set(selected || []);
    const fs = h('fieldset.event-types', h('legend', 'Event types'),
      h('p.hint', 'Leave all unchecked to receive every event type.'));
    const live = list.data.filter((et) => !et.archived || chosen.has(et.name));
    if (!live.length) fs.appendChild(h('p.muted', 'The catalogue has no event types yet.'));
    live.forEach((et) => {
      const id = 'et-' + et.name.replace(/[^a-zA-Z0-9_-]/g, '_');
      const box = h('input', { type: 'checkbox', name: 'eventTypes', value: et.name, id: id, checked: chosen.has(et.name) });
      const row = h('div.event-type', h('label.check', { for: id }, box, h('span', h('code', et.name), et.deprecated ? ' (deprecated)' : '', et.description ? h('span.hint', ' — ' + et.description) : null)));
      if (details) {
        const example = firstExample(et);
        if (et.schemas && Object.keys(et.schemas).length) {
          row.appendChild(h('details', h('summary', 'Schema'), h('pre.schema', pretty(et.schemas))));
        }
        if (example !== undefined) {
          row.appendChild(h('details', h('summary', 'Example payload'), h('pre.example', pretty(example))));
        }
      }
      fs.appendChild(row);
    });
    if (!list.done) fs.appendChild(h('p.hint', 'Only the first ' + list.data.length + ' event types are listed.'));
    // A long catalogue gets a filter, so that a type can be found without scrolling.
    if (live.length > 12) {
      const filter = h('input', { type: 'search', name: 'eventTypeFilter', placeholder: 'Filter event types', 'aria-label': 'Filter event types' });
      filter.addEventListener('input', () => {
        const needle = filter.value.trim().toLowerCase();
        fs.querySelectorAll('div.event-type').forEach((row) => {
          const name = row.querySelector('input[name="eventTypes"]').value.toLowerCase();
          row.hidden = needle !== '' && name.indexOf(needle) < 0;
        });
      });
      fs.insertBefore(filter, fs.querySelector('div.event-type'));
    }
    fs.selected = () => Array.from(fs.querySelectorAll('input[name="eventTypes"]:checked')).map((i) => i.value);
    return fs;
  }

  // The form that creates (no `ep`) or edits an endpoint. `full` adds the operator's fields
  // (uid, rate limit). Resolves to the saved endpoint through `onSaved`.
  async function endpointForm(appId, ep, full, onSaved) {
    const url = h('input', { type: 'url', name: 'url', required: true, value: ep ? ep.url : '', placeholder: 'https://example.com/webhooks', autocomplete: 'off' });
    const description = h('input', { type: 'text', name: 'description', value: ep ? ep.description : '' });
    const channels = h('input', { type: 'text', name: 'channels', value: ep && ep.channels ? ep.channels.join(', ') : '', placeholder: 'optional, comma-separated' });
    const uid = h('input', { type: 'text', name: 'uid', value: ep && ep.uid ? ep.uid : '', placeholder: 'optional' });
    const rate = h('input', { type: 'number', name: 'throttleRate', min: '1', value: ep && ep.throttleRate ? String(ep.throttleRate) : '', placeholder: 'no limit' });
    const secret = h('input', { type: 'text', name: 'secret', value: '', placeholder: 'optional: whsec_… (HMAC) or whsk_… (ed25519)', autocomplete: 'off', spellcheck: 'false' });
    const picker = await eventTypePicker(ep ? ep.eventTypes : null, !full);
    const form = h('form.stack.endpoint-form', { novalidate: true },
      field('Endpoint URL', url, 'where hookd POSTs the events (http or https)'),
      field('Description', description),
      picker,
      field('Channels', channels),
      full ? field('UID', uid, 'your own key for this endpoint') : null,
      full ? field('Rate limit', rate, 'deliveries per second') : null,
      ep ? null : field('Signing secret', secret, 'leave empty to have one generated; a whsk_ ed25519 key makes the endpoint sign with v1a'),
      h('div.row', h('button.primary', { type: 'submit' }, ep ? 'Save endpoint' : 'Add endpoint')));
    const splitList = (v) => v.split(',').map((x) => x.trim()).filter(Boolean);
    return onSubmit(form, () => {
      const problems = [];
      const u = checkUrl(url.value.trim());
      if (u) problems.push({ field: 'url', msg: 'URL ' + u });
      splitList(channels.value).forEach((c) => {
        const e = checkKey(c, 128);
        if (e) problems.push({ field: 'channels', msg: "channel '" + c + "' " + e });
      });
      if (full && uid.value.trim()) {
        const e = checkKey(uid.value.trim());
        if (e) problems.push({ field: 'uid', msg: 'UID ' + e });
        else if (uid.value.trim().startsWith('ep_')) problems.push({ field: 'uid', msg: "UID may not start with 'ep_', the prefix of ids" });
      }
      if (full) {
        const e = checkRate(rate.value.trim());
        if (e) problems.push({ field: 'throttleRate', msg: 'Rate limit ' + e });
      }
      return problems;
    }, async () => {
      const types = picker.selected();
      const chans = splitList(channels.value);
      const body = {
        url: url.value.trim(),
        description: description.value,
        eventTypes: types.length ? types : null,
        channels: chans.length ? chans : null,
      };
      if (full) {
        body.uid = uid.value.trim() || null;
        body.throttleRate = rate.value.trim() ? Number(rate.value.trim()) : null;
      }
      const base = '/api/v1/app/' + enc(appId) + '/endpoint';
      let saved;
      if (ep) {
        saved = await api('PATCH', base + '/' + enc(ep.id), body);
      } else {
        body.secret = secret.value.trim() || null;
        Object.keys(body).forEach((k) => body[k] === null && delete body[k]);
        saved = await api('POST', base, body);
      }
      onSaved(saved);
      return saved;
    }, ep ? 'Endpoint saved.' : 'Endpoint added.');
  }

  // The endpoint's signing secret: masked until revealed, and rotated on request (unless
  // `opts.rotate` is false: the portal's token may not rotate it).
  function secretCard(appId, ep, opts) {
    const canRotate = !opts || opts.rotate !== false;
    const base = '/api/v1/app/' + enc(appId) + '/endpoint/' + enc(ep.id);
    const boxHolder = h('div');
    const makeBox = () => secretBox(async () => (await api('GET', base + '/secret')).key, 'Signing secret');
    let box = makeBox();
    boxHolder.appendChild(box);
    const rotate = h('button.rotate', { type: 'button' }, 'Rotate secret');
    confirming(rotate, 'Rotate the signing secret? The old one keeps signing beside the new one for 24 hours.', 'Yes, rotate', async (yes) => {
      const out = await act(yes, () => api('POST', base + '/secret/rotate', {}, { Prefer: 'return=representation' }),
        'Secret rotated. The previous secret keeps signing for 24 hours; reveal the new one to copy it.');
      if (out !== undefined) {
        box = makeBox();
        clear(boxHolder).appendChild(box);
      }
    });
    return h('section.card.secret-card', { 'aria-labelledby': 'secret-h' },
      h('h2', { id: 'secret-h' }, 'Signing secret'),
      h('p.hint', 'Receivers verify the webhook-signature header with this: a whsec_ secret (HMAC, v1 signatures) or, for an ed25519 endpoint, its whpk_ public key (v1a signatures).'),
      boxHolder, canRotate ? h('div.row', rotate) : null);
  }

  // Sends a test event (an event type's example, or the built-in svix.ping) to the endpoint.
  async function testEventCard(appId, ep, onSent) {
    const list = await eventTypes().catch(() => ({ data: [] }));
    const withExamples = list.data.filter((et) => !et.archived && firstExample(et) !== undefined);
    const select = h('select', { name: 'eventType' },
      h('option', { value: 'svix.ping' }, 'svix.ping (a ping: {"success": true})'),
      withExamples.map((et) => h('option', { value: et.name }, et.name + ' (its example)')));
    // Checking the URL sends the same event right away and waits for the receiver's answer
    // (nothing is stored or retried), so a person learns at once whether the URL works.
    const check = h('button.check-url', { type: 'button' }, 'Check the URL now');
    const result = h('div.check-result');
    check.addEventListener('click', async () => {
      clear(result);
      const out = await act(check, () => api('POST', '/api/v1/app/' + enc(appId) + '/endpoint/' + enc(ep.id) + '/test', { eventType: select.value }));
      if (out === undefined) return;
      const answer = out.responseStatusCode ? 'HTTP ' + out.responseStatusCode : 'no answer';
      if (out.success) flash('The endpoint answered ' + answer + ' in ' + out.responseDurationMs + ' ms: it works.', 'ok');
      else flash('The endpoint did not accept the test event (' + answer + '): ' + out.response.slice(0, 200), 'error');
      result.appendChild(h('p.small', badge(out.success ? 'success' : 'fail'), ' ', answer + ', ' + out.responseDurationMs + ' ms'));
      result.appendChild(h('pre.small', out.response === '' ? '(empty body)' : pretty(out.response)));
    });
    const form = h('form.stack.test-form', field('Event type', select),
      h('div.row', h('button.primary', { type: 'submit' }, 'Send test event'), check), result);
    onSubmit(form, null, async () => {
      const msg = await api('POST', '/api/v1/app/' + enc(appId) + '/endpoint/' + enc(ep.id) + '/send-example', { eventType: select.value });
      if (onSent) onSent(msg);
      return msg;
    }, (msg) => 'Test event ' + msg.id + ' queued for delivery.');
    return h('section.card', h('h2', 'Send a test event'),
      h('p.hint', '"Send" queues it like any event (retried, listed under deliveries); "Check" sends it at once and shows the answer.'), form);
  }

  // ---- Routing ----

  // Hash routes: `routes` is a list of [pattern, handler]; ':name' segments become params, and
  // the query part of the hash is passed as URLSearchParams. The page calls the returned
  // function on start and on every hashchange.
  function router(routes, fallback) {
    function run() {
      const raw = location.hash.replace(/^#/, '') || '/';
      const [path, query] = raw.split('?');
      const parts = path.split('/').filter(Boolean);
      for (const [pattern, handler] of routes) {
        const pp = pattern.split('/').filter(Boolean);
        if (pp.length !== parts.length) continue;
        const params = {};
        let match = true;
        for (let i = 0; i < pp.length; i++) {
          if (pp[i].startsWith(':')) params[pp[i].slice(1)] = decodeURIComponent(parts[i]);
          else if (pp[i] !== parts[i]) {
            match = false;
            break;
          }
        }
        if (match) {
          markNav(path);
          Promise.resolve(handler(params, new URLSearchParams(query || ''))).catch((e) => {
            render(h('h1', 'Something went wrong'), h('p.form-error', { role: 'alert' }, e.message));
          });
          return;
        }
      }
      fallback();
    }
    return run;
  }

  // The skip link moves focus to the content; as a plain '#main' link it would change the
  // hash, which the consoles use for their routes.
  document.addEventListener('click', (ev) => {
    const skip = ev.target.closest && ev.target.closest('a.skip');
    if (!skip) return;
    ev.preventDefault();
    main().focus();
  });

  function markNav(path) {
    document.querySelectorAll('[data-nav]').forEach((a) => {
      const target = a.getAttribute('href').replace(/^#/, '');
      const current = target === '/' ? path === '/' : path === target || path.startsWith(target + '/');
      if (current) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
  }

  function setUnauthorized(fn) {
    onUnauthorized = fn;
  }

  return {
    configure, token, setToken, clearToken, api, qs, enc, ApiError, h, append, clear, render,
    flash, act, field, onSubmit, showErrors, clearErrors, checkKey, checkUrl, checkHeaderName,
    checkHeaderValue, checkRate, fmtTime, timeEl, localInputToIso, isoToLocalInput, pretty,
    badge, triggerText, pagedList, table, secretBox, derivedRequest, attemptDetails, router,
    setUnauthorized, rawJson, SENSITIVE, confirming, eventTypes, forgetEventTypes, firstExample, eventTypePicker,
    endpointForm, secretCard, testEventCard,
  };
})();
