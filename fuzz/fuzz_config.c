/* fuzz_config.c - libFuzzer target for the hazelcast.yaml loader.
 *
 * Feeds arbitrary bytes to mg_config_load_string and exercises what the rest
 * of the member does with a loaded config (map lookup, dump), then frees it;
 * ASan finds overreads and leaks, the loader's own limits (depth, node count,
 * visits) keep each input fast.
 *
 * Build: clang -fsanitize=fuzzer,address -Iinclude -Isrc fuzz/fuzz_config.c
 *        with every .c file of src/config and src/util, and -lyaml.
 * Seeds: the .yaml files of test/config.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

static void quiet(void *ctx, bool is_error, const char *file, int line, const char *msg)
{
    /* Touch the message so a bad pointer or missing NUL shows up under ASan. */
    size_t *total = ctx;
    *total += strlen(file) + strlen(msg) + (size_t)(line > 0) + (size_t)is_error;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t total = 0;
    mg_config c;
    mg_config_defaults(&c);
    int rc = mg_config_load_string(&c, (const char *)data, size, "fuzz.yaml", quiet, &total);
    if (rc == 0) {
        /* Look up names built from the input, so wildcard matching sees
         * patterns and names that came from the same bytes. */
        const char *probe[] = {"default", "users", "user@key", "x-cache", ""};
        for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++)
            (void)mg_config_map(&c, probe[i], strlen(probe[i]));
        for (size_t i = 0; i < c.n_maps; i++)
            (void)mg_config_map(&c, c.maps[i].name, strlen(c.maps[i].name));
        for (size_t i = 0; i < c.join.n_members; i++) {
            mg_member_addr a[4];
            const char *why;
            (void)mg_config_member_addrs(c.join.member_list[i], c.port, a, 4, &why);
        }
        FILE *devnull = fopen("/dev/null", "w");
        if (devnull) {
            mg_config_dump(&c, devnull);
            fclose(devnull);
        }
    }
    /* Whatever the input, the member list holds only valid addresses. */
    for (size_t i = 0; i < c.join.n_members; i++)
        if (mg_config_member_addrs(c.join.member_list[i], 5701, NULL, 0, NULL) < 0)
            __builtin_trap();
    mg_config_free(&c);
    return 0;
}
