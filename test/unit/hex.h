/* hex.h - test helper: byte vectors written as hex text, as in the protocol
 * document, so the tests can quote its examples verbatim. */
#ifndef MG_TEST_HEX_H
#define MG_TEST_HEX_H

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static inline int mg_test_nibble(char c)
{
    return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* Appends the bytes of `text` (hex pairs, any whitespace or '|' ignored). */
static inline void hex_append(mg_buf *b, const char *text)
{
    for (const char *s = text; *s;) {
        if (!isxdigit((unsigned char)*s)) {
            s++;
            continue;
        }
        uint8_t v = (uint8_t)(mg_test_nibble(s[0]) << 4 | mg_test_nibble(s[1]));
        mg_buf_append(b, &v, 1);
        s += 2;
    }
}

/* Appends one frame: header computed from the content. */
static inline void frame_append(mg_buf *b, uint16_t flags, const void *content, size_t n)
{
    uint8_t h[6];
    mg_put_u32(h, (uint32_t)(n + 6));
    mg_put_u16(h + 4, flags);
    mg_buf_append(b, h, 6);
    mg_buf_append(b, content, n);
}

#endif
