// hookd's operator dashboard: the event-type catalogue (create, archive, restore). After a
// change it tells catalogue.js to forget its copy, so the endpoint forms list the new state.

import { api, enc, qs } from './api.js';
import { h, render } from './dom.js';
import { act } from './feedback.js';
import { field, onSubmit } from './forms.js';
import { checkKey } from './checks.js';
import { pretty } from './format.js';
import { pagedList } from './paging.js';
import { firstExample, forgetEventTypes } from './catalogue.js';


export function eventTypesView() {
  const name = h('input', { type: 'text', name: 'name', placeholder: 'invoice.paid' });
  const description = h('input', { type: 'text', name: 'description' });
  const schema = h('textarea', { name: 'schemas', placeholder: '{"1": {"type": "object", "examples": [{"invoice": "in_1"}]}}' });
  let list;
  const form = onSubmit(h('form.stack.event-type-form', { novalidate: true, 'data-writes': '' },
    h('div.grid2', field('Name', name), field('Description', description)),
    field('Schemas', schema, 'optional JSON: versions mapping to JSON schemas; "examples" feed test events'),
    h('div.row', h('button.primary', { type: 'submit' }, 'Create event type'))), () => {
    const p = [];
    const e = checkKey(name.value.trim());
    if (e) p.push({ field: 'name', msg: 'Name ' + e });
    if (schema.value.trim()) {
      try {
        const v = JSON.parse(schema.value);
        if (!v || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => !x || typeof x !== 'object' || Array.isArray(x))) {
          p.push({ field: 'schemas', msg: 'Schemas must be an object mapping versions to JSON schema objects' });
        }
      } catch (err) {
        p.push({ field: 'schemas', msg: 'Schemas is not valid JSON: ' + err.message });
      }
    }
    return p;
  }, async () => {
    const body = { name: name.value.trim(), description: description.value };
    if (schema.value.trim()) body.schemas = JSON.parse(schema.value);
    const et = await api('POST', '/api/v1/event-type', body);
    name.value = '';
    description.value = '';
    schema.value = '';
    forgetEventTypes();
    list.reload();
    return et;
  }, (et) => 'Event type ' + et.name + ' created.');
  list = pagedList({
    label: 'Event type pages',
    empty: 'No event types yet.',
    load: (it) => api('GET', '/api/v1/event-type' + qs({ limit: 20, iterator: it, with_content: 'true', include_archived: 'true' })),
    render: (data) => h('div', data.map((et) => {
      const archive = h('button.small', { type: 'button', 'data-writes': '' }, et.archived ? 'Unarchive' : 'Archive');
      archive.addEventListener('click', async () => {
        const out = await act(archive, () => (et.archived
          ? api('PATCH', '/api/v1/event-type/' + enc(et.name), { archived: false })
          : api('DELETE', '/api/v1/event-type/' + enc(et.name)).then(() => ({}))),
        et.archived ? 'Event type restored.' : 'Event type archived: endpoints can no longer subscribe to it.');
        if (out !== undefined) {
          forgetEventTypes();
          list.reload();
        }
      });
      const example = firstExample(et);
      return h('div.event-type',
        h('div.row.spread', h('div', h('code', et.name), et.archived ? ' ' : null, et.archived ? h('span.badge.badge-disabled', 'archived') : null,
          et.description ? h('div.muted.small', et.description) : null), archive),
        et.schemas ? h('details', h('summary', 'Schema'), h('pre', pretty(et.schemas))) : null,
        example !== undefined ? h('details', h('summary', 'Example'), h('pre', pretty(example))) : null);
    })),
  });
  render(h('h1', 'Event types'),
    h('section.card', h('h2', 'New event type'), form),
    h('section.card', h('h2', 'Catalogue'), list));
}
