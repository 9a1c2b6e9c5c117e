/* memgrid_client.h - memgrid's C client: a small, blocking client for C
 * programs, speaking the Hazelcast Open Binary Client Protocol to a memgrid
 * member (or a Hazelcast 5.x member).
 *
 * Keys and values are strings, stored as Hazelcast strings: what the C
 * client writes, the official clients read as strings, and the other way
 * round.  One connection to the member given; it forwards every key to the
 * member owning its partition.  One request at a time per client; a client
 * belongs to one thread at a time.
 *
 *   char err[256];
 *   mg_client *c = mg_client_connect(&(mg_client_options){.host = "127.0.0.1", .port = 5701}, err, sizeof err);
 *   mg_client_put(c, "my-cache-map", "user:1001", "John Doe", 0, NULL);
 *   char *v;
 *   mg_client_get(c, "my-cache-map", "user:1001", &v);   // v = "John Doe" (free it), NULL when absent
 *   mg_client_close(c);
 */
#ifndef MEMGRID_CLIENT_H
#define MEMGRID_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MG_CLIENT_OK 0
#define MG_CLIENT_EIO (-1)       /* the connection failed or timed out; the client is unusable */
#define MG_CLIENT_EREMOTE (-2)   /* the member answered with an error; mg_client_last_error says which */
#define MG_CLIENT_ETYPE (-3)     /* the stored value is not a string */
#define MG_CLIENT_EINVAL (-4)    /* a NULL or over-long argument */

typedef struct mg_client mg_client;

typedef struct mg_client_options {
    const char *host;           /* NULL: "127.0.0.1" */
    int port;                   /* 0: 5701 */
    const char *cluster_name;   /* NULL: "dev" */
    int timeout_ms;             /* connecting, and each request; 0: 5000 */
} mg_client_options;

/* Connects and authenticates; NULL with the reason in err on failure. */
mg_client *mg_client_connect(const mg_client_options *o, char *err, size_t errlen);
void mg_client_close(mg_client *c);

/* The text of the last error (empty after a success). */
const char *mg_client_last_error(const mg_client *c);

/* Sets map[key] = value, with a time to live (ms; 0: the map's default).
 * old (may be NULL): the previous value, malloc'd, or NULL when none. */
int mg_client_put(mg_client *c, const char *map, const char *key, const char *value, int64_t ttl_ms,
                  char **old);
/* *value: malloc'd, or NULL when the key is absent. */
int mg_client_get(mg_client *c, const char *map, const char *key, char **value);
/* old (may be NULL): the removed value, malloc'd, or NULL when absent. */
int mg_client_remove(mg_client *c, const char *map, const char *key, char **old);
int mg_client_size(mg_client *c, const char *map, int32_t *size);

#ifdef __cplusplus
}
#endif

#endif
