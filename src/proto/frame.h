/* frame.h - Hazelcast client protocol frames: reading and writing.
 *
 * Wire format (all little-endian), see docs/protocol.md:
 *
 *   offset size  field
 *   0      4     frame length, including this 6-byte header
 *   4      2     flags (MG_F_*)
 *   6      n     content
 *
 * A message is a run of frames ending with the first frame that has
 * MG_F_FINAL.  Frame 0 is the "initial frame":
 *
 *   request / event      response
 *   0  4 message type     0  4 message type (request type + 1, or 0 = error)
 *   4  8 correlation id   4  8 correlation id
 *   12 4 partition id     12 1 backup acks (memgrid always sends 0)
 *   16 . fixed params     13 . fixed params
 *
 * Reading never copies: an mg_rd walks the frames of one complete message held
 * in a contiguous buffer and hands out borrowed slices.  Every read is bounds
 * checked; a short or lying frame makes the reader fail (MG_EPROTO), never
 * overread.  Writing appends frames to an mg_buf; mg_wr_end() marks the last
 * frame written as FINAL.
 */
#ifndef MG_PROTO_FRAME_H
#define MG_PROTO_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define MG_FRAME_HDR 6
#define MG_F_BEGIN_FRAGMENT 0x8000
#define MG_F_END_FRAGMENT   0x4000
#define MG_F_UNFRAGMENTED   0xC000
#define MG_F_FINAL          0x2000
#define MG_F_BEGIN_DS       0x1000
#define MG_F_END_DS         0x0800
#define MG_F_NULL           0x0400
#define MG_F_EVENT          0x0200
#define MG_F_BACKUP_AWARE   0x0100
#define MG_F_BACKUP_EVENT   0x0080

#define MG_REQ_FIXED_OFF  16  /* first fixed request/event param, in frame 0 content */
#define MG_RESP_FIXED_OFF 13  /* first fixed response param, in frame 0 content */

#define MG_UUID_SIZE 17

/* Return codes of the proto layer (see util/err.h for the global list). */
#define MG_PROTO_OK 0
#define MG_EPROTO (-71)      /* malformed message */

/* A borrowed byte slice.  For nullable values `ptr == NULL` means null; an
 * empty non-null value has a non-NULL ptr and len 0. */
typedef struct mg_bytes {
    const uint8_t *ptr;
    size_t len;
} mg_bytes;

typedef struct mg_uuid {
    int64_t msb;
    int64_t lsb;
    bool is_null;
} mg_uuid;

typedef struct mg_frame {
    const uint8_t *content;  /* points after the 6-byte header */
    size_t len;              /* content length */
    uint16_t flags;
} mg_frame;

/* Header fields of a request, read from frame 0. */
typedef struct mg_req_hdr {
    uint32_t type;
    int64_t corr;
    int32_t partition;
    uint16_t flags;
} mg_req_hdr;

/* A borrowed run of frames, or one frame of packed fixed-size elements.
 * Structured values (List_Data, EntryList_Data_Data, custom types, ...):
 * p/len span the frames strictly between BEGIN_DS and END_DS and count is the
 * number of top-level elements (pairs for entry lists and maps); iterate with
 * mg_rd_init(&r, l.p, l.len).  Fixed-element lists (List_Integer, ...): p/len
 * are the content of their single frame and count = len / element size.
 * A null value has p == NULL; an empty one has p != NULL and count 0. */
typedef struct mg_list {
    const uint8_t *p;
    size_t len;
    size_t count;
} mg_list;

/* --- framing of a byte stream ------------------------------------------- */

/* Looks for one complete message at the start of buf[0..len).
 * Returns 1 and sets *msg_len when a whole message (up to and including its
 * FINAL frame) is present, 0 when more bytes are needed, MG_EPROTO when a
 * frame length is < 6 or the message would exceed max_msg bytes. */
int mg_msg_scan(const uint8_t *buf, size_t len, size_t max_msg, size_t *msg_len);

/* --- reading a complete message ----------------------------------------- */

typedef struct mg_rd {
    const uint8_t *p;
    size_t len;
    size_t off;      /* offset of the next unread frame */
    bool failed;     /* sticky: set by any failed read */
} mg_rd;

void mg_rd_init(mg_rd *r, const uint8_t *msg, size_t len);
bool mg_rd_has_more(const mg_rd *r);                 /* another frame follows */
int mg_rd_next(mg_rd *r, mg_frame *f);               /* consume one frame */
int mg_rd_peek(const mg_rd *r, mg_frame *f);         /* look at the next frame */
/* Reads frame 0 and its request header; leaves *initial for fixed params. */
int mg_rd_request_header(mg_rd *r, mg_req_hdr *h, mg_frame *initial);
/* Skip frames up to and including the END_DS matching an already consumed
 * BEGIN_DS (nested structures counted). */
int mg_rd_fast_forward(mg_rd *r);
bool mg_rd_next_is_null(const mg_rd *r);             /* next frame is a NULL frame */
bool mg_rd_next_is_end(const mg_rd *r);              /* next frame is END_DS */

/* Fixed-size field access inside a frame; false when out of bounds. */
bool mg_fr_u8(const mg_frame *f, size_t off, uint8_t *v);
bool mg_fr_bool(const mg_frame *f, size_t off, bool *v);
bool mg_fr_i32(const mg_frame *f, size_t off, int32_t *v);
bool mg_fr_i64(const mg_frame *f, size_t off, int64_t *v);
bool mg_fr_uuid(const mg_frame *f, size_t off, mg_uuid *v);
bool mg_fr_f32(const mg_frame *f, size_t off, float *v);

/* Variable-size readers (one frame each unless noted). */
int mg_rd_bytes(mg_rd *r, mg_bytes *out);            /* String / Data / byteArray */
int mg_rd_nullable_bytes(mg_rd *r, mg_bytes *out);   /* NULL frame -> ptr NULL */

/* Lists of variable elements: BEGIN, elements..., END.  The iterator form
 * avoids allocation: mg_rd_list_begin consumes BEGIN, then call
 * mg_rd_list_next_bytes until it returns 0 (END consumed). */
int mg_rd_list_begin(mg_rd *r);
int mg_rd_list_next_bytes(mg_rd *r, mg_bytes *out);  /* 1 = element, 0 = end, <0 error */
int mg_rd_list_next_nullable_bytes(mg_rd *r, mg_bytes *out); /* same, NULL frames allowed */

/* Reads frame 0 of msg into *h; MG_EPROTO when it is missing or short. */
int mg_msg_peek_header(const uint8_t *msg, size_t len, mg_req_hdr *h);

/* What a structured value may contain, so that a successful decode lets the
 * handler iterate without re-checking: plain data frames only, data or NULL
 * frames, or anything (nested structures count as one element). */
typedef enum mg_elem_kind {
    MG_ELEM_BYTES,
    MG_ELEM_NULLABLE_BYTES,
    MG_ELEM_ANY,
} mg_elem_kind;

/* BEGIN_DS, elements, END_DS -> *out.  per_item is 1 for lists, 2 for entry
 * lists and maps (the element count must then be even). */
int mg_rd_list(mg_rd *r, mg_elem_kind kind, size_t per_item, mg_list *out);
int mg_rd_nullable_list(mg_rd *r, mg_elem_kind kind, size_t per_item, mg_list *out);
/* One frame of packed elem_size-byte elements (its length must be a multiple). */
int mg_rd_fixed_list(mg_rd *r, size_t elem_size, mg_list *out);
int mg_rd_nullable_fixed_list(mg_rd *r, size_t elem_size, mg_list *out);

/* Element i of a fixed-element list; false when out of bounds. */
bool mg_list_i32(const mg_list *l, size_t i, int32_t *v);
bool mg_list_i64(const mg_list *l, size_t i, int64_t *v);
bool mg_list_uuid(const mg_list *l, size_t i, mg_uuid *v);

/* --- writing ------------------------------------------------------------ */

typedef struct mg_wr {
    mg_buf *b;
    size_t last_frame;   /* offset in b of the last frame header written */
    bool any;
} mg_wr;

void mg_wr_init(mg_wr *w, mg_buf *b);
/* Starts a message: frame 0 with `fixed_len` bytes of fixed params zeroed,
 * returns a pointer to them (valid until the next write). */
uint8_t *mg_wr_response(mg_wr *w, uint32_t type, int64_t corr, size_t fixed_len);
uint8_t *mg_wr_event(mg_wr *w, uint32_t type, int64_t corr, int32_t partition, size_t fixed_len);
uint8_t *mg_wr_frame(mg_wr *w, uint16_t flags, size_t len);  /* raw frame, content ptr */
void mg_wr_bytes(mg_wr *w, const void *p, size_t n);        /* one data frame */
void mg_wr_nullable_bytes(mg_wr *w, const mg_bytes *v);     /* NULL frame if v->ptr == NULL or v == NULL */
void mg_wr_null(mg_wr *w);
void mg_wr_begin(mg_wr *w);                                 /* BEGIN_DS */
void mg_wr_end_ds(mg_wr *w);                                /* END_DS */
void mg_wr_end(mg_wr *w);                                   /* mark last frame FINAL */
void mg_wr_add_flags(mg_wr *w, uint16_t flags);            /* OR flags into the last frame */

/* Writes the frames of one parameter whose type has no built-in writer
 * (custom types and lists of them); a nullable one may call mg_wr_null. */
typedef void (*mg_encode_fn)(mg_wr *w, const void *arg);

/* For non-nullable String/Data/byteArray: NULL (or ptr NULL) -> an empty
 * frame, because a NULL frame there would break the client's decoder. */
void mg_wr_bytes_or_empty(mg_wr *w, const mg_bytes *v);
/* List_Data / List_String: BEGIN, one frame per item, END. */
void mg_wr_bytes_list(mg_wr *w, const mg_bytes *items, size_t n);
/* ListCN_Data: same, but an item with ptr NULL becomes a NULL frame. */
void mg_wr_nullable_bytes_list(mg_wr *w, const mg_bytes *items, size_t n);
/* EntryList_Data_Data, Map_String_String, ...: kv = k0, v0, k1, v1, ... */
void mg_wr_bytes_pairs(mg_wr *w, const mg_bytes *kv, size_t n_pairs);
/* Fixed-element lists: one frame, elements packed. */
void mg_wr_i32_list(mg_wr *w, const int32_t *v, size_t n);
void mg_wr_i64_list(mg_wr *w, const int64_t *v, size_t n);
void mg_wr_uuid_list(mg_wr *w, const mg_uuid *v, size_t n);

/* EntryList_UUID_List_Integer (partition table): entry i maps keys[i] to
 * lists[i][0 .. lens[i]).  Use with mg_wr_uuid_i32_lists_fn as callback. */
typedef struct mg_uuid_i32_lists {
    const mg_uuid *keys;
    const int32_t *const *lists;
    const size_t *lens;
    size_t n;
} mg_uuid_i32_lists;
void mg_wr_uuid_i32_lists(mg_wr *w, const mg_uuid_i32_lists *v);
void mg_wr_uuid_i32_lists_fn(mg_wr *w, const void *arg);  /* NULL arg -> empty */

void mg_enc_uuid(uint8_t *p, const mg_uuid *u);
void mg_enc_i32(uint8_t *p, int32_t v);
void mg_enc_i64(uint8_t *p, int64_t v);
void mg_enc_f32(uint8_t *p, float v);

#endif
