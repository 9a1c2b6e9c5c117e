/* wildcard.c - which map section configures a map, as Hazelcast decides it.
 *
 * Hazelcast (Config.findMapConfig with its default MatchingPointConfigPatternMatcher):
 *   1. the name loses everything from its first '@' (a partition key:
 *      "orders@customer42" is the map "orders");
 *   2. a section whose name equals the map name wins;
 *   3. otherwise among patterns with one '*', a pattern matches when the name
 *      starts with the part before '*' and ends with the part after it; the
 *      best pattern is the one with the most literal characters;
 *   4. otherwise map.default.
 * Hazelcast throws on two best patterns of equal length; a lookup here cannot
 * fail, so the one defined first in the file wins.  The loader refuses
 * patterns with more than one '*', so every pattern has zero or one.
 *
 * The cost is linear in the number of map sections; callers on the data path
 * resolve a map's config once, when the map is created, not per operation.
 */
#include "config/config.h"

#include <string.h>

int mg_config_wildcard_score(const char *pattern, const char *name, size_t name_len)
{
    const char *star = strchr(pattern, '*');
    size_t plen = strlen(pattern);
    if (!star)
        return plen == name_len && memcmp(pattern, name, name_len) == 0 ? (int)plen : -1;

    size_t pre = (size_t)(star - pattern);
    size_t suf = plen - pre - 1;
    /* The length test keeps "ab*ba" from matching "aba" with the prefix and
     * suffix overlapping. */
    if (name_len < pre + suf)
        return -1;
    if (memcmp(name, pattern, pre) != 0 || memcmp(name + name_len - suf, star + 1, suf) != 0)
        return -1;
    return (int)(pre + suf);
}

const mg_map_config *mg_config_map(const mg_config *c, const char *name, size_t name_len)
{
    const char *at = memchr(name, '@', name_len);
    if (at)
        name_len = (size_t)(at - name);

    /* Exact names first, "default" included: a map called "default" gets
     * map.default even when a pattern like "*" exists. */
    if (name_len == 7 && memcmp(name, "default", 7) == 0)
        return &c->default_map;
    for (size_t i = 0; i < c->n_maps; i++) {
        const char *p = c->maps[i].name;
        if (strlen(p) == name_len && memcmp(p, name, name_len) == 0)
            return &c->maps[i];
    }

    const mg_map_config *best = &c->default_map;
    int best_score = -1;
    for (size_t i = 0; i < c->n_maps; i++) {
        if (!strchr(c->maps[i].name, '*'))
            continue;
        int s = mg_config_wildcard_score(c->maps[i].name, name, name_len);
        if (s > best_score) {
            best_score = s;
            best = &c->maps[i];
        }
    }
    return best;
}
