// hookd's consoles: the event-type catalogue, fetched once per page, and the event-type picker
// of the endpoint forms. It must not write to the catalogue (the dashboard's event-type view
// does, and then calls forgetEventTypes).

import { api, qs } from './api.js';
import { h } from './dom.js';
import { pretty } from './format.js';

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
export async function eventTypes() {
  if (!catalogue) {
    catalogue = fetchCatalogue().catch((e) => {
      catalogue = null;
      throw e;
    });
  }
  return catalogue;
}
export function forgetEventTypes() {
  catalogue = null;
}

export function firstExample(et) {
  const schemas = et.schemas || {};
  const versions = ['1'].concat(Object.keys(schemas).filter((v) => v !== '1'));
  for (const v of versions) {
    const sc = schemas[v];
    if (sc && Array.isArray(sc.examples) && sc.examples.length) return sc.examples[0];
  }
  return undefined;
}

// How many event types make a list long enough for a filter, so that a type can be found
// without scrolling: about a screenful.
export const FILTER_FROM = 12;

// A search box that hides the `div.event-type` rows of `container` whose name (`nameOf(row)`)
// does not contain what is typed.
export function nameFilter(container, nameOf) {
  const filter = h('input', { type: 'search', name: 'eventTypeFilter', placeholder: 'Filter event types', 'aria-label': 'Filter event types' });
  filter.addEventListener('input', () => {
    const needle = filter.value.trim().toLowerCase();
    container.querySelectorAll('div.event-type').forEach((row) => {
      row.hidden = needle !== '' && nameOf(row).toLowerCase().indexOf(needle) < 0;
    });
  });
  return filter;
}

// Checkboxes over the catalogue; none checked means "every event type". With `details`, each
// type shows its description, schema and example.
export async function eventTypePicker(selected, details) {
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
  if (live.length >= FILTER_FROM) {
    fs.insertBefore(nameFilter(fs, (row) => row.querySelector('input[name="eventTypes"]').value), fs.querySelector('div.event-type'));
  }
  fs.selected = () => Array.from(fs.querySelectorAll('input[name="eventTypes"]:checked')).map((i) => i.value);
  return fs;
}
