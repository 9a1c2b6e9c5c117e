/* yaml_load.c - libyaml events -> a tree of mg_ynode, each node with its line.
 *
 * Why our own tree and not libyaml's yaml_document_t: we want the line of
 * every node for messages (h2o keeps file:line on every YAML node, STYLE 11),
 * duplicate keys reported as errors rather than silently overwritten, and
 * limits that keep a hostile or fuzzed file from using unbounded stack or
 * time (nesting depth, node count, anchor count).
 *
 * Anchors and aliases are supported the cheap way: an alias is the anchored
 * node's pointer, shared.  An anchor is registered only when its node is
 * complete, so an alias can never point at one of its own ancestors and the
 * tree cannot contain a cycle.
 */
#include "config/config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/alloc.h"

/* Generous for any hand-written hazelcast.yaml (the full example Hazelcast
 * ships has a few thousand nodes), small enough that a fuzzed input cannot
 * make loading slow. */
#define MAX_DEPTH   64
#define MAX_NODES   200000
#define MAX_ANCHORS 4096

typedef struct anchor {
    char *name;
    mg_ynode *node;
} anchor;

typedef struct parser {
    yaml_parser_t yp;
    mg_ydoc *doc;
    anchor *anchors; size_t n_anchors;
    char *err; size_t errlen; int *eline, *ecol;
    bool failed;
} parser;

static void fail(parser *p, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Keeps the first failure only: later ones are consequences of it. */
static void fail(parser *p, int line, int col, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, p->errlen, fmt, ap);
    va_end(ap);
    *p->eline = line;
    *p->ecol = col;
}

/* libyaml's own wording and position, e.g. "could not find expected ':'
 * (while scanning a simple key at line 3)". */
static void fail_libyaml(parser *p)
{
    const yaml_parser_t *y = &p->yp;
    char ctx[160] = "";
    if (y->context)
        snprintf(ctx, sizeof ctx, " (%s at line %zu)", y->context, (size_t)y->context_mark.line + 1);
    fail(p, (int)y->problem_mark.line + 1, (int)y->problem_mark.column + 1, "YAML syntax error at column %d: %s%s%s",
         (int)y->problem_mark.column + 1, y->problem ? y->problem : "malformed YAML", ctx,
         y->problem && strstr(y->problem, "expected key") ? "; check the indentation" : "");
}

static mg_ynode *new_node(parser *p, mg_ynode_kind kind, const yaml_mark_t *m)
{
    mg_ydoc *d = p->doc;
    if (d->n_all >= MAX_NODES) {
        fail(p, (int)m->line + 1, (int)m->column + 1, "YAML document too large (more than 200000 nodes)");
        return NULL;
    }
    if (d->n_all == d->cap_all) {
        d->cap_all = d->cap_all ? d->cap_all * 2 : 64;
        d->all = mg_xrealloc(d->all, d->cap_all * sizeof *d->all);
    }
    mg_ynode *n = mg_xcalloc(1, sizeof *n);
    n->kind = kind;
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    d->all[d->n_all++] = n;
    return n;
}

static void add_kid(mg_ynode *parent, mg_ynode *kid, size_t *cap)
{
    if (parent->n_kids == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        parent->kids = mg_xrealloc(parent->kids, *cap * sizeof *parent->kids);
    }
    parent->kids[parent->n_kids++] = kid;
}

static void register_anchor(parser *p, const yaml_char_t *name, mg_ynode *n)
{
    if (!name || !n)
        return;
    if (p->n_anchors >= MAX_ANCHORS) {
        fail(p, n->line, n->col, "YAML document has more than 4096 anchors");
        return;
    }
    /* A later anchor of the same name hides the earlier one (YAML 1.2). */
    p->anchors = mg_xrealloc(p->anchors, (p->n_anchors + 1) * sizeof *p->anchors);
    p->anchors[p->n_anchors].name = mg_xstrndup((const char *)name, strlen((const char *)name));
    p->anchors[p->n_anchors].node = n;
    p->n_anchors++;
}

static mg_ynode *find_anchor(parser *p, const char *name)
{
    for (size_t i = p->n_anchors; i-- > 0;)
        if (strcmp(p->anchors[i].name, name) == 0)
            return p->anchors[i].node;
    return NULL;
}

/* A plain (unquoted) empty, "~" or "null" scalar is YAML's null: a key
 * written with nothing after the colon. */
static bool is_plain_null(const yaml_event_t *ev)
{
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    return n == 0 || (n == 1 && s[0] == '~') ||
           (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static int cmp_key(const void *a, const void *b)
{
    const mg_ynode *x = *(mg_ynode *const *)a, *y = *(mg_ynode *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->str, y->str, n);
    if (r)
        return r;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->line - y->line;   /* equal keys: the earlier one first */
}

/* Duplicate keys are an error: the YAML spec forbids them and a silent "last
 * one wins" hides typos like two `default:` sections.  Sorting keeps the
 * check O(n log n) for large mappings. */
static void check_duplicates(parser *p, mg_ynode *map)
{
    size_t n = map->n_kids / 2;
    if (n < 2)
        return;
    mg_ynode **keys = mg_xmalloc(n * sizeof *keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = map->kids[2 * i];
    qsort(keys, n, sizeof *keys, cmp_key);
    for (size_t i = 1; i < n; i++) {
        if (keys[i]->len == keys[i - 1]->len && memcmp(keys[i]->str, keys[i - 1]->str, keys[i]->len) == 0) {
            fail(p, keys[i]->line, keys[i]->col, "duplicate key '%s' (first defined at line %d)", keys[i]->str,
                 keys[i - 1]->line);
            break;
        }
    }
    free(keys);
}

static bool next_event(parser *p, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&p->yp, ev)) {
        fail_libyaml(p);
        return false;
    }
    return true;
}

static mg_ynode *parse_node(parser *p, yaml_event_t *ev, int depth);

/* Reads events up to the closing event of a collection whose start event was
 * consumed; for mappings, kids alternate key, value. */
static void parse_children(parser *p, mg_ynode *n, yaml_event_type_t end, int depth)
{
    size_t cap = 0;
    bool is_map = n->kind == MG_YMAP;
    for (;;) {
        yaml_event_t ev;
        if (!next_event(p, &ev))
            return;
        if (ev.type == end) {
            yaml_event_delete(&ev);
            break;
        }
        mg_ynode *kid = parse_node(p, &ev, depth + 1);
        if (!kid)
            return;
        if (is_map && n->n_kids % 2 == 0 && kid->kind != MG_YSCALAR) {
            fail(p, kid->line, kid->col, "mapping keys must be plain text, not %s",
                 kid->kind == MG_YNULL ? "empty" : "a mapping or sequence");
            return;
        }
        add_kid(n, kid, &cap);
    }
    if (is_map)
        check_duplicates(p, n);
}

/* Consumes *ev (and, for collections, every event up to the closing one). */
static mg_ynode *parse_node(parser *p, yaml_event_t *ev, int depth)
{
    mg_ynode *n = NULL;
    const yaml_char_t *anchor_name = NULL;

    if (depth > MAX_DEPTH) {
        fail(p, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
             "YAML nesting deeper than 64 levels");
        yaml_event_delete(ev);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        anchor_name = ev->data.scalar.anchor;
        n = new_node(p, is_plain_null(ev) ? MG_YNULL : MG_YSCALAR, &ev->start_mark);
        if (n) {
            n->len = ev->data.scalar.length;
            n->str = mg_xstrndup((const char *)ev->data.scalar.value, n->len);
            n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        }
        break;
    case YAML_ALIAS_EVENT:
        n = find_anchor(p, (const char *)ev->data.alias.anchor);
        if (!n)
            fail(p, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                 "alias '*%s' refers to no anchor defined before it", (const char *)ev->data.alias.anchor);
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool is_map = ev->type == YAML_MAPPING_START_EVENT;
        anchor_name = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        n = new_node(p, is_map ? MG_YMAP : MG_YSEQ, &ev->start_mark);
        if (n) {
            /* The anchor name must outlive the event, which parse_children
             * does not touch; register after the children so that aliases
             * inside cannot see it. */
            char *keep = anchor_name ? mg_xstrndup((const char *)anchor_name, strlen((const char *)anchor_name)) : NULL;
            yaml_event_delete(ev);
            parse_children(p, n, is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT, depth);
            if (!p->failed)
                register_anchor(p, (const yaml_char_t *)keep, n);
            free(keep);
            return p->failed ? NULL : n;
        }
        break;
    }
    default:
        fail(p, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1, "unexpected YAML event");
        break;
    }
    if (n && !p->failed)
        register_anchor(p, anchor_name, n);
    yaml_event_delete(ev);
    return p->failed ? NULL : n;
}

static void parse_stream(parser *p)
{
    yaml_event_t ev;
    int docs = 0;
    for (;;) {
        if (!next_event(p, &ev))
            return;
        yaml_event_type_t t = ev.type;
        int line = (int)ev.start_mark.line + 1;
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT)
            return;
        if (t != YAML_DOCUMENT_START_EVENT)
            continue;   /* STREAM_START, DOCUMENT_END */
        if (++docs > 1) {
            fail(p, line, 1, "more than one YAML document ('---'); a hazelcast.yaml holds one");
            return;
        }
        if (!next_event(p, &ev))
            return;
        p->doc->root = parse_node(p, &ev, 0);
        if (p->failed)
            return;
    }
}

int mg_yaml_parse(const char *buf, size_t len, mg_ydoc *doc, char *err, size_t errlen, int *line, int *col)
{
    parser p;
    memset(&p, 0, sizeof p);
    memset(doc, 0, sizeof *doc);
    p.doc = doc;
    p.err = err;
    p.errlen = errlen;
    p.eline = line;
    p.ecol = col;
    *line = *col = 0;
    if (errlen)
        err[0] = '\0';

    if (!yaml_parser_initialize(&p.yp)) {
        fail(&p, 0, 0, "cannot initialise the YAML parser (out of memory)");
        return -1;
    }
    yaml_parser_set_input_string(&p.yp, (const unsigned char *)buf, len);
    parse_stream(&p);
    yaml_parser_delete(&p.yp);
    for (size_t i = 0; i < p.n_anchors; i++)
        free(p.anchors[i].name);
    free(p.anchors);
    if (p.failed) {
        mg_yaml_free(doc);
        return -1;
    }
    return 0;
}

void mg_yaml_free(mg_ydoc *doc)
{
    for (size_t i = 0; i < doc->n_all; i++) {
        free(doc->all[i]->str);
        free(doc->all[i]->kids);
        free(doc->all[i]);
    }
    free(doc->all);
    memset(doc, 0, sizeof *doc);
}
