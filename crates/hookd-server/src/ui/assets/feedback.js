// hookd's consoles: telling a person what happened. Flash messages (readable API errors
// included), actions run from a button, and inline confirmation. It must not call the API
// itself: the callers pass the action.

import { ApiError, locText } from './api.js';
import { h, clear } from './dom.js';

export function flash(message, kind) {
  const box = document.getElementById('flash');
  clear(box);
  if (!message) return;
  // The page it was said on: a message about one page is stale on the next (see dropStale).
  box.dataset.page = location.hash;
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

// Clears a message said on another page than the current one. The router calls it on every
// page change; a message said right after an action moved to a new page (created, then
// opened) was said on that new page, and stays.
export function dropStale() {
  const box = document.getElementById('flash');
  if (box && box.dataset.page !== location.hash) clear(box);
}

// Runs an action from a button: disables it meanwhile, reports success or the readable error.
export async function act(button, fn, success) {
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
export function confirming(button, question, yesLabel, fn) {
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
