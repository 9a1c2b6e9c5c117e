/* kvproto.c - RESP2 and memcached meta requests and answers; see kvproto.h. */
#include "kvproto.h"

#include <string.h>

const char *const bproto_names[] = { "hazelcast", "redis", "memcache" };

bool bkv_supports(bproto p, bop op)
{
    return p != BPROTO_MEMCACHE || op != BOP_PUT;
}

/* --- requests --------------------------------------------------------------- */

static void put_dec(mg_buf *out, size_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    uint8_t *p = mg_buf_extend(out, n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)tmp[n - 1 - i];
}

static void put_str(mg_buf *out, const char *s) { mg_buf_append(out, s, strlen(s)); }

/* A RESP bulk string: $<len>\r\n<bytes>\r\n */
static void resp_bulk(mg_buf *out, const void *p, size_t n)
{
    put_str(out, "$");
    put_dec(out, n);
    put_str(out, "\r\n");
    mg_buf_append(out, p, n);
    put_str(out, "\r\n");
}

static void resp_encode(bop op, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                        mg_buf *out)
{
    switch (op) {
    case BOP_GET:
        put_str(out, "*2\r\n$3\r\nGET\r\n");
        resp_bulk(out, key, klen);
        break;
    case BOP_SET:
    case BOP_PUT:
        put_str(out, op == BOP_SET ? "*3\r\n$3\r\nSET\r\n" : "*4\r\n$3\r\nSET\r\n");
        resp_bulk(out, key, klen);
        resp_bulk(out, val, vlen);
        if (op == BOP_PUT)
            put_str(out, "$3\r\nGET\r\n");
        break;
    default:
        put_str(out, "*2\r\n$6\r\nGETDEL\r\n");
        resp_bulk(out, key, klen);
        break;
    }
}

static void meta_encode(bop op, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                        mg_buf *out)
{
    switch (op) {
    case BOP_GET:
        put_str(out, "mg ");
        mg_buf_append(out, key, klen);
        put_str(out, " v\r\n");
        break;
    case BOP_SET:
        put_str(out, "ms ");
        mg_buf_append(out, key, klen);
        put_str(out, " ");
        put_dec(out, vlen);
        put_str(out, "\r\n");
        mg_buf_append(out, val, vlen);
        put_str(out, "\r\n");
        break;
    default:   /* BOP_REMOVE; BOP_PUT is refused by the option parser */
        put_str(out, "md ");
        mg_buf_append(out, key, klen);
        put_str(out, "\r\n");
        break;
    }
}

void bkv_encode(bproto p, bop op, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                mg_buf *out)
{
    if (p == BPROTO_REDIS)
        resp_encode(op, key, klen, val, vlen, out);
    else
        meta_encode(op, key, klen, val, vlen, out);
}

/* --- answers ---------------------------------------------------------------- */

/* The first line of buf: its length without \r\n in *n; false when the
 * line is not complete yet. */
static bool line(const uint8_t *buf, size_t len, size_t *n)
{
    const uint8_t *nl = memchr(buf, '\n', len);
    if (!nl)
        return false;
    *n = (size_t)(nl - buf);
    return true;
}

/* A decimal at s[0..n) that may start with '-'; false when it is not one. */
static bool parse_dec(const uint8_t *s, size_t n, long long *v)
{
    bool neg = n > 0 && s[0] == '-';
    size_t i = neg;
    if (i == n || n - i > 18)
        return false;
    long long x = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = neg ? -x : x;
    return true;
}

/* The line must end in \r\n: returns its length without the \r, or -1. */
static long crlf_line(const uint8_t *buf, size_t n)
{
    return n > 0 && buf[n - 1] == '\r' ? (long)(n - 1) : -1;
}

/* A value block of vlen bytes and \r\n right after a header of hdr bytes. */
static int value_block(const uint8_t *buf, size_t len, size_t hdr, long long vlen, size_t max,
                       size_t *used, bkv_answer *a)
{
    if (vlen < 0 || (unsigned long long)vlen > max)
        return -1;
    size_t need = hdr + (size_t)vlen + 2;
    if (len < need)
        return 0;
    if (buf[need - 2] != '\r' || buf[need - 1] != '\n')
        return -1;
    a->kind = BKV_VALUE;
    a->val = buf + hdr;
    a->len = (size_t)vlen;
    *used = need;
    return 1;
}

static int resp_scan(const uint8_t *buf, size_t len, size_t max, size_t *used, bkv_answer *a)
{
    size_t n;
    if (!line(buf, len, &n))
        return len > 64 + 20 && buf[0] == '$' ? -1 : 0;   /* a bulk header is short */
    long body = crlf_line(buf, n);
    if (body < 1)
        return -1;
    long long v;
    switch (buf[0]) {
    case '+':
    case ':':
        if (buf[0] == ':' && !parse_dec(buf + 1, (size_t)body - 1, &v))
            return -1;
        a->kind = BKV_OK;
        a->val = buf + 1;
        a->len = (size_t)body - 1;
        *used = n + 1;
        return 1;
    case '-':
        a->kind = BKV_ERROR;
        a->val = buf + 1;
        a->len = (size_t)body - 1;
        *used = n + 1;
        return 1;
    case '_':   /* RESP3 null */
        if (body != 1)
            return -1;
        a->kind = BKV_NIL;
        a->val = NULL;
        a->len = 0;
        *used = n + 1;
        return 1;
    case '$':
        if (!parse_dec(buf + 1, (size_t)body - 1, &v))
            return -1;
        if (v == -1) {
            a->kind = BKV_NIL;
            a->val = NULL;
            a->len = 0;
            *used = n + 1;
            return 1;
        }
        return value_block(buf, len, n + 1, v, max, used, a);
    default:
        return -1;   /* arrays, maps, ...: no request here asks for one */
    }
}

static bool starts(const uint8_t *s, size_t n, const char *word)
{
    size_t w = strlen(word);
    return n >= w && memcmp(s, word, w) == 0 && (n == w || s[w] == ' ');
}

static int meta_scan(const uint8_t *buf, size_t len, size_t max, size_t *used, bkv_answer *a)
{
    size_t n;
    if (!line(buf, len, &n))
        return len > 1024 ? -1 : 0;   /* no answer line is that long */
    long body = crlf_line(buf, n);
    if (body < 2)
        return -1;
    size_t b = (size_t)body;
    a->val = NULL;
    a->len = 0;
    *used = n + 1;
    if (starts(buf, b, "VA")) {
        /* VA <len> [flags]\r\n<data>\r\n */
        size_t i = 3, j;
        if (b < 4)
            return -1;
        for (j = i; j < b && buf[j] != ' '; j++)
            ;
        long long v;
        if (!parse_dec(buf + i, j - i, &v))
            return -1;
        return value_block(buf, len, n + 1, v, max, used, a);
    }
    if (starts(buf, b, "EN") || starts(buf, b, "NF")) {
        a->kind = BKV_NIL;
        return 1;
    }
    if (starts(buf, b, "HD")) {
        a->kind = BKV_OK;
        return 1;
    }
    if (starts(buf, b, "NS") || starts(buf, b, "EX") || starts(buf, b, "ERROR") ||
        starts(buf, b, "CLIENT_ERROR") || starts(buf, b, "SERVER_ERROR")) {
        a->kind = BKV_ERROR;
        a->val = buf;
        a->len = b;
        return 1;
    }
    return -1;
}

int bkv_scan(bproto p, const uint8_t *buf, size_t len, size_t max, size_t *used, bkv_answer *a)
{
    if (len == 0)
        return 0;
    return p == BPROTO_REDIS ? resp_scan(buf, len, max, used, a) : meta_scan(buf, len, max, used, a);
}
