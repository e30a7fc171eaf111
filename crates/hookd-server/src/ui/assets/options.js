// hookd's consoles: the endpoint options (`options` of an endpoint, retry policy included) as
// the API's own OpenAPI document describes them (GET /api/v1/openapi.json, components
// EndpointOptions and RetryPolicy), so that the option forms list the fields the server has,
// with the server's descriptions, instead of a copy that drifts. It must not decide which
// values are valid: the API checks them, and its 422 lands at the field it names.

import { api } from './api.js';

const DOCUMENT = '/api/v1/openapi.json';

// The document, read once per page (it is large, and changes only with the binary).
let described = null;

// The description of hookd's endpoint options: { endpoint: [field], retry: [field],
// retryTypes: [name] }, each field { name, kind, description, appliesTo } in the document's
// order. `kind` is what a form needs to know: 'integer', 'number', 'string', 'integers' (a
// list of whole numbers) or 'json' (anything else, edited as JSON text). `appliesTo` (retry
// fields only) lists the schedule types the field belongs to.
export function endpointOptions() {
  if (!described) {
    described = api('GET', DOCUMENT).then(read).catch((e) => {
      described = null;
      throw e;
    });
  }
  return described;
}

function read(doc) {
  const schemas = (doc && doc.components && doc.components.schemas) || {};
  const properties = (name) => {
    const schema = schemas[name];
    if (!schema || !schema.properties) throw new Error('The API document does not describe ' + name + '.');
    return schema.properties;
  };
  const fields = (name) => Object.keys(properties(name)).map((key) => {
    const schema = bare(properties(name)[key], schemas);
    return { name: key, kind: kind(schema.resolved, schemas), description: schema.description };
  });
  const retryTypes = enumOf(bare(properties('RetryPolicy').type, schemas).resolved);
  const retry = fields('RetryPolicy').filter((f) => f.name !== 'type');
  // Which retry fields apply depends on `type`; the document says so at the start of each
  // field's description ("`linear`, `exponential`: …"). A field that names no type applies to
  // every type.
  retry.forEach((f) => {
    const m = /^((?:`\w+`(?:, )?)+): /.exec(f.description);
    const named = m ? m[1].split(', ').map((t) => t.replace(/`/g, '')).filter((t) => retryTypes.indexOf(t) >= 0) : [];
    f.appliesTo = named.length ? named : retryTypes.slice();
    if (named.length) f.description = f.description.slice(m[0].length);
  });
  return { endpoint: fields('EndpointOptions'), retry: retry, retryTypes: retryTypes };
}

// A property without its nullability (`type: [T, "null"]`, or `oneOf` with a null) and with a
// `$ref` followed; the description is the property's own, else the referenced one's.
function bare(schema, schemas) {
  let s = schema || {};
  let description = s.description || '';
  if (Array.isArray(s.oneOf)) {
    const others = s.oneOf.filter((o) => o.type !== 'null');
    if (others.length === 1) {
      description = description || others[0].description || '';
      s = others[0];
    }
  }
  const resolved = deref(s, schemas);
  return { resolved: resolved, description: (description || resolved.description || '').replace(/\s+/g, ' ').trim() };
}

function deref(schema, schemas) {
  const ref = schema && schema.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
    return schemas[ref.slice('#/components/schemas/'.length)] || {};
  }
  return schema || {};
}

function typeOf(schema) {
  const types = Array.isArray(schema.type) ? schema.type.filter((t) => t !== 'null') : [schema.type];
  return types.length === 1 ? types[0] : undefined;
}

function kind(schema, schemas) {
  const type = typeOf(schema);
  if (type === 'integer' || type === 'number' || type === 'string') return type;
  if (type === 'array' && typeOf(deref(schema.items, schemas)) === 'integer') return 'integers';
  return 'json';
}

function enumOf(schema) {
  if (Array.isArray(schema.enum)) return schema.enum.slice();
  const inner = Array.isArray(schema.oneOf) ? schema.oneOf.find((o) => Array.isArray(o.enum)) : null;
  return inner ? inner.enum.slice() : [];
}
