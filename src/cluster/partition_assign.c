/* partition_assign.c - the balanced table the master publishes.
 *
 * mg_pt_assign starts from the repaired table (surviving placements kept,
 * first surviving backups promoted) and works one replica index at a time,
 * hottest first.  For index r every member gets a target count, P / n or
 * one more; the "one more"s go to the members with the fewest replicas at
 * the indexes already done, which keeps each member's total within one of
 * the others' too (docs/cluster.md has the argument).  Then only slots whose
 * holder is above its target, or that are empty, change, in order of cost:
 *
 *   A. role swaps: the holder changes places with a colder replica of the
 *      same partition.  One swap may only pass the excess on to a member at
 *      target, so we search for a chain of swaps (a shortest path, breadth
 *      first over members) from a member above target to one below it:
 *      everyone on the path keeps its count, the ends even out, and no data
 *      moves.  A holder still above target then steps down into an empty
 *      colder slot of its partition where there is one: that slot needed a
 *      copy anyway, which now fills the hotter one.
 *   B. hand the slot to a member below target that held the partition
 *      before (its data is still there);
 *   C. hand it to any member below target not holding the partition (a
 *      copy): first only to members that would not come to sit above (or
 *      below) one of the partition's holders more often than their even
 *      share, then to any (see `hot` below);
 *   E1. when every member below target already holds the partition, trade
 *      through a second partition: its holder moves here and the member
 *      below target takes its place there, choosing the trade that copies
 *      least;
 *   D. an empty slot nobody below target can take goes to the least loaded
 *      member that can hold it (every replica must exist);
 *   E2. what is still uneven is evened by chains of hand-overs across
 *      partitions: a member above target gives a slot to one that may hold
 *      it, which gives one of its own to the next, ... until a member below
 *      target takes one (breadth-first over members);
 *   and role swaps again, including, only if the index is still uneven,
 *      chains that end in a step down (when nearly every member holds every
 *      partition, the member above target may sit only in full partitions).
 *
 * All of it is deterministic: the same inputs give the same table.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/partition_table.h"
#include "cluster/partition_table_int.h"
#include "util/alloc.h"
#include "util/rand.h"

typedef struct balancer {
    mg_pt_table *t;
    uint64_t *had;      /* per partition: members (new indexes) that held it in `old` */
    uint64_t *in;       /* per partition: members holding it now */
    int count[MG_CL_MAX_MEMBERS];    /* at the index being balanced */
    int target[MG_CL_MAX_MEMBERS];
    int total[MG_CL_MAX_MEMBERS];    /* at the indexes already balanced */
    /* hot[a][b]: partitions where a holds a hotter replica than b (a the
     * primary and b its first backup, say).  New holders go where this
     * stays lowest: one member's partitions are then backed up by all the
     * others rather than by one neighbour, so a failure promotes replicas
     * all over the cluster, and no two members that joined together end up
     * backing each other up everywhere.  Rebuilt by `place`, kept current
     * by `give`. */
    uint16_t hot[MG_CL_MAX_MEMBERS][MG_CL_MAX_MEMBERS];
} balancer;

static uint8_t *slot_at(balancer *b, uint32_t p, int r)
{
    return &b->t->slots[(size_t)p * b->t->replicas + (size_t)r];
}

static uint8_t slot_of(const balancer *b, uint32_t p, int r)
{
    return b->t->slots[(size_t)p * b->t->replicas + (size_t)r];
}

/* ---- pairs -------------------------------------------------------------- */

/* Adds (delta 1) or removes (-1) the ordered pairs that u at index r of p
 * forms with the partition's other holders. */
static void pair_up(balancer *b, uint32_t p, int r, int u, int delta)
{
    for (int j = 0; j < b->t->replicas; j++) {
        uint8_t h = slot_of(b, p, j);
        if (j == r || h == MG_PT_NONE || h == u)
            continue;
        uint16_t *c = j < r ? &b->hot[h][u] : &b->hot[u][h];
        *c = (uint16_t)(*c + delta);
    }
}

static void rebuild_hot(balancer *b)
{
    memset(b->hot, 0, sizeof b->hot);
    for (uint32_t p = 0; p < b->t->partitions; p++)
        for (int i = 0; i < b->t->replicas; i++) {
            uint8_t a = slot_of(b, p, i);
            for (int j = i + 1; a != MG_PT_NONE && j < b->t->replicas; j++) {
                uint8_t c = slot_of(b, p, j);
                if (c != MG_PT_NONE)
                    b->hot[a][c]++;
            }
        }
}

/* The pairs u would join at index r of p; *over when one of them is already
 * at `cap` (cap 0: no cap). */
static int affinity(const balancer *b, uint32_t p, int r, int u, int cap, bool *over)
{
    int a = 0;
    *over = false;
    for (int j = 0; j < b->t->replicas; j++) {
        uint8_t h = slot_of(b, p, j);
        if (j == r || h == MG_PT_NONE)
            continue;
        int v = j < r ? b->hot[h][u] : b->hot[u][h];
        a += v;
        if (cap > 0 && v >= cap)
            *over = true;
    }
    return a;
}

/* ---- counts and targets ------------------------------------------------- */

static void recount(balancer *b, int r)
{
    memset(b->count, 0, sizeof b->count);
    for (uint32_t p = 0; p < b->t->partitions; p++) {
        uint8_t h = slot_of(b, p, r);
        if (h != MG_PT_NONE)
            b->count[h]++;
    }
}

/* P / n each, and the remainder to the members with the smallest totals so
 * far; among equals, to those already holding more at this index (fewer
 * moves), then to the older member. */
static void set_targets(balancer *b)
{
    int n = b->t->nmembers;
    int base = (int)(b->t->partitions / (uint32_t)n);
    int extra = (int)(b->t->partitions % (uint32_t)n);
    int order[MG_CL_MAX_MEMBERS];
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 1; i < n; i++) {   /* insertion sort: n <= 64 */
        int m = order[i], j = i;
        while (j > 0) {
            int o = order[j - 1];
            bool before = b->total[m] < b->total[o] ||
                          (b->total[m] == b->total[o] && b->count[m] > b->count[o]);
            if (!before)
                break;
            order[j] = o;
            j--;
        }
        order[j] = m;
    }
    for (int i = 0; i < n; i++)
        b->target[order[i]] = base + (i < extra ? 1 : 0);
}

static bool wants_new_holder(const balancer *b, uint8_t h)
{
    return h == MG_PT_NONE || b->count[h] > b->target[h];
}

static bool index_even(const balancer *b)
{
    for (int m = 0; m < b->t->nmembers; m++)
        if (b->count[m] != b->target[m])
            return false;
    return true;
}

/* u takes slot r of p from whoever held it. */
static void give(balancer *b, uint32_t p, int r, int u)
{
    uint8_t *s = slot_at(b, p, r);
    if (*s != MG_PT_NONE) {
        pair_up(b, p, r, *s, -1);
        b->in[p] &= ~(1ULL << *s);
        b->count[*s]--;
    }
    *s = (uint8_t)u;
    pair_up(b, p, r, u, +1);
    b->in[p] |= 1ULL << u;
    b->count[u]++;
}

/* ---- A: role swaps ------------------------------------------------------- */

/* One chain of role swaps at index r; false when there is none.  It ends at
 * a member below target or, with `step_down`, at a member that can step
 * down into an empty colder slot. */
static bool swap_chain(balancer *b, int r, bool step_down)
{
    mg_pt_table *t = b->t;
    int n = t->nmembers;
    int prev[MG_CL_MAX_MEMBERS];        /* member that handed the slot on */
    uint32_t via[MG_CL_MAX_MEMBERS];    /* partition of that hand-over */
    int queue[MG_CL_MAX_MEMBERS], head = 0, tail = 0;
    bool seen[MG_CL_MAX_MEMBERS] = {false};
    for (int m = 0; m < n; m++)
        if (b->count[m] > b->target[m]) {
            seen[m] = true;
            prev[m] = -1;
            queue[tail++] = m;
        }
    int found = -1, down_at = -1;
    uint32_t down_p = 0;
    while (head < tail && found < 0) {
        int a = queue[head++];
        for (uint32_t p = 0; p < t->partitions && found < 0; p++) {
            if (slot_of(b, p, r) != a)
                continue;
            for (int j = r + 1; j < t->replicas; j++) {
                uint8_t c = slot_of(b, p, j);
                if (c == MG_PT_NONE) {
                    if (step_down) {
                        found = a;
                        down_p = p;
                        down_at = j;
                        break;
                    }
                    continue;
                }
                if (seen[c])
                    continue;
                seen[c] = true;
                prev[c] = a;
                via[c] = p;
                if (b->count[c] < b->target[c]) {
                    found = c;
                    break;
                }
                queue[tail++] = c;
            }
        }
    }
    if (found < 0)
        return false;
    /* Each partition changes once: the step-down one has `found` at index
     * r, every path partition another member. */
    if (down_at >= 0) {
        *slot_at(b, down_p, down_at) = (uint8_t)found;
        *slot_at(b, down_p, r) = MG_PT_NONE;
    }
    for (int c = found; prev[c] >= 0; c = prev[c]) {
        uint32_t p = via[c];
        for (int j = r + 1; j < t->replicas; j++)
            if (slot_of(b, p, j) == c) {
                *slot_at(b, p, j) = slot_of(b, p, r);
                *slot_at(b, p, r) = (uint8_t)c;
                break;
            }
    }
    recount(b, r);
    return true;
}

/* A holder above target steps down into an empty colder slot. */
static void step_downs(balancer *b, int r)
{
    for (uint32_t p = 0; p < b->t->partitions; p++) {
        uint8_t *s = slot_at(b, p, r);
        if (*s == MG_PT_NONE || b->count[*s] <= b->target[*s])
            continue;
        for (int j = r + 1; j < b->t->replicas; j++) {
            uint8_t *c = slot_at(b, p, j);
            if (*c != MG_PT_NONE)
                continue;
            b->count[*s]--;
            *c = *s;
            *s = MG_PT_NONE;
            break;
        }
    }
}

/* ---- B, C, E1, D, E2: new holders --------------------------------------- */

/* A member below target that may take slot r of p (not holding p; with
 * `had_only`, one that held it before; with cap > 0, one whose pairs with
 * p's holders stay below cap): the one joining the fewest pairs, then the
 * one furthest below target. */
static int pick_receiver(const balancer *b, uint32_t p, int r, bool had_only, int cap)
{
    int best = -1, best_aff = 0, best_def = 0;
    for (int m = 0; m < b->t->nmembers; m++) {
        uint64_t bit = 1ULL << m;
        int def = b->target[m] - b->count[m];
        if ((b->in[p] & bit) || (had_only && !(b->had[p] & bit)) || def <= 0)
            continue;
        bool over;
        int aff = affinity(b, p, r, m, cap, &over);
        if (over)
            continue;
        if (best < 0 || aff < best_aff || (aff == best_aff && def > best_def)) {
            best = m;
            best_aff = aff;
            best_def = def;
        }
    }
    return best;
}

/* E1: slot (p, r) wants a new holder but every member below target holds
 * p.  A partition q whose holder v at r may move to p, while a member u
 * below target takes q: v's count stays, u's grows.  The cheapest such
 * trade: moving v off q is free when v's place there was itself a new copy,
 * and a member that held a partition before copies nothing to get it back. */
static void trade(balancer *b, uint32_t p, int r)
{
    mg_pt_table *t = b->t;
    int best_u = -1, best_cost = 3;
    uint32_t best_q = 0;
    for (int u = 0; u < t->nmembers && best_cost > -1; u++) {
        if (b->count[u] >= b->target[u] || !(b->in[p] & (1ULL << u)))
            continue;
        for (uint32_t q = 0; q < t->partitions; q++) {
            uint8_t v = slot_of(b, q, r);
            if (q == p || v == MG_PT_NONE || (b->in[p] & (1ULL << v)) || (b->in[q] & (1ULL << u)))
                continue;
            int cost = !(b->had[p] & (1ULL << v)) + !(b->had[q] & (1ULL << u)) -
                       !(b->had[q] & (1ULL << v));
            if (cost < best_cost) {
                best_cost = cost;
                best_u = u;
                best_q = q;
                if (cost == -1)
                    break;
            }
        }
    }
    if (best_u < 0)
        return;
    uint8_t v = slot_of(b, best_q, r);
    give(b, p, r, v);
    give(b, best_q, r, best_u);
}

/* E2: one chain of hand-overs at index r.  Edges a -> c where a holds index
 * r of a partition c does not hold; the chain ends at a member below
 * target.  False when none exists. */
static bool handover_chain(balancer *b, int r)
{
    mg_pt_table *t = b->t;
    int n = t->nmembers;
    int prev[MG_CL_MAX_MEMBERS];
    uint32_t via[MG_CL_MAX_MEMBERS];
    int queue[MG_CL_MAX_MEMBERS], head = 0, tail = 0;
    bool seen[MG_CL_MAX_MEMBERS] = {false};
    for (int m = 0; m < n; m++)
        if (b->count[m] > b->target[m]) {
            seen[m] = true;
            prev[m] = -1;
            queue[tail++] = m;
        }
    int found = -1;
    while (head < tail && found < 0) {
        int a = queue[head++];
        for (uint32_t p = 0; p < t->partitions && found < 0; p++) {
            if (slot_of(b, p, r) != a)
                continue;
            for (int c = 0; c < n; c++) {
                if (seen[c] || (b->in[p] & (1ULL << c)))
                    continue;
                seen[c] = true;
                prev[c] = a;
                via[c] = p;
                if (b->count[c] < b->target[c]) {
                    found = c;
                    break;
                }
                queue[tail++] = c;
            }
        }
    }
    if (found < 0)
        return false;
    for (int c = found; prev[c] >= 0; c = prev[c])
        give(b, via[c], r, c);   /* each path partition changes once */
    return true;
}

static void fill_empty(balancer *b, int r)
{
    mg_pt_table *t = b->t;
    for (uint32_t p = 0; p < t->partitions; p++) {
        if (slot_of(b, p, r) != MG_PT_NONE)
            continue;
        int best = -1;
        for (int m = 0; m < t->nmembers; m++) {
            if (b->in[p] & (1ULL << m))
                continue;
            bool better = best < 0 || b->count[m] < b->count[best] ||
                          (b->count[m] == b->count[best] && (b->had[p] & (1ULL << m)) &&
                           !(b->had[p] & (1ULL << best)));
            if (better)
                best = m;
        }
        if (best >= 0)
            give(b, p, r, best);
    }
}

static void place(balancer *b, int r)
{
    mg_pt_table *t = b->t;
    int n = t->nmembers, R = t->replicas;
    /* Even share of one ordered pair: P * R(R-1)/2 pairs over n(n-1). */
    uint64_t pairs = (uint64_t)t->partitions * (uint64_t)(R * (R - 1) / 2);
    uint64_t ordered = (uint64_t)n * (uint64_t)(n - 1);
    int cap = n > 1 ? (int)((pairs + ordered - 1) / ordered) + 1 : 0;
    rebuild_hot(b);
    /* B (former holders), C with the pair cap, C without. */
    for (int pass = 0; pass < 3; pass++)
        for (uint32_t p = 0; p < t->partitions; p++) {
            if (!wants_new_holder(b, slot_of(b, p, r)))
                continue;
            int u = pick_receiver(b, p, r, pass == 0, pass == 1 ? cap : 0);
            if (u >= 0)
                give(b, p, r, u);
        }
    for (uint32_t p = 0; p < t->partitions; p++)
        if (wants_new_holder(b, slot_of(b, p, r)))
            trade(b, p, r);
    fill_empty(b, r);
    while (handover_chain(b, r))
        ;
}

static void balance_index(balancer *b, int r)
{
    recount(b, r);
    set_targets(b);
    while (swap_chain(b, r, false))
        ;
    step_downs(b, r);
    place(b, r);
    while (swap_chain(b, r, false))
        ;
    if (!index_even(b)) {
        while (swap_chain(b, r, true))
            ;
        place(b, r);
        while (swap_chain(b, r, false))
            ;
    }
    for (int m = 0; m < b->t->nmembers; m++)
        b->total[m] += b->count[m];
}

mg_pt_table *mg_pt_assign(const mg_pt_table *old, const mg_uuid *members, int nmembers,
                          int wanted, uint32_t partitions)
{
    mg_pt_table *t = mg_pt_repair(old, members, nmembers, wanted, partitions);
    if (nmembers == 0 || partitions == 0)
        return t;
    /* ~17 KB of counters: on the heap, not on a worker's stack. */
    balancer *b = mg_xcalloc(1, sizeof *b);
    b->t = t;
    b->had = mg_xcalloc(partitions, sizeof *b->had);
    b->in = mg_xcalloc(partitions, sizeof *b->in);
    if (mg_pt_usable_old(old, partitions)) {
        uint8_t map[MG_CL_MAX_MEMBERS];
        mg_pt_map_members(old, t, map);
        for (uint32_t p = 0; p < partitions; p++)
            for (int j = 0; j < old->replicas; j++) {
                uint8_t m = mg_pt_slot(old, p, j);
                if (m != MG_PT_NONE && map[m] != MG_PT_NONE)
                    b->had[p] |= 1ULL << map[m];
            }
    }
    for (uint32_t p = 0; p < partitions; p++)
        for (int r = 0; r < t->replicas; r++) {
            uint8_t m = slot_of(b, p, r);
            if (m != MG_PT_NONE)
                b->in[p] |= 1ULL << m;
        }
    for (int r = 0; r < t->replicas; r++)
        balance_index(b, r);
    free(b->had);
    free(b->in);
    free(b);
    return t;
}
