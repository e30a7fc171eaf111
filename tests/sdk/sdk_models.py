"""Reads what the official Svix SDKs send, from their installed sources: every operation's
method and path, the JSON field names of its request model (nested models included) and the
names of its query parameters. Used by sdk_fields.py; it must not talk to any server.

Three readers, one per SDK, each returning a list of `Operation`s:
- Python `svix` (2.x, pydantic models): the API modules are parsed (`ast`) for their
  `_request_sync` calls, the models are imported and read through pydantic, which knows the
  names the SDK serializes (`by_alias=True`).
- npm `svix` (2.x, TypeScript sources shipped in the package): `src/api/*.ts` for
  `new SvixRequest(…)`, `setQueryParams({…})`, `setQueryParam("…")` and `setBody(XSerializer…)`,
  and each model's `_toJsonObject` for its keys and nested serializers.
- Rust crate `svix` (2.x): `src/api/*.rs` for the request builders (`Method::…`, the path,
  `with_optional_query_param("…")`, `with_body_param(…)`) and `src/models/*.rs` for the
  structs' serde names.

Standard library only (plus the Python SDK itself for the Python reader). Generated code is
regular, which is what makes this reading reliable; a reader that finds nothing raises rather
than reporting an empty, vacuously passing SDK.
"""

import ast
import dataclasses
import pathlib
import re
import typing


@dataclasses.dataclass
class Field:
    """A JSON field of a request model: `kind` is `scalar`, `object`, `array` or `map`, and
    `model` the nested model's fields when it is (or holds) one."""

    name: str
    kind: str = "scalar"
    model: typing.Optional[typing.List["Field"]] = None


@dataclasses.dataclass
class Operation:
    sdk: str
    call: str
    method: str
    path: str
    query: typing.List[str]
    body: typing.Optional[typing.List[Field]]  # None: the call sends no body


def _need(found, what):
    if not found:
        raise SystemExit(f"sdk_models: found no {what}; has the SDK's layout changed?")
    return found


# ---------------------------------------------------------------------------------- Python


def python_operations(package_dir):
    """Operations of the Python SDK installed at `package_dir` (the `svix` package)."""
    import importlib

    import pydantic

    models = importlib.import_module("svix.models")
    api_dir = pathlib.Path(package_dir) / "api"
    ops = []
    for source in sorted(api_dir.glob("*.py")):
        tree = ast.parse(source.read_text())
        options_query = _python_options_query(tree)
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            if cls.name.endswith("Async"):
                continue  # the async twin sends exactly what the sync class sends
            for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
                op = _python_operation(source.stem, cls.name, fn, options_query, models, pydantic)
                if op:
                    ops.append(op)
    return _need(ops, "Python SDK operations")


def _python_options_query(tree):
    """Query parameter names of each options dataclass, from its `_query_params`."""
    out = {}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
            if fn.name != "_query_params":
                continue
            names = []
            for node in ast.walk(fn):
                if isinstance(node, ast.Dict):
                    names += [k.value for k in node.keys if isinstance(k, ast.Constant)]
            out[cls.name] = names
    return out


def _python_operation(module, cls, fn, options_query, models, pydantic):
    call = next(
        (c for c in ast.walk(fn) if isinstance(c, ast.Call)
         and isinstance(c.func, ast.Attribute) and c.func.attr == "_request_sync"),
        None,
    )
    if call is None:
        return None
    kw = {k.arg: k.value for k in call.keywords}
    annotations = {a.arg: a.annotation for a in fn.args.args if a.annotation is not None}
    query = []
    q = kw.get("query_params")
    if isinstance(q, ast.Dict):
        query = [k.value for k in q.keys if isinstance(k, ast.Constant)]
    elif q is not None:
        ann = annotations.get("options")
        query = options_query.get(getattr(ann, "id", None), [])
    body = None
    b = kw.get("json_body")
    if b is not None:
        # `json_body=<param>.model_dump_json(...)`: the parameter's annotation is the model.
        param = b.func.value.id
        model = getattr(models, annotations[param].id)
        body = _pydantic_fields(model, pydantic, set())
    return Operation("python", f"{module}.{cls}.{fn.name}", kw["method"].value.upper(),
                     kw["path"].value, query, body)


def _pydantic_fields(model, pydantic, seen):
    if model in seen:
        return []
    seen = seen | {model}
    out = []
    for name, info in model.model_fields.items():
        alias = info.serialization_alias or info.alias or name
        kind, nested = _python_kind(info.annotation, pydantic)
        out.append(Field(alias, kind, _pydantic_fields(nested, pydantic, seen) if nested else None))
    return out


def _python_kind(annotation, pydantic):
    """(kind, nested model) of a field's annotation."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Union:
        inner = [a for a in args if a is not type(None)]
        return _python_kind(inner[0], pydantic) if len(inner) == 1 else ("scalar", None)
    if origin in (list, set, typing.List, typing.Set):
        _, nested = _python_kind(args[0], pydantic) if args else ("scalar", None)
        return "array", nested
    if origin in (dict, typing.Dict):
        _, nested = _python_kind(args[1], pydantic) if len(args) == 2 else ("scalar", None)
        return "map", nested
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return "object", annotation
    return "scalar", None


# ---------------------------------------------------------------------------------- npm


_TS_REQUEST = re.compile(r'new SvixRequest\(\s*HttpMethod\.(\w+),\s*"([^"]+)"\s*\)')
_TS_METHOD = re.compile(r"^  public async (\w+)\(", re.M)


def node_operations(package_dir):
    """Operations of the npm SDK unpacked at `package_dir` (`node_modules/svix`)."""
    src = pathlib.Path(package_dir) / "src"
    models = {}
    for f in (src / "models").glob("*.ts"):
        text = f.read_text()
        for m in re.finditer(r"export const (\w+)Serializer = \{", text):
            models[m.group(1)] = text
    _need(models, "npm SDK models")
    ops = []
    for f in sorted((src / "api").glob("*.ts")):
        text = f.read_text()
        starts = [m for m in _TS_METHOD.finditer(text)]
        for i, m in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
            chunk = text[m.start():end]
            req = _TS_REQUEST.search(chunk)
            if not req:
                continue
            query = []
            for block in re.finditer(r"setQueryParams\(\{(.*?)\}\);", chunk, re.S):
                query += _ts_object_keys("{" + block.group(1) + "}")
            query += re.findall(r'setQueryParam\(\s*"(\w+)"', chunk)
            body = None
            setb = re.search(r"setBody\(\s*(\w+)Serializer\._toJsonObject", chunk)
            if setb:
                body = _ts_fields(setb.group(1), models, set())
            ops.append(Operation("node", f"{f.stem}.{m.group(1)}", req.group(1), req.group(2),
                                 query, body))
    return _need(ops, "npm SDK operations")


def _ts_object_keys(literal):
    """The top-level keys of a JavaScript object literal (as the generated code writes it)."""
    keys, depth, token = [], 0, ""
    for ch in literal:
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        if depth == 1 and ch == ":" and re.fullmatch(r'\s*"?[\w-]+"?\s*', token):
            keys.append(token.strip().strip('"'))
        if depth == 1 and ch in "{,":
            token = ""
        elif depth == 1 and ch not in "{":
            token += ch
    return keys


def _ts_fields(model, models, seen):
    text = models.get(model)
    if text is None or model in seen:
        return []
    seen = seen | {model}
    body = text[text.index("_toJsonObject(self"):]
    if not re.match(r"_toJsonObject\(self[^)]*\)[^{]*\{\s*return \{", body):
        return None  # an enum or alias: serialized as a plain value
    literal = body[body.index("return {") + len("return "):]
    # The object literal ends at the matching brace.
    depth = 0
    for i, ch in enumerate(literal):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0:
            literal = literal[:i + 1]
            break
    fields = []
    entries = re.split(r",\n(?=\s{6}\"?[\w-]+\"?:)", literal.strip()[1:-1])
    for key in _ts_object_keys(literal):
        entry = next((e for e in entries if re.match(rf'\s*"?{re.escape(key)}"?:', e)), "")
        ref = re.search(r"(\w+)Serializer\._toJsonObject", entry)
        nested = _ts_fields(ref.group(1), models, seen) if ref else None
        kind = "scalar"
        if nested is not None:
            kind = "array" if ".map(" in entry else "object"
            if "Object.fromEntries" in entry:
                kind = "map"
        fields.append(Field(key, kind, nested))
    return fields


# ---------------------------------------------------------------------------------- Rust


def rust_operations(crate_dir):
    """Operations of the Rust crate unpacked at `crate_dir` (`svix-2.x.y` in the registry)."""
    src = pathlib.Path(crate_dir) / "src"
    structs = {}
    for f in (src / "models").glob("*.rs"):
        for m in re.finditer(r"pub struct (\w+) \{(.*?)\n\}", f.read_text(), re.S):
            structs[m.group(1)] = m.group(2)
    _need(structs, "Rust SDK models")
    ops = []
    for f in sorted((src / "api").glob("*.rs")):
        text = f.read_text()
        fns = list(re.finditer(r"\n    pub async fn (\w+)\((.*?)\)\s*->", text, re.S))
        for i, m in enumerate(fns):
            end = fns[i + 1].start() if i + 1 < len(fns) else len(text)
            chunk = text[m.start():end]
            req = re.search(r'Request::new\(\s*http\d?::Method::(\w+),\s*"([^"]+)"', chunk)
            if not req:
                continue
            query = re.findall(r'with_(?:optional_)?query_param\(\s*"(\w+)"', chunk)
            body = None
            param = re.search(r"with_body_param\((\w+)\)", chunk)
            if param:
                ty = re.search(rf"\b{param.group(1)}: (\w+)", m.group(2))
                body = _rust_fields(ty.group(1), structs, set()) if ty else []
            # Options structs carry the query parameters' doc; their names are in the builder.
            ops.append(Operation("rust", f"{f.stem}.{m.group(1)}", req.group(1), req.group(2),
                                 query, body))
    return _need(ops, "Rust SDK operations")


def _rust_fields(name, structs, seen):
    body = structs.get(name)
    if body is None or name in seen:
        return []
    seen = seen | {name}
    fields = []
    for m in re.finditer(r"((?:\s*#\[[^\]]*\]\s*)*)\s*pub (r#)?(\w+): ([^,\n]+),", body):
        attrs, ident, ty = m.group(1), m.group(3), m.group(4)
        rename = re.search(r'rename = "([^"]+)"', attrs)
        json_name = rename.group(1) if rename else ident
        inner = re.sub(r"^Option<(.*)>$", r"\1", ty.strip()).replace("std::collections::", "")
        kind, nested = "scalar", None
        if inner.startswith(("Vec<", "BTreeSet<", "HashSet<")):
            kind, nested = "array", inner[inner.index("<") + 1:-1]
        elif inner.startswith(("HashMap<", "BTreeMap<")):
            kind, nested = "map", inner.rsplit(",", 1)[-1].strip()[:-1]
        elif inner in structs:
            kind, nested = "object", inner
        sub = _rust_fields(nested, structs, seen) if nested in structs else None
        fields.append(Field(json_name, kind, sub))
    return fields
