/* alloc.h - allocation wrappers.
 *
 * Policy (decided once): memgrid refuses writes that would pass its memory
 * limit before it allocates for them, so an allocation failure below that limit
 * means the machine itself is out of memory.  The wrappers then log and abort:
 * there is no partially-applied state to unwind, and a crashed member's
 * partitions are served by their backups.
 */
#ifndef MG_UTIL_ALLOC_H
#define MG_UTIL_ALLOC_H

#include <stddef.h>
#include <stdlib.h>

void *mg_xmalloc(size_t n);
void *mg_xcalloc(size_t n, size_t size);
void *mg_xrealloc(void *p, size_t n);
char *mg_xstrndup(const char *s, size_t n);

#endif
