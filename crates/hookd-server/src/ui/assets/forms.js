// hookd's consoles: forms. Labelled fields, client checks run before sending, and errors shown
// next to the fields they name (the client's, or the API's 422 detail[] by location). It must
// not know any particular form: the views pass their checks and submissions.

import { ApiError, locText } from './api.js';
import { h } from './dom.js';
import { flash } from './feedback.js';

export function field(label, input, hint) {
  const id = input.id || 'f-' + Math.random().toString(36).slice(2);
  input.id = id;
  return h('div.field', h('label', { for: id }, label, hint ? h('span.hint', ' ' + hint) : null), input);
}

export function clearErrors(form) {
  form.querySelectorAll('.field-error, .form-error').forEach((n) => n.remove());
  form.querySelectorAll('[aria-invalid]').forEach((n) => {
    n.removeAttribute('aria-invalid');
    n.removeAttribute('aria-describedby');
  });
}

// Shows errors next to their fields. `errors` is a list of {field, msg} (client checks) or an
// ApiError with 422 items whose loc is ["body", field, ...]. What matches no field is shown
// at the top of the form; either way the flash area repeats the whole message.
export function showErrors(form, errors) {
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
export function onSubmit(form, check, submit, success) {
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
