/* client.c - memgrid-cli: reads and writes map entries from the shell with
 * memgrid's C client (include/memgrid_client.h), against a memgrid member or
 * any Hazelcast 5.x member.  Keys and values are strings.
 *
 *   memgrid-cli [--host H] [--port P] [--cluster NAME] [--timeout MS] COMMAND
 *     put MAP KEY VALUE [TTL_MS]   prints the previous value
 *     get MAP KEY                  prints the value
 *     remove MAP KEY               prints the removed value
 *     size MAP                     prints the entry count
 *   An absent value prints "(nil)".  Exit 0, 1 on an error (said on stderr),
 *   2 on a usage error. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memgrid_client.h"

static int usage(void)
{
    fputs("usage: memgrid-cli [--host H] [--port P] [--cluster NAME] [--timeout MS] COMMAND\n"
          "  put MAP KEY VALUE [TTL_MS] | get MAP KEY | remove MAP KEY | size MAP\n", stderr);
    return 2;
}

static void print_value(char *v)
{
    puts(v ? v : "(nil)");
    free(v);
}

int main(int argc, char **argv)
{
    mg_client_options o = {0};
    int i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--host") == 0)
            o.host = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            o.port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--cluster") == 0)
            o.cluster_name = argv[i + 1];
        else if (strcmp(argv[i], "--timeout") == 0)
            o.timeout_ms = atoi(argv[i + 1]);
        else
            return usage();
    }
    int n = argc - i;
    const char *cmd = n > 0 ? argv[i] : "";
    bool ok = (strcmp(cmd, "put") == 0 && (n == 4 || n == 5)) || (strcmp(cmd, "get") == 0 && n == 3) ||
              (strcmp(cmd, "remove") == 0 && n == 3) || (strcmp(cmd, "size") == 0 && n == 2);
    if (!ok)
        return usage();
    char err[320];
    mg_client *c = mg_client_connect(&o, err, sizeof err);
    if (!c) {
        fprintf(stderr, "memgrid-cli: %s\n", err);
        return 1;
    }
    int rc;
    char *v = NULL;
    if (strcmp(cmd, "put") == 0) {
        long long ttl = n == 5 ? atoll(argv[i + 4]) : 0;
        if ((rc = mg_client_put(c, argv[i + 1], argv[i + 2], argv[i + 3], ttl, &v)) == MG_CLIENT_OK)
            print_value(v);
    } else if (strcmp(cmd, "get") == 0) {
        if ((rc = mg_client_get(c, argv[i + 1], argv[i + 2], &v)) == MG_CLIENT_OK)
            print_value(v);
    } else if (strcmp(cmd, "remove") == 0) {
        if ((rc = mg_client_remove(c, argv[i + 1], argv[i + 2], &v)) == MG_CLIENT_OK)
            print_value(v);
    } else {
        int32_t size;
        if ((rc = mg_client_size(c, argv[i + 1], &size)) == MG_CLIENT_OK)
            printf("%d\n", (int)size);
    }
    if (rc != MG_CLIENT_OK)
        fprintf(stderr, "memgrid-cli: %s %s: %s\n", cmd, argv[i + 1], mg_client_last_error(c));
    mg_client_close(c);
    return rc == MG_CLIENT_OK ? 0 : 1;
}
