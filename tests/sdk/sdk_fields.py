#!/usr/bin/env python3
"""The rule "nothing an SDK sends is accepted and ignored", checked against the SDKs' own
request models: every JSON field and query parameter that an official Svix SDK sends to a
route hookd serves is either documented in hookd's OpenAPI document for that route (and so
honoured: hookd's wire types and its query check accept exactly what the document lists),
or refused by a real hookd with a 422 whose `loc` names it. Anything else fails.

Usage: sdk_fields.py PATH_TO_HOOKD [--python SVIX_PACKAGE_DIR] [--node NODE_SVIX_DIR]
                     [--rust SVIX_CRATE_DIR]

The SDKs are read by sdk_models.py from their installed sources. The report lists, per SDK,
what is honoured, what is refused (today's missing features: the rule working), and the
routes hookd does not serve; its closing line follows the "N passed, N failed" convention.
"""

import argparse
import collections
import json
import re
import sys
import tempfile
import urllib.error
import urllib.request

import sdk_models
from harness import start_hookd

# A value for every path parameter: the refusal comes before any lookup.
PATH_VALUE = "probe1"


def normalized(path):
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/"))


class Document:
    """hookd's served OpenAPI document, read for what each operation declares."""

    def __init__(self, doc):
        self.doc = doc
        self.ops = {}
        for path, item in doc["paths"].items():
            for method, op in item.items():
                if method != "parameters":
                    self.ops[(method.upper(), normalized(path))] = op

    def op(self, method, path):
        return self.ops.get((method, normalized(path)))

    def query_names(self, op):
        return {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}

    def body_schema(self, op):
        content = op.get("requestBody", {}).get("content", {})
        return content.get("application/json", {}).get("schema")

    def resolve(self, schema):
        """The object schema behind `$ref`s and nullable unions, or None for free-form."""
        seen = 0
        while schema is not None and seen < 32:
            seen += 1
            if "$ref" in schema:
                schema = self.doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
                continue
            branches = [b for b in schema.get("oneOf", schema.get("anyOf", []))
                        if b.get("type") != "null"]
            if branches and "properties" not in schema:
                if len(branches) == 1:
                    schema = branches[0]
                    continue
                merged = {"properties": {}}
                for b in branches:
                    merged["properties"].update((self.resolve(b) or {}).get("properties", {}))
                return merged
            return schema
        return schema


class Probe:
    """Sends a field or parameter to a real hookd and reports whether it was refused by name."""

    def __init__(self, url, token):
        self.url, self.token = url, token

    def refused(self, method, path, query=None, body=None, loc=None):
        target = self.url + re.sub(r"\{[^}]*\}", PATH_VALUE, path)
        if query:
            target += "?" + query + "=1"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(target, data=data, method=method, headers={
            "authorization": f"Bearer {self.token}", "content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return False, f"answered {r.status}"
        except urllib.error.HTTPError as e:
            raw = e.read()
            if e.code != 422:
                return False, f"answered {e.code} {raw[:200]!r}"
            detail = json.loads(raw).get("detail", [])
            if any(d.get("loc") == loc for d in detail):
                return True, ""
            return False, f"422 without loc {loc}: {raw[:300]!r}"


def nest(segments, leaf):
    """The JSON body that carries `leaf` at `segments` (("key", name) / ("index",) / ("map",))."""
    value = None
    for seg in reversed(segments):
        if seg[0] == "key":
            value = {seg[1]: value}
        elif seg[0] == "index":
            value = [value]
        else:
            value = {"k": value}
    return value


def loc_of(segments):
    return ["body"] + [s[1] if s[0] == "key" else "0" if s[0] == "index" else "k" for s in segments]


def check_fields(doc, probe, op_key, fields, schema, segments, out):
    """Walks an SDK model against hookd's schema for it, recording each field's fate."""
    resolved = doc.resolve(schema)
    props = (resolved or {}).get("properties")
    if props is None:
        return  # free-form in hookd (a payload, a map of strings): kept as data, honoured
    for f in fields:
        here = segments + [("key", f.name)]
        name = ".".join(s[1] for s in here if s[0] == "key")
        if f.name in props:
            out["honoured"].append((op_key, "body", name))
            if f.model:
                sub = doc.resolve(props[f.name]) or {}
                if f.kind == "object":
                    check_fields(doc, probe, op_key, f.model, sub, here, out)
                elif f.kind == "array" and "items" in sub:
                    check_fields(doc, probe, op_key, f.model, sub["items"], here + [("index",)], out)
                elif f.kind == "map" and isinstance(sub.get("additionalProperties"), dict):
                    check_fields(doc, probe, op_key, f.model, sub["additionalProperties"],
                                 here + [("map",)], out)
            continue
        ok, why = probe.refused(op_key[0], op_key[1], body=nest(here, None), loc=loc_of(here))
        out["refused" if ok else "FAILED"].append((op_key, "body", name) + (() if ok else (why,)))


# Names each reader must find, so that a reader broken by a new SDK layout fails loudly
# instead of reporting fewer names: (method, path, body fields, query parameters).
ANCHORS = [
    ("POST", "/api/v1/app/{app_id}/msg", {"eventType", "payload", "application.name"}, {"with_content"}),
    ("POST", "/api/v1/auth/app-portal-access/{app_id}", {"readOnly", "application.uid"}, set()),
    ("GET", "/api/v1/app/{app_id}/attempt/msg/{msg_id}", set(), {"limit", "status", "event_types"}),
    ("PATCH", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers", {"headers"}, set()),
]


def flat_names(fields, prefix=""):
    for f in fields or []:
        yield prefix + f.name
        yield from flat_names(f.model, prefix + f.name + ".")


def check_anchors(ops, out):
    for method, path, body, query in ANCHORS:
        found = [o for o in ops if (o.method, o.path) == (method, path)]
        names = {n for o in found for n in flat_names(o.body)}
        params = {q for o in found for q in o.query}
        if not found or not body <= names or not query <= params:
            out["FAILED"].append(((method, path), "reader", "anchor",
                                  f"expected {sorted(body | query)}, read {sorted(names | params)}"))


def check_sdk(doc, probe, ops):
    out = collections.defaultdict(list)
    check_anchors(ops, out)
    for o in ops:
        op_key = (o.method, o.path)
        op = doc.op(o.method, o.path)
        if op is None:
            out["not served"].append((op_key, o.call))
            continue
        declared = doc.query_names(op)
        for name in o.query:
            if name in declared:
                out["honoured"].append((op_key, "query", name))
                continue
            ok, why = probe.refused(o.method, o.path, query=name, loc=["query", name])
            out["refused" if ok else "FAILED"].append((op_key, "query", name) + (() if ok else (why,)))
        if o.body is not None:
            schema = doc.body_schema(op)
            if schema is None:
                schema = {"properties": {}}  # no body documented: every field must be refused
            check_fields(doc, probe, op_key, o.body, schema, [], out)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("hookd")
    parser.add_argument("--python")
    parser.add_argument("--node")
    parser.add_argument("--rust")
    args = parser.parse_args()
    readers = [("python svix", sdk_models.python_operations, args.python),
               ("npm svix", sdk_models.node_operations, args.node),
               ("rust svix", sdk_models.rust_operations, args.rust)]
    readers = [(label, read, where) for label, read, where in readers if where]
    if not readers:
        raise SystemExit("give at least one SDK (--python, --node, --rust)")
    failed = passed = 0
    with tempfile.TemporaryDirectory() as data_dir:
        proc, url, token = start_hookd(args.hookd, data_dir)
        try:
            with urllib.request.urlopen(url + "/api/v1/openapi.json", timeout=30) as r:
                doc = Document(json.load(r))
            probe = Probe(url, token)
            for label, read, where in readers:
                result = check_sdk(doc, probe, read(where))
                failed += len(result["FAILED"])
                passed += len(result["honoured"]) + len(result["refused"])
                report(label, where, result)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def report(label, where, result):
    print(f"== {label} ({where})")
    print(f"   honoured (documented by hookd): {len(result['honoured'])} names")
    refused = sorted({f"{m} {p} {kind} {name}" for (m, p), kind, name in result["refused"]})
    print(f"   refused with a 422 naming them: {len(refused)}")
    for line in refused:
        print(f"     refused  {line}")
    unserved = sorted({f"{m} {p}" for (m, p), _ in result["not served"]})
    families = collections.Counter(re.sub(r"^/(ingest/)?api/v1/", "", p).split("/")[0]
                                   for p in (u.split(" ", 1)[1] for u in unserved))
    print(f"   operations on routes hookd does not serve: {len(unserved)} "
          f"({', '.join(f'{k} {v}' for k, v in sorted(families.items()))})")
    for (m, p), kind, name, why in result["FAILED"]:
        print(f"FAIL {m} {p} {kind} {name}: accepted without being documented ({why})")


if __name__ == "__main__":
    sys.exit(main())
