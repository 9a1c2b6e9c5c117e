/* partition_id.h - which partition a key belongs to, computed exactly as
 * Hazelcast does so that clients and members agree on owners:
 *
 *   hash = the big-endian int32 at key[0..4) if it is non-zero,
 *          else MurmurHash3_x86_32(key[8..), seed 0x01000193)
 *   partition = hash == INT32_MIN ? 0 : abs(hash) % partition_count
 */
#ifndef MG_PARTITION_PARTITION_ID_H
#define MG_PARTITION_PARTITION_ID_H

#include <stddef.h>
#include <stdint.h>

#define MG_MURMUR_SEED 0x01000193u
#define MG_DATA_HEADER 8   /* partition hash (4) + type id (4) */

uint32_t mg_murmur3_32(const uint8_t *p, size_t len, uint32_t seed);
int32_t mg_data_partition_hash(const uint8_t *data, size_t len);
int32_t mg_hash_to_index(int32_t hash, int32_t count);
/* Partition of a serialized key; -1 when the blob is shorter than its header. */
int32_t mg_partition_of(const uint8_t *data, size_t len, int32_t count);

#endif
