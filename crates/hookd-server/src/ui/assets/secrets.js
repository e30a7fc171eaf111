// hookd's consoles: secrets shown masked until revealed, and an endpoint's signing-secret card
// (reveal, copy, rotate). A secret is fetched only when a person asks to see it and is never
// stored by the page.

import { api, enc } from './api.js';
import { h, clear } from './dom.js';
import { act, confirming, flash } from './feedback.js';

// A secret shown masked until "Reveal" fetches and shows it.
export function secretBox(fetchSecret, label) {
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

// The endpoint's signing secret: masked until revealed, and rotated on request (unless
// `opts.rotate` is false: the portal's token may not rotate it).
export function secretCard(appId, ep, opts) {
  const canRotate = !opts || opts.rotate !== false;
  const base = '/api/v1/app/' + enc(appId) + '/endpoint/' + enc(ep.id);
  const boxHolder = h('div');
  const makeBox = () => secretBox(async () => (await api('GET', base + '/secret')).key, 'Signing secret');
  let box = makeBox();
  boxHolder.appendChild(box);
  const rotate = h('button.rotate', { type: 'button', 'data-writes': '' }, 'Rotate secret');
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
