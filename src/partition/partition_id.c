#include "partition/partition_id.h"

#include "util/buf.h"

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

uint32_t mg_murmur3_32(const uint8_t *p, size_t len, uint32_t seed)
{
    const uint32_t c1 = 0xcc9e2d51u, c2 = 0x1b873593u;
    uint32_t h = seed;
    size_t nblocks = len / 4;
    for (size_t i = 0; i < nblocks; i++) {
        uint32_t k = mg_get_u32(p + 4 * i);   /* blocks are little-endian */
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        h = rotl32(h, 13);
        h = h * 5 + 0xe6546b64u;
    }
    const uint8_t *tail = p + 4 * nblocks;
    uint32_t k = 0;
    switch (len & 3) {
    case 3: k ^= (uint32_t)tail[2] << 16; /* fall through */
    case 2: k ^= (uint32_t)tail[1] << 8;  /* fall through */
    case 1:
        k ^= tail[0];
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
    }
    h ^= (uint32_t)len;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

int32_t mg_data_partition_hash(const uint8_t *data, size_t len)
{
    int32_t header = (int32_t)mg_get_be32(data);
    if (header != 0)
        return header;
    return (int32_t)mg_murmur3_32(data + MG_DATA_HEADER, len - MG_DATA_HEADER, MG_MURMUR_SEED);
}

int32_t mg_hash_to_index(int32_t hash, int32_t count)
{
    if (hash == INT32_MIN)
        return 0;
    return (hash < 0 ? -hash : hash) % count;
}

int32_t mg_partition_of(const uint8_t *data, size_t len, int32_t count)
{
    if (len < MG_DATA_HEADER)
        return -1;
    return mg_hash_to_index(mg_data_partition_hash(data, len), count);
}
