// hookd's consoles: lists that page with the API's cursors (iterator and prevIterator). It
// must not know what it lists: the caller loads pages and draws them.

import { h, clear } from './dom.js';

// A list that pages with the API's cursors: "Next" follows `iterator`, "Previous" follows
// `prevIterator` (the API reads a leading '-' as "the page before"). `load(iterator)` returns
// a ListResponse; `render(data)` returns (or resolves to) the node showing it; `onLoad(resp)`,
// if given, hears about every page loaded.
export function pagedList(opts) {
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
