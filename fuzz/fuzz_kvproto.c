/* libFuzzer target for memgrid-bench's answer scanner of the peers'
 * protocols (bench/loadgen/kvproto.h): the first byte picks Redis (even)
 * or memcached (odd); the rest is read as a stream of answers, cut with
 * bkv_scan exactly as a connection does, from a heap copy of exactly the
 * bytes so that ASan catches a read past them.  Every answer must lie
 * inside what was consumed, and a scan must make progress or stop.
 *
 * Build: fuzz/run.sh ("src/util bench/loadgen/kvproto.c").
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/loadgen/kvproto.h"

#define MAX_VALUE 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bproto p = (data[0] & 1) ? BPROTO_MEMCACHE : BPROTO_REDIS;
    size_t len = size - 1;
    uint8_t *buf = malloc(len ? len : 1);
    memcpy(buf, data + 1, len);
    size_t off = 0;
    while (off < len) {
        size_t used = 0;
        bkv_answer a;
        int rc = bkv_scan(p, buf + off, len - off, MAX_VALUE, &used, &a);
        if (rc <= 0)
            break;
        if (used == 0 || used > len - off)
            abort();
        if (a.val && (a.val < buf + off || a.val + a.len > buf + off + used))
            abort();
        if (a.kind == BKV_VALUE && a.len > MAX_VALUE)
            abort();
        off += used;
    }
    free(buf);
    return 0;
}
