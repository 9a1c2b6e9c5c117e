#!/usr/bin/env python3
"""Generates memgrid's C codecs for the Hazelcast client protocol.

Reads the official message definitions (one YAML file per service plus
custom/Custom.yaml) and writes, into --out:

  <service>_codecs.h/.c   message type ids, request decoders (members only
                          receive requests) and response/event encoders
  custom_codecs.h/.c      structs and encoders of the custom types those
                          responses and events carry (plus ErrorHolder)
  msg_names.h/.c          mg_msg_name(type) for logs
  client/                 the client side (memgrid-bench and protocol tests):
                          <service>_codecs.h/.c with request encoders and
                          response/event decoders, custom_codecs.h/.c with
                          decoders of custom types (--no-client skips it)

The definitions stay outside the project; nothing from them is copied except
names, ids and layouts.  The C API shape is described in the generated
headers and in src/proto/frame.h.

Usage: python3 tools/gen_codecs.py --defs DIR --out src/proto/codecs
                                   [--services Client,Map] [--no-client]
"""

import argparse
import hashlib
import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - depends on the host
    sys.exit("gen_codecs.py needs PyYAML (Debian: python3-yaml; try /usr/bin/python3)")

TOOL = "tools/gen_codecs.py"

# Custom types the hand-written error encoder needs even though no Client/Map
# response names them.
ALWAYS_CUSTOM = ["ErrorHolder"]

C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do",
    "double", "else", "enum", "extern", "float", "for", "goto", "if", "inline",
    "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned",
    "void", "volatile", "while", "bool", "true", "false",
}

# --- names ------------------------------------------------------------------


def snake(name):
    """camelCase / PascalCase / acronyms -> snake_case (addCPGroupViewListener
    -> add_cp_group_view_listener)."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def c_ident(name, reserved=()):
    ident = snake(name)
    while ident in C_KEYWORDS or ident in reserved:
        ident += "_"
    return ident


def version_key(v):
    return tuple(int(x) for x in str(v).split("."))


# --- types --------------------------------------------------------------------

# name -> (C type, size, frame reader, encoder expression template)
FIXED = {
    "boolean": ("bool", 1, "mg_fr_bool", "{b}[{o}] = {v} ? 1 : 0"),
    "byte": ("uint8_t", 1, "mg_fr_u8", "{b}[{o}] = {v}"),
    "int": ("int32_t", 4, "mg_fr_i32", "mg_enc_i32({p}, {v})"),
    "long": ("int64_t", 8, "mg_fr_i64", "mg_enc_i64({p}, {v})"),
    "float": ("float", 4, "mg_fr_f32", "mg_enc_f32({p}, {v})"),
    "UUID": ("mg_uuid", 17, "mg_fr_uuid", "mg_enc_uuid({p}, {ref})"),
}
BYTES = {"String", "Data", "byteArray"}
# Lists whose elements are fixed-size: one frame, packed.
FIXED_LISTS = {
    "List_Integer": "int", "List_Long": "long", "List_UUID": "UUID",
    "Set_UUID": "UUID", "longArray": "long", "List_Boolean": "boolean",
    "List_Byte": "byte",
}
# Element names inside composite types ("EntryList_Integer_UUID") spell the
# fixed types differently from parameter types.
ELEMENT_ALIASES = {"Integer": "int", "Long": "long", "Boolean": "boolean",
                   "Byte": "byte", "Float": "float"}
FIXED_LIST_WRITER = {"int": "mg_wr_i32_list", "long": "mg_wr_i64_list",
                     "UUID": "mg_wr_uuid_list"}


class Type:
    """Classification of one YAML type string.

    kind is one of: fixed, bytes, fixed_list, bytes_list, cn_list,
    bytes_pairs, fixed_pairs, pairs, custom, list, uuid_i32_lists.
    """

    def __init__(self, name, customs):
        self.name = name
        self.key = self.value = self.elem = None
        self.kind = self._classify(name, customs)

    def _classify(self, t, customs):
        t = self.name = ELEMENT_ALIASES.get(t, t)
        if t in FIXED:
            return "fixed"
        if t in BYTES:
            return "bytes"
        if t in FIXED_LISTS:
            self.elem = Type(FIXED_LISTS[t], customs)
            return "fixed_list"
        if t == "ListCN_Data":
            return "cn_list"
        if t == "EntryList_UUID_List_Integer":
            return "uuid_i32_lists"
        for prefix in ("List_", "Set_"):
            if t.startswith(prefix):
                self.elem = Type(t[len(prefix):], customs)
                return "bytes_list" if self.elem.kind == "bytes" else "list"
        for prefix in ("EntryList_", "Map_"):
            if t.startswith(prefix):
                k, v = t[len(prefix):].split("_", 1)
                self.key, self.value = Type(k, customs), Type(v, customs)
                kinds = {self.key.kind, self.value.kind}
                if kinds == {"bytes"}:
                    return "bytes_pairs"
                if kinds == {"fixed"}:
                    return "fixed_pairs"
                return "pairs"
        if t in customs:
            return "custom"
        raise SystemExit("gen_codecs: unknown protocol type %r" % t)

    def customs_used(self):
        """Custom type names referenced by this type, outermost first."""
        if self.kind == "custom":
            return [self.name]
        out = []
        for sub in (self.elem, self.key, self.value):
            if sub is not None:
                out += sub.customs_used()
        return out

    def is_structure(self):
        """Encoded between BEGIN_DS and END_DS."""
        return self.kind in ("bytes_list", "cn_list", "bytes_pairs", "pairs",
                             "custom", "list", "uuid_i32_lists")

    def fixed_size(self):
        if self.kind == "fixed":
            return FIXED[self.name][1]
        if self.kind == "fixed_pairs":
            return self.key.fixed_size() + self.value.fixed_size()
        return self.elem.fixed_size()


def struct_name(custom):
    return "mg_" + snake(custom)


# --- loading ----------------------------------------------------------------


def load_yaml(path):
    with open(path, "rb") as f:
        raw = f.read()
    return yaml.safe_load(raw), hashlib.sha256(raw).hexdigest()[:16]


def definitions_revision(defs):
    """The upstream commit recorded next to the copied definitions, if any."""
    src = os.path.join(os.path.dirname(os.path.abspath(defs)), "SOURCE.txt")
    try:
        with open(src) as f:
            m = re.search(r"^Commit\s*:\s*([0-9a-f]{7,40})", f.read(), re.M)
            return m.group(1) if m else None
    except OSError:
        return None


def params_of(section):
    return (section or {}).get("params") or []


class Param:
    def __init__(self, p, customs, reserved=()):
        self.yname = p["name"]
        self.c = c_ident(p["name"], reserved)
        self.type = Type(p["type"], customs)
        self.nullable = bool(p.get("nullable"))
        self.since = str(p.get("since", "2.0"))


class Message:
    """One request, response or event of a method."""

    def __init__(self, svc, method, role, params, customs, event=None, index=0):
        self.svc = svc
        self.method = method
        self.role = role
        base = (svc["id"] << 16) | (method["id"] << 8)
        self.type_id = {"req": base, "resp": base + 1}.get(role, base + 2 + index)
        stem = "%s_%s" % (snake(svc["name"]), snake(method["name"]))
        if role == "event":
            stem += "_event_" + snake(event["name"])
        else:
            stem += "_" + role
        self.stem = stem
        self.macro = "MG_" + stem.upper()
        suffix = {"req": "", "resp": " response"}.get(role)
        if suffix is None:
            suffix = " event " + event["name"]
        self.label = "%s.%s%s" % (svc["name"], method["name"], suffix)
        reserved = {"hdr"} if role == "req" else {"b", "corr", "partition", "w", "fx"}
        self.params = [Param(p, customs, reserved) for p in params]
        self._check_unique()
        self.since = str(method.get("since", "2.0"))

    def _check_unique(self):
        seen = set()
        for p in self.params:
            for n in (p.c, "n_" + p.c, "has_" + p.c, "write_" + p.c, p.c + "_arg"):
                if n in seen:
                    raise SystemExit("gen_codecs: name clash %s in %s" % (n, self.stem))
            seen.update((p.c, "n_" + p.c, "has_" + p.c, "write_" + p.c, p.c + "_arg"))

    def fixed(self):
        return [p for p in self.params if p.type.kind == "fixed"]

    def var(self):
        return [p for p in self.params if p.type.kind != "fixed"]


def load_service(defs, name, customs):
    data, digest = load_yaml(os.path.join(defs, name + ".yaml"))
    msgs = []
    for m in data["methods"]:
        msgs.append(Message(data, m, "req", params_of(m.get("request")), customs))
        msgs.append(Message(data, m, "resp", params_of(m.get("response")), customs))
        for i, e in enumerate(m.get("events") or []):
            msgs.append(Message(data, m, "event", params_of(e), customs, e, i))
    return data, msgs, digest


# --- C writer helpers -------------------------------------------------------------


def banner(sources, revision):
    lines = ["/* GENERATED FILE - DO NOT EDIT.",
             " *",
             " * Generated by %s from the Hazelcast Open Binary Client Protocol" % TOOL,
             " * definitions (hazelcast-client-protocol/protocol-definitions%s):" %
             (",\n *   commit " + revision if revision else "")]
    for fname, digest in sources:
        lines.append(" *   %s (sha256 %s...)" % (fname, digest))
    lines += [" * Regenerate with `make codegen`; change the generator, not this file.",
              " */", ""]
    return "\n".join(lines)


WIDTH = 100


def fn_head(prefix, args, suffix=""):
    """`prefix(args)suffix`, arguments wrapped under the opening parenthesis
    (or 8 columns in when that would be too deep) to stay within WIDTH."""
    one = "%s(%s)%s" % (prefix, ", ".join(args), suffix)
    if len(one) <= WIDTH:
        return one
    opening = prefix + "("
    deep = len(opening) > 48
    indent = " " * (8 if deep else len(opening))
    lines = [opening] if deep else []
    cur = indent if deep else opening
    for i, a in enumerate(args):
        piece = a + ("," if i + 1 < len(args) else ")" + suffix)
        fresh = cur.endswith("(") or not cur.strip()
        if not fresh and len(cur) + 1 + len(piece) > WIDTH:
            lines.append(cur)
            cur = indent + piece
        else:
            cur += ("" if fresh else " ") + piece
    lines.append(cur)
    return "\n".join(lines)


def fit_comments(lines):
    """Moves a trailing comment above its line when the line is too wide."""
    out = []
    for line in lines:
        if len(line) > WIDTH and "  /* " in line:
            code, comment = line.split("  /* ", 1)
            indent = code[:len(code) - len(code.lstrip())]
            out += [indent + "/* " + comment, code]
        else:
            out.append(line)
    return out


def guard(name):
    return "MG_PROTO_CODECS_%s_H" % name.upper()


# --- custom types -------------------------------------------------------------


class Custom:
    def __init__(self, d, customs):
        self.name = d["name"]
        self.since = str(d.get("since", "2.0"))
        self.c = struct_name(self.name)
        self.enc = "mg_enc_" + snake(self.name)
        self.fields = [Param(p, customs) for p in d.get("params") or []]
        fixed = [f for f in self.fields if f.type.kind == "fixed"]
        if fixed and all(version_key(f.since) > version_key(self.since) for f in fixed):
            # The reference generator lays such a type out differently; none of
            # the types memgrid sends is like that, so refuse rather than guess.
            raise SystemExit("gen_codecs: custom type %s has only newer fixed fields; "
                             "layout not supported" % self.name)

    def fixed(self):
        return [f for f in self.fields if f.type.kind == "fixed"]

    def var(self):
        return [f for f in self.fields if f.type.kind != "fixed"]


def elem_ctype(t):
    """C element type for arrays of t (struct fields)."""
    if t.kind == "fixed":
        return FIXED[t.name][0]
    if t.kind == "bytes":
        return "mg_bytes"
    if t.kind == "custom":
        return struct_name(t.name)
    raise SystemExit("gen_codecs: no C element type for %s" % t.name)


def custom_field_decl(f):
    """Struct member declaration(s) of one custom-type field."""
    t, n = f.type, f.c
    null_note = "; NULL = null" if f.nullable else ""
    if t.kind == "fixed":
        return ["%s %s;" % (FIXED[t.name][0], n)]
    if t.kind == "bytes":
        return ["mg_bytes %s;%s" % (n, "  /* nullable: ptr NULL = null */" if f.nullable else "")]
    if t.kind == "custom":
        if f.nullable:
            return ["const %s *%s;  /* NULL = null */" % (struct_name(t.name), n)]
        return ["%s %s;" % (struct_name(t.name), n)]
    if t.kind in ("bytes_list", "cn_list", "bytes_pairs"):
        what = "key, value, key, ... (n = pairs)" if t.kind == "bytes_pairs" else "items"
        return ["const mg_bytes *%s;  /* %s: %s%s */" % (n, t.name, what, null_note),
                "size_t n_%s;" % n]
    if t.kind == "fixed_list" or (t.kind == "list" and t.elem.kind == "custom"):
        return ["const %s *%s;  /* %s%s */" % (elem_ctype(t.elem), n, t.name, null_note),
                "size_t n_%s;" % n]
    if t.kind == "pairs":
        return ["const %s *%s_keys;  /* %s: entry i = (keys[i], values[i]) */"
                % (elem_ctype(t.key), n, t.name),
                "const %s *%s_values;" % (elem_ctype(t.value), n),
                "size_t n_%s;" % n]
    raise SystemExit("gen_codecs: unsupported field type %s" % t.name)


def enc_element(t, expr):
    """Statement writing one element (an lvalue expression) of type t."""
    if t.kind == "bytes":
        return "mg_wr_bytes_or_empty(w, &%s);" % expr
    if t.kind == "custom":
        return "mg_enc_%s(w, &%s);" % (snake(t.name), expr)
    raise SystemExit("gen_codecs: cannot encode element %s" % t.name)


def put_fixed(t, off, v, ref):
    """Statement storing fixed value v (ref = pointer to it) at fx + off."""
    p = "fx + %d" % off if off else "fx"
    return FIXED[t.name][3].format(b="fx", o=off, p=p, v=v, ref=ref) + ";"


def custom_field_enc(f):
    """Statements encoding one variable-size field of *v into w."""
    t, n = f.type, "v->" + f.c
    out = []
    null_guard = f.nullable and t.kind not in ("bytes",)
    if t.kind == "bytes":
        fn = "mg_wr_nullable_bytes" if f.nullable else "mg_wr_bytes_or_empty"
        out.append("%s(w, &%s);" % (fn, n))
    elif t.kind == "custom":
        if f.nullable:
            out.append("mg_enc_%s_fn(w, %s);" % (snake(t.name), n))
            null_guard = False
        else:
            out.append("mg_enc_%s(w, &%s);" % (snake(t.name), n))
    elif t.kind == "bytes_list":
        out.append("mg_wr_bytes_list(w, %s, v->n_%s);" % (n, f.c))
    elif t.kind == "cn_list":
        out.append("mg_wr_nullable_bytes_list(w, %s, v->n_%s);" % (n, f.c))
    elif t.kind == "bytes_pairs":
        out.append("mg_wr_bytes_pairs(w, %s, v->n_%s);" % (n, f.c))
    elif t.kind == "fixed_list":
        out.append("%s(w, %s, v->n_%s);" % (FIXED_LIST_WRITER[t.elem.name], n, f.c))
    elif t.kind == "list":
        out += ["mg_wr_begin(w);",
                "for (size_t i = 0; i < v->n_%s; i++)" % f.c,
                "    " + enc_element(t.elem, "%s[i]" % n),
                "mg_wr_end_ds(w);"]
    elif t.kind == "pairs":
        out += ["mg_wr_begin(w);",
                "for (size_t i = 0; i < v->n_%s; i++) {" % f.c,
                "    " + enc_element(t.key, "%s_keys[i]" % n),
                "    " + enc_element(t.value, "%s_values[i]" % n),
                "}",
                "mg_wr_end_ds(w);"]
    else:
        raise SystemExit("gen_codecs: unsupported field type %s" % t.name)
    if null_guard:
        return ["if (%s == NULL) {" % n, "    mg_wr_null(w);", "} else {"] + \
               ["    " + s for s in out] + ["}"]
    return out


def custom_order(names, customs):
    """Needed custom types, each after the types it embeds by value."""
    done, order = set(), []

    def visit(name, stack):
        if name in done:
            return
        if name in stack:
            raise SystemExit("gen_codecs: recursive custom type %s" % name)
        for f in customs[name].fields:
            for sub in f.type.customs_used():
                visit(sub, stack + [name])
        done.add(name)
        order.append(name)

    for n in sorted(names):
        visit(n, [])
    return order


def custom_header(order, customs, ban):
    out = [ban, "#ifndef " + guard("custom"), "#define " + guard("custom"), "",
           "#include \"proto/frame.h\"", "",
           "/* Custom types (layout: BEGIN, one frame with the fixed fields if any,",
           " * the variable fields in declaration order, END).  Every struct holds",
           " * borrowed pointers only.  Arrays are (pointer, n_<field>) pairs; an array",
           " * pointer may be NULL when n is 0.  For each type T:",
           " *   mg_enc_T(w, v)        writes v",
           " *   mg_enc_T_fn(w, arg)   mg_encode_fn adapter; arg is a const mg_T *, NULL",
           " *                         writes a NULL frame",
           " *   mg_enc_T_list(w, v, n), mg_enc_T_list_fn(w, arg)  List_T; arg is a",
           " *                         const mg_T_array *, NULL writes an empty list",
           " */", ""]
    for name in order:
        out.append("typedef struct %s %s;" % (customs[name].c, customs[name].c))
    out.append("")
    for name in order:
        c = customs[name]
        out.append("struct %s {" % c.c)
        for f in c.fields:
            out += fit_comments(["    " + d for d in custom_field_decl(f)])
        out += ["};", ""]
        out += ["typedef struct %s_array {" % c.c,
                "    const %s *items;" % c.c,
                "    size_t n;",
                "} %s_array;" % c.c, ""]
    for name in order:
        c = customs[name]
        out += ["void %s(mg_wr *w, const %s *v);" % (c.enc, c.c),
                "void %s_fn(mg_wr *w, const void *arg);" % c.enc,
                "void %s_list(mg_wr *w, const %s *v, size_t n);" % (c.enc, c.c),
                "void %s_list_fn(mg_wr *w, const void *arg);" % c.enc, ""]
    out += ["#endif", ""]
    return "\n".join(out)


def custom_encoder(c):
    out = ["void %s(mg_wr *w, const %s *v)" % (c.enc, c.c), "{", "    mg_wr_begin(w);"]
    fixed = c.fixed()
    if fixed:
        size = sum(FIXED[f.type.name][1] for f in fixed)
        out.append("    uint8_t *fx = mg_wr_frame(w, 0, %d);" % size)
        off = 0
        for f in fixed:
            out.append("    " + put_fixed(f.type, off, "v->" + f.c, "&v->" + f.c))
            off += FIXED[f.type.name][1]
    for f in c.var():
        out += ["    " + s for s in custom_field_enc(f)]
    out += ["    mg_wr_end_ds(w);", "}", ""]
    out += ["void %s_fn(mg_wr *w, const void *arg)" % c.enc, "{",
            "    if (arg == NULL)",
            "        mg_wr_null(w);",
            "    else",
            "        %s(w, arg);" % c.enc, "}", ""]
    out += ["void %s_list(mg_wr *w, const %s *v, size_t n)" % (c.enc, c.c), "{",
            "    mg_wr_begin(w);",
            "    for (size_t i = 0; i < n; i++)",
            "        %s(w, &v[i]);" % c.enc,
            "    mg_wr_end_ds(w);", "}", ""]
    out += ["void %s_list_fn(mg_wr *w, const void *arg)" % c.enc, "{",
            "    const %s_array *a = arg;" % c.c,
            "    %s_list(w, a ? a->items : NULL, a ? a->n : 0);" % c.enc, "}", ""]
    return out


def custom_source(order, customs, ban):
    out = [ban, "#include \"proto/codecs/custom_codecs.h\"", ""]
    for name in order:
        out += custom_encoder(customs[name])
    return "\n".join(out)


# --- requests -------------------------------------------------------------------

LIST_KIND = {"bytes_list": ("MG_ELEM_BYTES", 1), "cn_list": ("MG_ELEM_NULLABLE_BYTES", 1),
             "bytes_pairs": ("MG_ELEM_BYTES", 2), "pairs": ("MG_ELEM_ANY", 2),
             "list": ("MG_ELEM_ANY", 1), "custom": ("MG_ELEM_ANY", 1)}


def req_field_decl(p, optional):
    t = p.type
    note = ""
    if t.kind == "fixed":
        decl = "%s %s;" % (FIXED[t.name][0], p.c)
        if t.name == "UUID" and p.nullable:
            note = "nullable: is_null"
    elif t.kind == "bytes":
        decl = "mg_bytes %s;" % p.c
        if p.nullable:
            note = "nullable: ptr NULL = null"
    elif t.kind in ("fixed_list", "fixed_pairs"):
        decl = "mg_list %s;" % p.c
        note = "%s: one frame of %d-byte %s" % (
            t.name, t.fixed_size(), "pairs" if t.kind == "fixed_pairs" else "elements")
    elif t.kind in LIST_KIND:
        decl = "mg_list %s;" % p.c
        note = {
            "bytes_list": "%s: data frames",
            "cn_list": "%s: data or NULL frames",
            "bytes_pairs": "%s: key, value data frames; count = pairs",
            "pairs": "%s: raw key/value frames; count = pairs",
            "list": "%s: raw elements, structures fast-forwarded",
            "custom": "%s: raw fields between BEGIN and END, not decoded",
        }[t.kind] % t.name
    else:
        raise SystemExit("gen_codecs: request parameter type %s not supported" % t.name)
    if t.kind not in ("fixed", "bytes") and p.nullable:
        note += "; p NULL = null"
    out = ["    %s%s" % (decl, "  /* %s */" % note if note else "")]
    if optional:
        out.append("    bool has_%s;  /* since %s */" % (p.c, p.since))
    return out


def req_var_read(p):
    """Expression that reads var param p into out-><c>; != 0 on error."""
    t, dst = p.type, "&out->" + p.c
    if t.kind == "bytes":
        return "%s(&r, %s)" % ("mg_rd_nullable_bytes" if p.nullable else "mg_rd_bytes", dst)
    if t.kind in ("fixed_list", "fixed_pairs"):
        fn = "mg_rd_nullable_fixed_list" if p.nullable else "mg_rd_fixed_list"
        return "%s(&r, %d, %s)" % (fn, t.fixed_size(), dst)
    kind, per = LIST_KIND[t.kind]
    fn = "mg_rd_nullable_list" if p.nullable else "mg_rd_list"
    return "%s(&r, %s, %d, %s)" % (fn, kind, per, dst)


def is_optional(msg, p):
    return version_key(p.since) > version_key(msg.since)


def req_decl(msg):
    out = ["typedef struct %s {" % ("mg_" + msg.stem), "    mg_req_hdr hdr;"]
    for p in msg.params:
        out += fit_comments(req_field_decl(p, is_optional(msg, p)))
    out += ["} %s;" % ("mg_" + msg.stem),
            fn_head("int mg_%s_decode" % msg.stem,
                    ["const uint8_t *msg", "size_t len", "mg_%s *out" % msg.stem], ";"), ""]
    return out


def req_decoder(msg):
    name = "mg_" + msg.stem
    args = ["const uint8_t *msg", "size_t len", "%s *out" % name]
    out = [fn_head("int %s_decode" % name, args), "{",
           "    mg_rd r;", "    mg_frame f0;", "",
           "    memset(out, 0, sizeof *out);",
           "    mg_rd_init(&r, msg, len);",
           "    if (mg_rd_request_header(&r, &out->hdr, &f0) != 0",
           "        || out->hdr.type != %s)" % msg.macro,
           "        return MG_EPROTO;"]
    off = 0
    for p in msg.fixed():
        read = "%s(&f0, MG_REQ_FIXED_OFF + %d, &out->%s)" % (FIXED[p.type.name][2], off, p.c)
        if is_optional(msg, p):
            out.append(fn_head("    out->has_%s = %s" % (p.c, FIXED[p.type.name][2]),
                               ["&f0", "MG_REQ_FIXED_OFF + %d" % off, "&out->%s" % p.c], ";"))
        else:
            out += ["    if (!%s)" % read, "        return MG_EPROTO;"]
        off += FIXED[p.type.name][1]
    for p in msg.var():
        if is_optional(msg, p):
            out += ["    if (mg_rd_has_more(&r)) {",
                    "        if (%s != 0)" % req_var_read(p),
                    "            return MG_EPROTO;",
                    "        out->has_%s = true;" % p.c, "    }"]
        else:
            out += ["    if (%s != 0)" % req_var_read(p), "        return MG_EPROTO;"]
    out += ["    return 0;", "}", ""]
    return out


# --- responses and events -----------------------------------------------------------


def uses_callback(t):
    return t.kind in ("custom", "list", "pairs", "fixed_pairs", "uuid_i32_lists") or \
        (t.kind == "fixed_list" and t.elem.name not in FIXED_LIST_WRITER)


def out_params(msg):
    """C parameters of an encoder, in YAML declaration order."""
    args = []
    for p in msg.params:
        t = p.type
        if t.kind == "fixed":
            ctype = FIXED[t.name][0]
            args.append("const mg_uuid *%s" % p.c if t.name == "UUID" else "%s %s" % (ctype, p.c))
        elif t.kind == "bytes":
            args.append("const mg_bytes *%s" % p.c)
        elif t.kind in ("bytes_list", "cn_list", "bytes_pairs"):
            args += ["const mg_bytes *%s" % p.c, "size_t n_%s" % p.c]
        elif uses_callback(t):
            args += ["mg_encode_fn write_%s" % p.c, "const void *%s_arg" % p.c]
        elif t.kind == "fixed_list":
            args += ["const %s *%s" % (FIXED[t.elem.name][0], p.c), "size_t n_%s" % p.c]
        else:
            raise SystemExit("gen_codecs: response parameter type %s not supported" % t.name)
    return args


def encoder_signature(msg, suffix=""):
    head = ["mg_buf *b", "int64_t corr"]
    if msg.role == "event":
        head.append("int32_t partition")
    return fn_head("void mg_%s_encode" % msg.stem, head + out_params(msg), suffix)


def empty_default(t):
    """What to write for a non-nullable callback parameter given no writer."""
    if t.kind == "uuid_i32_lists":
        return ["mg_wr_uuid_i32_lists_fn(&w, NULL);"]
    if t.kind in ("fixed_pairs", "fixed_list"):
        return ["mg_wr_bytes(&w, NULL, 0);"]
    if t.is_structure() and t.kind != "custom":
        return ["mg_wr_begin(&w);", "mg_wr_end_ds(&w);"]
    # A custom value has no empty form; a NULL frame at least keeps the
    # message well-formed for the peer's framing.
    return ["mg_wr_null(&w);"]


def out_var_write(p):
    t, n = p.type, p.c
    if t.kind == "bytes":
        fn = "mg_wr_nullable_bytes" if p.nullable else "mg_wr_bytes_or_empty"
        return ["%s(&w, %s);" % (fn, n)]
    if uses_callback(t):
        fallback = ["mg_wr_null(&w);"] if p.nullable else empty_default(t)
        return ["if (write_%s) {" % n, "    write_%s(&w, %s_arg);" % (n, n), "} else {"] + \
               ["    " + s for s in fallback] + ["}"]
    if t.kind == "bytes_list":
        call = "mg_wr_bytes_list(&w, %s, n_%s);" % (n, n)
    elif t.kind == "cn_list":
        call = "mg_wr_nullable_bytes_list(&w, %s, n_%s);" % (n, n)
    elif t.kind == "bytes_pairs":
        call = "mg_wr_bytes_pairs(&w, %s, n_%s);" % (n, n)
    else:
        call = "%s(&w, %s, n_%s);" % (FIXED_LIST_WRITER[t.elem.name], n, n)
    if p.nullable:
        return ["if (%s == NULL)" % n, "    mg_wr_null(&w);", "else", "    " + call]
    return [call]


def out_encoder(msg):
    fixed = msg.fixed()
    size = sum(FIXED[p.type.name][1] for p in fixed)
    lead = "uint8_t *fx = " if fixed else ""
    if msg.role == "event":
        start = fn_head("    %smg_wr_event" % lead,
                        ["&w", msg.macro, "corr", "partition", str(size)], ";")
    else:
        start = fn_head("    %smg_wr_response" % lead, ["&w", msg.macro, "corr", str(size)], ";")
    out = [encoder_signature(msg), "{", "    mg_wr w;", "", "    mg_wr_init(&w, b);", start]
    if msg.role == "event" and msg.method["name"] == "localBackupListener":
        # The definitions do not say so, but backup acks are told apart from
        # other events by this flag (client-protocol.md 3.2, 10.5).
        out.append("    mg_wr_add_flags(&w, MG_F_BACKUP_EVENT);")
    off = 0
    for p in fixed:
        out.append("    " + put_fixed(p.type, off, p.c, p.c))
        off += FIXED[p.type.name][1]
    for p in msg.var():
        out += ["    " + s for s in out_var_write(p)]
    out += ["    mg_wr_end(&w);", "}", ""]
    return out


# --- service files ------------------------------------------------------------------


def service_header(svc, msgs, ban):
    lower = snake(svc["name"])
    out = [ban, "#ifndef " + guard(lower), "#define " + guard(lower), "",
           "#include \"proto/frame.h\"",
           "#include \"proto/codecs/custom_codecs.h\"", "",
           "/* %s service (id %d).  Requests are decoded in place (the struct borrows"
           % (svc["name"], svc["id"]),
           " * from the message buffer); decoders return 0 or MG_EPROTO, ignore unknown",
           " * trailing data, and set has_<field> for parameters newer than their",
           " * method.  Responses and events are encoded whole into an mg_buf; their",
           " * parameters follow the definition's declaration order.  Nullable",
           " * String/Data/byteArray: NULL or ptr NULL -> NULL frame; nullable list",
           " * pointer NULL -> NULL frame; a NULL writer callback writes a NULL frame",
           " * (nullable) or an empty list/map. */", ""]
    for m in msgs:
        out.append("#define %s 0x%06X" % (m.macro, m.type_id))
    out.append("")
    for m in msgs:
        if m.role == "req":
            out += req_decl(m)
        else:
            out += [encoder_signature(m, ";"), ""]
    out += ["/* Every request type of this service, for dispatch tables and tests. */",
            "extern const uint32_t mg_%s_req_types[];" % lower,
            "extern const size_t mg_%s_req_types_n;" % lower, "",
            "/* Decodes msg with the decoder its header type selects: 0 when it",
            " * decodes, MG_EPROTO when it does not, 1 when the type is not a",
            " * %s request. */" % svc["name"],
            "int mg_%s_req_check(const uint8_t *msg, size_t len);" % lower, "",
            "#endif", ""]
    return "\n".join(out)


def service_source(svc, msgs, ban):
    lower = snake(svc["name"])
    out = [ban, "#include \"proto/codecs/%s_codecs.h\"" % lower, "", "#include <string.h>", ""]
    for m in msgs:
        out += req_decoder(m) if m.role == "req" else out_encoder(m)
    reqs = [m for m in msgs if m.role == "req"]
    out.append("const uint32_t mg_%s_req_types[] = {" % lower)
    out += ["    %s," % m.macro for m in reqs]
    out += ["};",
            "const size_t mg_%s_req_types_n =" % lower,
            "    sizeof mg_%s_req_types / sizeof mg_%s_req_types[0];" % (lower, lower), ""]
    out += ["int mg_%s_req_check(const uint8_t *msg, size_t len)" % lower, "{",
            "    mg_req_hdr h;", "",
            "    if (mg_msg_peek_header(msg, len, &h) != 0)",
            "        return MG_EPROTO;",
            "    switch (h.type) {"]
    for m in reqs:
        out += ["    case %s: {" % m.macro,
                "        mg_%s v;" % m.stem,
                "        return mg_%s_decode(msg, len, &v);" % m.stem,
                "    }"]
    out += ["    default:", "        return 1;", "    }", "}", ""]
    return "\n".join(out)


def names_files(services, ban):
    h = [ban, "#ifndef MG_PROTO_CODECS_MSG_NAMES_H", "#define MG_PROTO_CODECS_MSG_NAMES_H", "",
         "#include <stdint.h>", "",
         "/* Human-readable name of a message type id (\"Map.put\", \"Map.put response\",",
         " * \"Map.addEntryListener event Entry\", \"error\"), or \"unknown\". */",
         "const char *mg_msg_name(uint32_t type);", "", "#endif", ""]
    c = [ban, "#include \"proto/codecs/msg_names.h\"", ""]
    for svc, _ in services:
        c.append("#include \"proto/codecs/%s_codecs.h\"" % snake(svc["name"]))
    c += ["", "const char *mg_msg_name(uint32_t type)", "{", "    switch (type) {",
          "    case 0x000000:", "        return \"error\";"]
    for _, msgs in services:
        for m in msgs:
            c += ["    case %s:" % m.macro, "        return \"%s\";" % m.label]
    c += ["    default:", "        return \"unknown\";", "    }", "}", ""]
    return "\n".join(h), "\n".join(c)


# --- client side ------------------------------------------------------------------
#
# A client (memgrid-bench, tests that speak the protocol themselves) needs the
# reverse of what a member needs: encode requests, decode responses and
# events.  These go to a separate directory (<out>/client/) so that the member
# side files above stay exactly as they are.  Decoding follows the member
# side's rule of borrowing from the message buffer and never allocating:
# fixed values and String/Data frames are decoded, custom types are decoded
# into *_dec structs, and every other structured value is handed out as a raw
# mg_list for the caller to walk (it knows how much of it it wants).


def client_banner(ban):
    return ban.replace(" * Regenerate with", " * Client side: request encoders, response and event decoders.\n"
                       " * Regenerate with")


def indent(lines, by="    "):
    """Lines indented by `by`; empty lines stay empty (no trailing blanks)."""
    return [by + l if l else l for l in lines]


def cs_guard(name):
    return "MG_PROTO_CODECS_CS_%s_H" % name.upper()


def dec_struct(custom_name):
    return "mg_%s_dec" % snake(custom_name)


def dec_fn(custom_name):
    return "mg_dec_%s" % snake(custom_name)


def dec_field_decl(p, optional):
    """Struct members holding one decoded parameter or custom-type field."""
    t, n = p.type, p.c
    note = ""
    if t.kind == "fixed":
        decl = ["%s %s;" % (FIXED[t.name][0], n)]
        if t.name == "UUID" and p.nullable:
            note = "nullable: is_null"
    elif t.kind == "bytes":
        decl = ["mg_bytes %s;" % n]
        if p.nullable:
            note = "nullable: ptr NULL = null"
    elif t.kind == "custom":
        decl = ["%s %s;" % (dec_struct(t.name), n)]
        if p.nullable:
            decl.append("bool %s_is_null;" % n)
    elif t.kind in ("fixed_list", "fixed_pairs"):
        decl = ["mg_list %s;" % n]
        note = "%s: one frame of %d-byte %s" % (
            t.name, t.fixed_size(), "pairs" if t.kind == "fixed_pairs" else "elements")
    elif t.kind == "uuid_i32_lists":
        # Keys come last on the wire, after the END of the value lists.
        decl = ["mg_list %s;" % n, "mg_list %s_keys;" % n]
        note = "%s: List_Integer frames; keys: UUIDs" % t.name
    elif t.kind in LIST_KIND:
        decl = ["mg_list %s;" % n]
        note = {
            "bytes_list": "%s: data frames",
            "cn_list": "%s: data or NULL frames",
            "bytes_pairs": "%s: key, value data frames; count = pairs",
            "pairs": "%s: raw key/value frames; count = pairs",
            "list": "%s: raw elements, each one structure",
        }[t.kind] % t.name
    else:
        raise SystemExit("gen_codecs: cannot decode parameter type %s" % t.name)
    if t.kind not in ("fixed", "bytes", "custom") and p.nullable:
        note += "; p NULL = null"
    out = fit_comments(["    " + decl[0] + ("  /* %s */" % note if note else "")])
    out += ["    " + d for d in decl[1:]]
    if optional:
        out.append("    bool has_%s;  /* since %s */" % (n, p.since))
    return out


def dec_var_read(p, dst, rd="r"):
    """Statements reading variable parameter p into dst (an lvalue prefix such
    as out->x); they return MG_EPROTO from the enclosing function on error."""
    t, n = p.type, dst
    fail = "    return MG_EPROTO;"
    if t.kind == "bytes":
        fn = "mg_rd_nullable_bytes" if p.nullable else "mg_rd_bytes"
        return ["if (%s(%s, &%s) != 0)" % (fn, rd, n), fail]
    if t.kind in ("fixed_list", "fixed_pairs"):
        fn = "mg_rd_nullable_fixed_list" if p.nullable else "mg_rd_fixed_list"
        return ["if (%s(%s, %d, &%s) != 0)" % (fn, rd, t.fixed_size(), n), fail]
    if t.kind == "custom":
        call = ["if (%s(%s, &%s) != 0)" % (dec_fn(t.name), rd, n), fail]
        if not p.nullable:
            return call
        # A null custom value is one NULL frame instead of BEGIN ... END.
        return ["if (mg_rd_next_is_null(%s)) {" % rd,
                "    mg_frame nf;", "",
                "    (void)mg_rd_next(%s, &nf);" % rd,
                "    %s_is_null = true;" % n,
                "} else {"] + indent(call) + ["}"]
    if t.kind == "uuid_i32_lists":
        call = ["if (mg_rd_list(%s, MG_ELEM_BYTES, 1, &%s) != 0" % (rd, n),
                "    || mg_rd_fixed_list(%s, MG_UUID_SIZE, &%s_keys) != 0" % (rd, n),
                "    || %s_keys.count != %s.count)" % (n, n), fail]
        if not p.nullable:
            return call
        # Null: one NULL frame; both lists keep p == NULL.
        return ["if (mg_rd_next_is_null(%s)) {" % rd,
                "    mg_frame nf;", "",
                "    (void)mg_rd_next(%s, &nf);" % rd,
                "} else {"] + indent(call) + ["}"]
    kind, per = LIST_KIND[t.kind]
    fn = "mg_rd_nullable_list" if p.nullable else "mg_rd_list"
    return ["if (%s(%s, %s, %d, &%s) != 0)" % (fn, rd, kind, per, n), fail]


def dec_fixed_reads(params, frame, base, dst, optional_of):
    """Statements reading the fixed params at frame offsets base + ..."""
    out, off = [], 0
    for p in params:
        rd = FIXED[p.type.name][2]
        where = "%s + %d" % (base, off) if base != "0" else str(off)
        if optional_of(p):
            # fn_head measures from column 0 and the caller indents by 4.
            head = fn_head("    %s->has_%s = %s" % (dst, p.c, rd),
                           ["&%s" % frame, where, "&%s->%s" % (dst, p.c)], ";")
            out += [l[4:] for l in head.split("\n")]
        else:
            out += ["if (!%s(&%s, %s, &%s->%s))" % (rd, frame, where, dst, p.c),
                    "    return MG_EPROTO;"]
        off += FIXED[p.type.name][1]
    return out


def dec_var_reads(params, dst, optional_of, rd="r", more="mg_rd_has_more(r)"):
    out = []
    for p in params:
        reads = dec_var_read(p, "%s->%s" % (dst, p.c), rd)
        if optional_of(p):
            out += ["if (%s) {" % more] + indent(reads) + \
                   ["    %s->has_%s = true;" % (dst, p.c), "}"]
        else:
            out += reads
    return out


def cs_custom_header(order, customs, ban):
    out = [ban, "#ifndef " + cs_guard("custom"), "#define " + cs_guard("custom"), "",
           "#include \"proto/frame.h\"", "",
           "/* Decoders of the custom types that responses and events carry.  For",
           " * each type T, mg_dec_T(r, out) reads one T (BEGIN ... END) from r into",
           " * out and returns 0 or MG_EPROTO.  out borrows from the message; structured",
           " * fields other than custom types are raw mg_lists (see proto/frame.h).",
           " * Fields newer than their type are optional (has_<field>), and unknown",
           " * trailing fields are skipped, so newer members decode too. */", ""]
    for name in order:
        c = customs[name]
        out.append("typedef struct %s {" % dec_struct(name))
        for f in c.fields:
            out += fit_comments(dec_field_decl(f, version_key(f.since) > version_key(c.since)))
        out += ["} %s;" % dec_struct(name), ""]
    for name in order:
        out.append("int %s(mg_rd *r, %s *out);" % (dec_fn(name), dec_struct(name)))
    out += ["", "#endif", ""]
    return "\n".join(out)


def cs_custom_decoder(c):
    def optional_of(f):
        return version_key(f.since) > version_key(c.since)
    out = ["int %s(mg_rd *r, %s *out)" % (dec_fn(c.name), dec_struct(c.name)), "{",
           "    mg_frame f;", "",
           "    memset(out, 0, sizeof *out);",
           "    if (mg_rd_next(r, &f) != 0 || !(f.flags & MG_F_BEGIN_DS))",
           "        return MG_EPROTO;"]
    fixed = c.fixed()
    if fixed:
        out += ["    if (mg_rd_next(r, &f) != 0)", "        return MG_EPROTO;"]
        out += indent(dec_fixed_reads(fixed, "f", "0", "out", optional_of))
    out += indent(dec_var_reads(c.var(), "out", optional_of, more="!mg_rd_next_is_end(r)"))
    out += ["    /* Skips fields added after this generator's definitions, and END. */",
            "    return mg_rd_fast_forward(r);", "}", ""]
    return out


def cs_custom_source(order, customs, ban):
    out = [ban, "#include \"proto/codecs/client/custom_codecs.h\"", "",
           "#include <string.h>", ""]
    for name in order:
        out += cs_custom_decoder(customs[name])
    return "\n".join(out)


def req_encoder_signature(msg, suffix=""):
    for p in msg.params:
        if p.c in ("b", "corr", "partition", "w", "fx", "c"):
            raise SystemExit("gen_codecs: parameter %s of %s clashes with the encoder's own names"
                             % (p.c, msg.stem))
    head = ["mg_buf *b", "int64_t corr", "int32_t partition"]
    return fn_head("void mg_%s_encode" % msg.stem, head + out_params(msg), suffix)


def req_encoder(msg):
    fixed = msg.fixed()
    size = sum(FIXED[p.type.name][1] for p in fixed)
    out = [req_encoder_signature(msg), "{", "    mg_wr w;", "",
           "    mg_wr_init(&w, b);",
           "    uint8_t *c = mg_wr_frame(&w, MG_F_UNFRAGMENTED, MG_REQ_FIXED_OFF + %d);" % size,
           "    mg_put_u32(c, %s);" % msg.macro,
           "    mg_enc_i64(c + 4, corr);",
           "    mg_enc_i32(c + 12, partition);"]
    if fixed:
        out.append("    uint8_t *fx = c + MG_REQ_FIXED_OFF;")
    off = 0
    for p in fixed:
        out.append("    " + put_fixed(p.type, off, p.c, p.c))
        off += FIXED[p.type.name][1]
    for p in msg.var():
        out += indent(out_var_write(p))
    out += ["    mg_wr_end(&w);", "}", ""]
    return out


def in_decl(msg):
    name = "mg_" + msg.stem
    head = ["    int64_t corr;"]
    if msg.role == "event":
        head.append("    int32_t partition;")
    else:
        head.append("    uint8_t backup_acks;  /* 0 unless the client asked for backup acks */")
    out = ["typedef struct %s {" % name] + head
    for p in msg.params:
        out += fit_comments(dec_field_decl(p, is_optional(msg, p)))
    out += ["} %s;" % name,
            fn_head("int %s_decode" % name,
                    ["const uint8_t *msg", "size_t len", "%s *out" % name], ";"), ""]
    return out


def in_decoder(msg):
    name = "mg_" + msg.stem
    base = "MG_REQ_FIXED_OFF" if msg.role == "event" else "MG_RESP_FIXED_OFF"
    out = [fn_head("int %s_decode" % name, ["const uint8_t *msg", "size_t len", "%s *out" % name]),
           "{", "    mg_rd rd, *r = &rd;", "    mg_frame f0;", "",
           "    memset(out, 0, sizeof *out);",
           "    mg_rd_init(r, msg, len);",
           "    if (mg_rd_next(r, &f0) != 0 || f0.len < %s" % base] + \
        (["        || mg_get_u32(f0.content) != %s)" % msg.macro]
         if len(msg.macro) < WIDTH - 36 else
         ["        || mg_get_u32(f0.content)", "               != %s)" % msg.macro]) + \
          ["        return MG_EPROTO;",
           "    (void)mg_fr_i64(&f0, 4, &out->corr);"]
    if msg.role == "event":
        out.append("    (void)mg_fr_i32(&f0, 12, &out->partition);")
    else:
        out.append("    (void)mg_fr_u8(&f0, 12, &out->backup_acks);")

    def optional_of(p):
        return is_optional(msg, p)
    out += indent(dec_fixed_reads(msg.fixed(), "f0", base, "out", optional_of))
    out += indent(dec_var_reads(msg.var(), "out", optional_of))
    out += ["    return 0;", "}", ""]
    return out


def cs_service_header(svc, msgs, ban):
    lower = snake(svc["name"])
    out = [ban, "#ifndef " + cs_guard(lower), "#define " + cs_guard(lower), "",
           "#include \"proto/codecs/%s_codecs.h\"" % lower,
           "#include \"proto/codecs/client/custom_codecs.h\"", "",
           "/* %s service (id %d), client side.  mg_X_req_encode appends one whole"
           % (svc["name"], svc["id"]),
           " * request (frame 0 flags 0xC000, the given correlation and partition id)",
           " * to an mg_buf; parameter conventions as for the member's encoders in",
           " * ../%s_codecs.h.  mg_X_resp_decode / mg_X_event_Y_decode read one" % lower,
           " * complete message in place (the struct borrows from it): 0, or",
           " * MG_EPROTO when it is malformed or of another type (an error",
           " * response has type 0).  Parameters newer than their method are",
           " * optional (has_<field>); unknown trailing data is ignored. */", ""]
    for m in msgs:
        out += [req_encoder_signature(m, ";"), ""] if m.role == "req" else in_decl(m)
    out += ["#endif", ""]
    return "\n".join(out)


def cs_service_source(svc, msgs, ban):
    lower = snake(svc["name"])
    out = [ban, "#include \"proto/codecs/client/%s_codecs.h\"" % lower, "",
           "#include <string.h>", ""]
    for m in msgs:
        out += req_encoder(m) if m.role == "req" else in_decoder(m)
    return "\n".join(out)


def cs_needed_customs(services):
    """Custom types in responses and events (decoded), plus ErrorHolder for
    error responses; requests take custom values through writer callbacks."""
    return needed_customs(services, None)


def write_client_side(out_dir, services, raw_customs, names, ban):
    customs = {}
    pending = sorted(cs_needed_customs(services))
    while pending:
        n = pending.pop()
        if n in customs:
            continue
        customs[n] = Custom(raw_customs[n], names)
        for f in customs[n].fields:
            pending += f.type.customs_used()
    order = custom_order(set(customs), customs)
    ban = client_banner(ban)
    os.makedirs(out_dir, exist_ok=True)
    write(os.path.join(out_dir, "custom_codecs.h"), cs_custom_header(order, customs, ban))
    write(os.path.join(out_dir, "custom_codecs.c"), cs_custom_source(order, customs, ban))
    for svc, msgs in services:
        lower = snake(svc["name"])
        write(os.path.join(out_dir, lower + "_codecs.h"), cs_service_header(svc, msgs, ban))
        write(os.path.join(out_dir, lower + "_codecs.c"), cs_service_source(svc, msgs, ban))


# --- driver -------------------------------------------------------------------


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def needed_customs(services, customs):
    names = set(ALWAYS_CUSTOM)
    for _, msgs in services:
        for m in msgs:
            if m.role == "req":
                continue  # requests keep custom values as raw frames
            for p in m.params:
                names.update(p.type.customs_used())
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--defs", required=True, help="protocol-definitions directory")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--services", default="Client,Map",
                    help="comma-separated service names (default: Client,Map)")
    ap.add_argument("--no-client", action="store_true",
                    help="skip the client side (<out>/client/: request encoders, "
                         "response and event decoders)")
    args = ap.parse_args()

    cdata, cdigest = load_yaml(os.path.join(args.defs, "custom", "Custom.yaml"))
    raw_customs = {d["name"]: d for d in cdata["customTypes"]}
    names = set(raw_customs)
    services, sources = [], []
    for s in args.services.split(","):
        svc, msgs, digest = load_service(args.defs, s.strip(), names)
        services.append((svc, msgs))
        sources.append(("%s.yaml" % s.strip(), digest))
    sources.append(("custom/Custom.yaml", cdigest))

    # Only the custom types in use are built, so unsupported field types of
    # other custom types never matter.
    customs = {}
    pending = sorted(needed_customs(services, names))
    while pending:
        n = pending.pop()
        if n in customs:
            continue
        customs[n] = Custom(raw_customs[n], names)
        for f in customs[n].fields:
            pending += f.type.customs_used()
    order = custom_order(set(customs), customs)

    ban = banner(sources, definitions_revision(args.defs))
    os.makedirs(args.out, exist_ok=True)
    write(os.path.join(args.out, "custom_codecs.h"), custom_header(order, customs, ban))
    write(os.path.join(args.out, "custom_codecs.c"), custom_source(order, customs, ban))
    for svc, msgs in services:
        lower = snake(svc["name"])
        write(os.path.join(args.out, lower + "_codecs.h"), service_header(svc, msgs, ban))
        write(os.path.join(args.out, lower + "_codecs.c"), service_source(svc, msgs, ban))
    h, c = names_files(services, ban)
    write(os.path.join(args.out, "msg_names.h"), h)
    write(os.path.join(args.out, "msg_names.c"), c)
    if not args.no_client:
        write_client_side(os.path.join(args.out, "client"), services, raw_customs, names, ban)


if __name__ == "__main__":
    main()
