// hookd's consoles: building the page. A DOM builder that never parses data as HTML (every
// string becomes a text node), rendering a view into <main>, and tables. It must not fetch
// anything.

// h('tag.class1.class2', {attrs, on: {click: fn}}, children...). Strings become text nodes,
// so no API value is ever interpreted as HTML.
export function h(spec, attrs) {
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

export function append(node, children) {
  children.forEach((c) => {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) append(node, c);
    else node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  });
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function main() {
  return document.getElementById('main');
}

// Replaces the page's content and moves focus to its heading, for keyboard and screen
// reader users, after a navigation.
export function render() {
  const m = clear(main());
  append(m, Array.prototype.slice.call(arguments));
  const heading = m.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
  return m;
}

export function table(headers, rows) {
  return h('div.table-wrap', h('table',
    h('thead', h('tr', headers.map((c) => {
      const [text, cls] = Array.isArray(c) ? c : [c, null];
      return h('th', { scope: 'col', class: cls }, text);
    }))),
    h('tbody', rows)));
}
