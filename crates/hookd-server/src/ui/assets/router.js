// hookd's consoles: hash routing (#/path?query), the navigation's current page, and the skip
// link. It must not know the consoles' views: each page passes its routes.

import { h, main, render } from './dom.js';
import { dropStale } from './feedback.js';

// Hash routes: `routes` is a list of [pattern, handler]; ':name' segments become params, and
// the query part of the hash is passed as URLSearchParams. The page calls the returned
// function on start and on every hashchange.
export function router(routes, fallback) {
  function run() {
    dropStale();
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
