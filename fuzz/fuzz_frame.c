/* libFuzzer target for the proto layer: stream framing, the frame reader,
 * every generated request decoder, and the answer decoders memgrid's C
 * client uses.
 *
 * Every decoder runs on a heap copy of exactly the scanned message, so an
 * overread past the message end is caught by ASan even when the fuzzer input
 * holds more bytes.  Besides the decoder the header type selects, the message
 * is also fed to one more decoder chosen from the input (its type field
 * rewritten), so that every decoder sees deep inputs without the fuzzer
 * having to discover all type ids first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/codecs/client/client_codecs.h"
#include "proto/codecs/client/map_codecs.h"
#include "proto/codecs/client_codecs.h"
#include "proto/codecs/map_codecs.h"
#include "proto/codecs/msg_names.h"
#include "proto/error.h"
#include "proto/frame.h"

#define FUZZ_MAX_MSG (1u << 20)

/* A crash (abort) is how libFuzzer learns an invariant broke. */
static void check(int cond)
{
    if (!cond)
        abort();
}

static void walk_value(mg_rd *r);

/* Iterates a structure's elements the way a handler would. */
static void walk_structure(mg_rd *r)
{
    mg_list l;
    if (mg_rd_list(r, MG_ELEM_ANY, 1, &l) != 0)
        return;
    mg_rd inner;
    mg_rd_init(&inner, l.p, l.len);
    size_t n = 0;
    while (mg_rd_has_more(&inner)) {
        walk_value(&inner);
        n++;
    }
    check(!inner.failed && n == l.count);
}

static void walk_value(mg_rd *r)
{
    mg_frame f;
    if (mg_rd_peek(r, &f) != 0) {
        r->failed = true;
        return;
    }
    if (f.flags & MG_F_BEGIN_DS) {
        walk_structure(r);
        return;
    }
    mg_bytes v;
    if (mg_rd_nullable_bytes(r, &v) == 0 && v.ptr) {
        volatile uint8_t sink = 0;
        for (size_t i = 0; i < v.len; i++)
            sink ^= v.ptr[i];
        (void)sink;
    }
}

static void walk_frames(const uint8_t *msg, size_t len)
{
    mg_rd r;
    mg_req_hdr h;
    mg_frame f0;
    mg_rd_init(&r, msg, len);
    if (mg_rd_request_header(&r, &h, &f0) != 0)
        return;
    (void)mg_msg_name(h.type);
    for (int i = 0; i < 64 && mg_rd_has_more(&r); i++)
        walk_value(&r);
}

static int decode_any(const uint8_t *msg, size_t len)
{
    int rc = mg_client_req_check(msg, len);
    if (rc == 1)
        rc = mg_map_req_check(msg, len);
    check(rc == 0 || rc == 1 || rc == MG_EPROTO);
    return rc;
}

static uint32_t pick_type(uint8_t sel)
{
    size_t n = mg_client_req_types_n + mg_map_req_types_n;
    size_t i = sel % n;
    return i < mg_client_req_types_n ? mg_client_req_types[i]
                                     : mg_map_req_types[i - mg_client_req_types_n];
}

/* Whatever a handler encodes from decoded input must frame as one message. */
static void check_encoded(const mg_buf *b)
{
    size_t n = 0;
    check(mg_msg_scan(b->data, b->len, SIZE_MAX, &n) == 1 && n == b->len);
}

static void round_trip_put(const uint8_t *msg, size_t len)
{
    mg_map_put_req req;
    if (mg_map_put_req_decode(msg, len, &req) != 0)
        return;
    mg_buf b;
    mg_buf_init(&b);
    mg_map_put_resp_encode(&b, req.hdr.corr, &req.value);
    check_encoded(&b);
    mg_buf_reset(&b);
    mg_map_add_entry_listener_event_entry_encode(&b, req.hdr.corr, req.hdr.partition, &req.key,
                                                 &req.value, NULL, &req.name, 1, NULL, 1);
    check_encoded(&b);
    mg_buf_free(&b);
}

/* The answers memgrid's C client reads (src/cclient): each decoder must
 * refuse or decode the message without reading past it. */
static void decode_answers(const uint8_t *msg, size_t n)
{
    char text[256];
    mg_proto_error_text(msg, n, text, sizeof text);
    mg_client_authentication_resp auth;
    mg_client_authentication_resp_decode(msg, n, &auth);
    mg_map_put_resp put;
    mg_map_put_resp_decode(msg, n, &put);
    mg_map_get_resp get;
    mg_map_get_resp_decode(msg, n, &get);
    mg_map_remove_resp rem;
    mg_map_remove_resp_decode(msg, n, &rem);
    mg_map_size_resp size;
    mg_map_size_resp_decode(msg, n, &size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    int rc = mg_msg_scan(data, size, FUZZ_MAX_MSG, &n);
    check(rc == 0 || rc == 1 || rc == MG_EPROTO);
    if (rc != 1) {
        /* Not a complete message: the reader must still fail cleanly. */
        walk_frames(data, size);
        return 0;
    }
    check(n >= MG_FRAME_HDR && n <= size);

    uint8_t *msg = malloc(n);
    if (!msg)
        return 0;
    memcpy(msg, data, n);
    walk_frames(msg, n);
    decode_any(msg, n);
    round_trip_put(msg, n);
    decode_answers(msg, n);

    if (n >= MG_FRAME_HDR + 4) {
        uint8_t sel = size > n ? data[n] : data[n - 1];
        mg_put_u32(msg + MG_FRAME_HDR, pick_type(sel));
        check(decode_any(msg, n) != 1);
    }
    free(msg);
    return 0;
}
