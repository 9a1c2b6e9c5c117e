/* The membership state machine, stepped in virtual time by cluster_sim.h:
 * formation, failure detection, master take-over, pauses, splits, graceful
 * leaves, refused joins, and seeded random schedules under an invariant
 * checker.  No sockets, no real time: every run is reproducible from its
 * seed (SIM_VERBOSE=1 prints each node's log lines). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cluster_sim.h"

static void assert_no_violation(sim *s)
{
    if (s->violations)
        fail_msg("invariant broken: %s", s->first_violation);
}

static void assert_converged(sim *s, int64_t within_ms)
{
    if (sim_run_until(s, within_ms, sim_converged_cond, NULL) < 0) {
        char why[200];
        sim_converged_mask(s, 0, why, sizeof why);
        fail_msg("no agreement after %lld ms: %s", (long long)within_ms, why);
    }
    assert_no_violation(s);
}

static int master_node(sim *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->nodes[i].alive && s->nodes[i].m && mg_membership_is_master(s->nodes[i].m))
            return i;
    return -1;
}

static int node_of_uuid(sim *s, const mg_uuid *u)
{
    for (int i = 0; i < s->n; i++)
        if (s->nodes[i].m && mg_uuid_eq(mg_membership_self(s->nodes[i].m), u))
            return i;
    return -1;
}

static bool uuid_gone_everywhere(sim *s, void *arg)
{
    const mg_uuid *u = arg;
    for (int i = 0; i < s->n; i++) {
        const mg_cl_list *l = sim_list(s, i);
        if (s->nodes[i].paused || !l)
            continue;   /* dead, paused, or not a member (left, rejoining) */
        if (mg_cl_list_find(l, u) >= 0)
            return false;
    }
    return true;
}

/* Three processes started together form one cluster: one list, oldest
 * first, one master, one balanced table. */
/* Gone from the list of every live member other than the one it names
 * (which, cut off, still lists itself). */
static bool uuid_gone_everywhere_but(sim *s, void *arg)
{
    const mg_uuid *u = arg;
    for (int i = 0; i < s->n; i++) {
        const mg_cl_list *l = sim_list(s, i);
        if (!l || !s->nodes[i].m || mg_uuid_eq(mg_membership_self(s->nodes[i].m), u))
            continue;
        if (mg_cl_list_find(l, u) >= 0)
            return false;
    }
    return true;
}

static void test_three_members_form_one_cluster(void **state)
{
    (void)state;
    sim s;
    sim_init(&s, 3, 1);
    sim_start_all(&s);
    assert_converged(&s, 10000);
    const mg_cl_list *l = sim_list(&s, 0);
    assert_int_equal(l->count, 3);
    int master = master_node(&s);
    assert_true(master >= 0);
    assert_true(mg_uuid_eq(&l->master, &l->members[0].uuid));   /* oldest is master */
    /* The smallest address founds the cluster when all start at once. */
    assert_int_equal(master, 0);
    for (int i = 1; i < 3; i++)
        assert_true(mg_uuid_eq(&sim_list(&s, i)->cluster_id, &l->cluster_id));
    const mg_pt_table *t = mg_membership_table(s.nodes[1].m);
    assert_int_equal(t->replicas, 2);
    int c[MG_CL_MAX_MEMBERS];
    mg_pt_counts(t, 0, c);
    for (int i = 0; i < 3; i++)
        assert_in_range(c[i], 90, 91);
    sim_free(&s);
}

/* Discovery (multicast, DNS) gives addresses after the start: processes
 * that begin with no seed at all and learn each other's addresses a little
 * later form one cluster, founded by the smallest address, and a process
 * that learns one address of the running cluster joins it.  Without
 * mg_membership_add_seed each would found a cluster of its own. */
static void test_discovered_seeds_form_one_cluster(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        sim s;
        sim_init(&s, 4, seed);
        s.base.nseeds = 0;
        for (int i = 0; i < 3; i++)
            sim_start(&s, i);
        sim_run(&s, 300 + (int64_t)(seed * 97 % 700));   /* the first answers arrive */
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                bool added = mg_membership_add_seed(s.nodes[i].m, &s.nodes[j].addr);
                assert_true(added == (i != j));   /* its own address is not a seed */
            }
        assert_false(mg_membership_add_seed(s.nodes[0].m, &s.nodes[1].addr));   /* known already */
        sim_run(&s, 6000);
        for (int i = 0; i < 3; i++)
            assert_int_equal(mg_membership_state(s.nodes[i].m), MG_CL_MEMBER);
        const mg_cl_list *l = sim_list(&s, 0);
        assert_int_equal(l->count, 3);
        assert_int_equal(master_node(&s), 0);
        for (int i = 1; i < 3; i++)
            assert_true(mg_uuid_eq(&sim_list(&s, i)->cluster_id, &l->cluster_id));

        /* A latecomer told of one member only. */
        sim_start(&s, 3);
        mg_membership_add_seed(s.nodes[3].m, &s.nodes[1].addr);
        sim_run(&s, 4000);
        assert_int_equal(mg_membership_state(s.nodes[3].m), MG_CL_MEMBER);
        assert_int_equal(sim_list(&s, 3)->count, 4);
        assert_true(mg_uuid_eq(&sim_list(&s, 3)->cluster_id, &l->cluster_id));
        sim_free(&s);
    }
}

/* hazelcast.initial.min.cluster.size 3: three processes that found no
 * one during the join (discovery too slow) each found a cluster of one,
 * which never serves.  Once they learn each other's addresses, the two
 * whose clusters hold no smallest address start over and join the third:
 * one cluster of three.  A cluster that reached the size never starts
 * over, whatever it learns. */
static void test_clusters_that_formed_apart_become_one(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        sim s;
        sim_init(&s, 4, seed);
        s.base.nseeds = 0;
        s.base.initial_min_size = 3;
        for (int i = 0; i < 3; i++)
            sim_start(&s, i);
        sim_run(&s, 5000);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(mg_membership_state(s.nodes[i].m), MG_CL_MEMBER);
            assert_int_equal(sim_list(&s, i)->count, 1);   /* three clusters of one */
        }
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                mg_membership_add_seed(s.nodes[i].m, &s.nodes[j].addr);
        sim_run(&s, 30000);
        for (int i = 0; i < 3; i++)
            if (mg_membership_state(s.nodes[i].m) != MG_CL_MEMBER || sim_list(&s, i)->count != 3)
                fail_msg("seed %llu: node %d is not in a 3-member list after 30 s", (unsigned long long)seed, i);
        assert_int_equal(master_node(&s), 0);   /* the smallest address stayed */
        assert_true(sim_logged(&s.nodes[1], "starting over"));
        assert_false(sim_logged(&s.nodes[0], "starting over"));
        assert_no_violation(&s);

        /* Reached the size: a newcomer's smaller address changes nothing. */
        mg_cl_addr smaller;
        mg_cl_addr_set(&smaller, "10.0.0.0", 5701);
        for (int i = 0; i < 3; i++)
            mg_membership_add_seed(s.nodes[i].m, &smaller);
        sim_run(&s, 20000);
        for (int i = 0; i < 3; i++)
            assert_int_equal(sim_list(&s, i)->count, 3);
        assert_false(sim_logged(&s.nodes[0], "starting over"));
        sim_free(&s);
    }
}

/* With a tcp-ip member list and initial.min.cluster.size 3, two members
 * started while the third (the smallest address) is down wait for it: a
 * seed that refuses connections is no reason to start over.  When it
 * starts, it joins them. */
static void test_down_seed_is_no_reason_to_start_over(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        sim s;
        sim_init(&s, 3, seed);
        s.base.initial_min_size = 3;
        sim_start(&s, 1);
        sim_start(&s, 2);
        sim_run(&s, 30000);
        for (int i = 1; i < 3; i++) {
            assert_int_equal(sim_list(&s, i)->count, 2);
            if (sim_logged(&s.nodes[i], "starting over"))
                fail_msg("seed %llu: node %d started over because of a seed that is down", (unsigned long long)seed, i);
        }
        sim_start(&s, 0);
        assert_converged(&s, 10000);
        assert_int_equal(sim_list(&s, 0)->count, 3);
        assert_no_violation(&s);
        sim_free(&s);
    }
}

/* Members started one after another join the running cluster in order. */
static void test_members_join_one_by_one(void **state)
{
    (void)state;
    sim s;
    sim_init(&s, 5, 2);
    sim_start(&s, 2);
    sim_run(&s, 5000);
    assert_int_equal(mg_membership_state(s.nodes[2].m), MG_CL_MEMBER);
    for (int i = 0; i < 5; i++) {
        if (i == 2)
            continue;
        sim_start(&s, i);
        sim_run(&s, 1500);
    }
    assert_converged(&s, 5000);
    const mg_cl_list *l = sim_list(&s, 0);
    assert_int_equal(l->count, 5);
    /* Join order, not address order: node 2 started first and is master. */
    assert_true(mg_uuid_eq(&l->members[0].uuid, mg_membership_self(s.nodes[2].m)));
    assert_int_equal(master_node(&s), 2);
    for (int i = 1; i < l->count; i++)
        assert_true(l->members[i].join_seq > l->members[i - 1].join_seq);
    sim_free(&s);
}

/* Kill the master: the next oldest takes over and removes it within
 * max-no-heartbeat plus one heartbeat interval. */
static void test_master_killed_next_oldest_takes_over(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        sim s;
        sim_init(&s, 3, seed);
        sim_start_all(&s);
        assert_converged(&s, 10000);
        sim_run(&s, (int64_t)(sim_rand(&s) % 1000));   /* any heartbeat phase */
        int master = master_node(&s);
        const mg_cl_list *l = sim_list(&s, master);
        mg_uuid dead = l->members[0].uuid;
        int heir = node_of_uuid(&s, &l->members[1].uuid);
        sim_kill(&s, master);
        int64_t took = sim_run_until(&s, 10000, uuid_gone_everywhere, &dead);
        assert_true(took >= 0);
        if (took > s.base.max_no_heartbeat_ms + s.base.heartbeat_interval_ms)
            fail_msg("seed %llu: master removed after %lld ms", (unsigned long long)seed, (long long)took);
        assert_int_equal(master_node(&s), heir);
        assert_converged(&s, 3000);
        /* The new table holds nothing on the dead member. */
        const mg_pt_table *t = mg_membership_table(s.nodes[heir].m);
        for (int i = 0; i < t->nmembers; i++)
            assert_false(mg_uuid_eq(&t->members[i], &dead));
        assert_no_violation(&s);
        sim_free(&s);
    }
}

/* A killed process leaves an address that refuses connections: the others
 * learn it on their next send (a heartbeat at the latest) and the master
 * removes it then, well before max-no-heartbeat; the master stays master. */
static void test_member_killed_is_removed(void **state)
{
    (void)state;
    int64_t worst = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        sim s;
        sim_init(&s, 3, seed);
        sim_start_all(&s);
        assert_converged(&s, 10000);
        sim_run(&s, (int64_t)(sim_rand(&s) % 1000));
        int master = master_node(&s);
        int victim = (master + 1 + (int)(seed % 2)) % 3;
        mg_uuid dead = *mg_membership_self(s.nodes[victim].m);
        sim_kill(&s, victim);
        int64_t took = sim_run_until(&s, 10000, uuid_gone_everywhere, &dead);
        assert_true(took >= 0);
        worst = took > worst ? took : worst;
        if (took > s.base.heartbeat_interval_ms + 2 * MG_CL_TICK_MS + 50)
            fail_msg("seed %llu: a refused member was removed after %lld ms", (unsigned long long)seed,
                     (long long)took);
        assert_true(sim_logged(&s.nodes[master], "refuses connections"));
        assert_int_equal(master_node(&s), master);
        assert_converged(&s, 3000);
        assert_no_violation(&s);
        sim_free(&s);
    }
    printf("  worst time from kill to removal everywhere: %lld ms\n", (long long)worst);
}

/* A member that is only cut off (a split, a pause: nothing refuses) keeps
 * the full max-no-heartbeat timeout. */
static void test_cut_member_keeps_timeout(void **state)
{
    (void)state;
    sim s;
    sim_init(&s, 3, 99);
    sim_start_all(&s);
    assert_converged(&s, 10000);
    int master = master_node(&s);
    int victim = (master + 1) % 3;
    mg_uuid cut = *mg_membership_self(s.nodes[victim].m);
    for (int i = 0; i < 3; i++)
        if (i != victim)
            sim_cut(&s, i, victim, true);
    int64_t took = sim_run_until(&s, 10000, uuid_gone_everywhere_but, &cut);
    assert_true(took >= s.base.max_no_heartbeat_ms);
    sim_free(&s);
}

/* The serving lease: a member answers from its partitions only while it
 * hears a majority.  Cut off, it stops before the others can remove it (and
 * so before they move its partitions on); resuming from a pause, it waits for
 * fresh heartbeats instead of trusting what it heard before. */
static void test_serving_lease(void **state)
{
    (void)state;
    sim s;
    sim_init(&s, 3, 5);
    sim_start_all(&s);
    assert_converged(&s, 10000);
    for (int i = 0; i < 3; i++)
        assert_true(mg_membership_may_serve(s.nodes[i].m));
    int master = master_node(&s);
    int v = (master + 1) % 3;
    mg_uuid cut = *mg_membership_self(s.nodes[v].m);
    for (int i = 0; i < 3; i++)
        if (i != v)
            sim_cut(&s, i, v, true);
    int64_t stopped = -1;
    for (int64_t t = 0; t < 4000 && stopped < 0; t += 10) {
        sim_run(&s, 10);
        if (!mg_membership_may_serve(s.nodes[v].m))
            stopped = t;
        /* still listed by the others while it serves */
        assert_false(uuid_gone_everywhere_but(&s, &cut));
    }
    assert_true(stopped >= 0);
    assert_true(mg_membership_may_serve(s.nodes[master].m));   /* the majority goes on */
    sim_heal(&s);
    assert_converged(&s, 15000);
    sim_run(&s, 1500);   /* a heartbeat round since the heal */
    for (int i = 0; i < 3; i++)
        assert_true(mg_membership_may_serve(s.nodes[i].m));

    /* A pause shorter than the timeout: not removed, but after it the member
     * serves only once heartbeats came again. */
    sim_run(&s, 2000);
    int p = (master_node(&s) + 2) % 3;
    assert_true(mg_membership_may_serve(s.nodes[p].m));
    sim_pause(&s, p);
    sim_run(&s, 1200);
    sim_resume(&s, p);
    sim_run(&s, 1);
    assert_false(mg_membership_may_serve(s.nodes[p].m));
    sim_run(&s, 1500);
    assert_true(mg_membership_may_serve(s.nodes[p].m));
    assert_no_violation(&s);
    sim_free(&s);
}

/* SIGSTOP past the timeout, then SIGCONT: the member learns it was
 * removed and joins again under a new UUID; versions stay consistent. */
static void pause_and_resume(int which, uint64_t seed)
{
    sim s;
    sim_init(&s, 3, seed);
    sim_start_all(&s);
    assert_converged(&s, 10000);
    int master = master_node(&s);
    int victim = which == 0 ? master : (master + 1) % 3;
    mg_uuid old = *mg_membership_self(s.nodes[victim].m);
    sim_pause(&s, victim);
    sim_run(&s, 5000);
    uint32_t others = 7u & ~(1u << victim);
    char why[200];
    if (!sim_converged_mask(&s, others, why, sizeof why))
        fail_msg("the two others did not agree: %s", why);
    assert_int_equal(sim_list(&s, (victim + 1) % 3)->count, 2);
    sim_resume(&s, victim);
    assert_converged(&s, 10000);
    assert_false(mg_uuid_eq(mg_membership_self(s.nodes[victim].m), &old));
    assert_int_equal(sim_list(&s, 0)->count, 3);
    assert_true(sim_logged(&s.nodes[victim], "rejoining as a new member"));
    if (which == 0)
        assert_int_not_equal(master_node(&s), victim);
    assert_no_violation(&s);
    sim_free(&s);
}

/* The serving lease after a pause: heartbeats the others sent while this
 * member was stopped wait in its socket, and a member that works through
 * that backlog a frame at a time reads them after it noticed the pause.
 * They say nothing about now: until a heartbeat echoes one this member
 * sent after the pause, a peer does not count towards serving.  Before the
 * echo, such stale heartbeats made a removed member serve its old copy
 * (97 of 300 reads stale in test/go/cluster/stale_read_test.go). */
static void test_backlog_after_pause_does_not_renew_the_lease(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        sim s;
        sim_init(&s, 3, seed);
        sim_start_all(&s);
        assert_converged(&s, 10000);
        int victim = (master_node(&s) + 1) % 3;
        sim_node *v = &s.nodes[victim];
        mg_uuid old = *mg_membership_self(v->m);
        assert_true(mg_membership_may_serve(v->m));
        v->slow_reader = true;
        sim_pause(&s, victim);
        sim_run(&s, 4000);   /* removed by the others after max-no-heartbeat */
        assert_int_equal(sim_list(&s, (victim + 1) % 3)->count, 2);
        sim_resume(&s, victim);
        for (int ms = 0; ms < 3000 && mg_uuid_eq(mg_membership_self(v->m), &old); ms++) {
            sim_step(&s);
            if (mg_membership_may_serve(v->m))
                fail_msg("seed %llu: %d ms after resuming, the removed member would serve its old copy",
                         (unsigned long long)seed, ms);
        }
        assert_false(mg_uuid_eq(mg_membership_self(v->m), &old));   /* it learned, and rejoined */
        v->slow_reader = false;
        assert_converged(&s, 10000);
        sim_free(&s);
    }
}

static void test_paused_member_rejoins_as_new(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++)
        pause_and_resume(1, seed);
}

static void test_paused_master_rejoins_as_new(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++)
        pause_and_resume(0, seed);
}

/* A member of another cluster is refused, with a log line on both sides,
 * and never appears in the list. */
static void test_wrong_cluster_name_refused(void **state)
{
    (void)state;
    sim s;
    sim_init(&s, 3, 3);
    snprintf(s.nodes[2].cluster_name, sizeof s.nodes[2].cluster_name, "prod");
    sim_start(&s, 0);
    sim_start(&s, 1);
    sim_run(&s, 5000);
    sim_start(&s, 2);
    sim_run(&s, 6000);
    uint32_t dev = 3;
    char why[200];
    if (!sim_converged_mask(&s, dev, why, sizeof why))
        fail_msg("%s", why);
    assert_int_equal(sim_list(&s, 0)->count, 2);
    assert_true(sim_logged(&s.nodes[0], "refused join request from 10.0.0.3:5701: cluster name 'prod'") ||
                sim_logged(&s.nodes[1], "refused join request from 10.0.0.3:5701: cluster name 'prod'"));
    assert_true(sim_logged(&s.nodes[2], "refused to let this member join: cluster name 'prod' is not this "
                                        "cluster's 'dev'"));
    /* As Hazelcast does, the odd one starts a cluster of its own name. */
    assert_int_equal(mg_membership_state(s.nodes[2].m), MG_CL_MEMBER);
    assert_int_equal(sim_list(&s, 2)->count, 1);
    assert_no_violation(&s);
    sim_free(&s);
}

static void test_incompatible_version_refused(void **state)
{
    (void)state;
    sim s;
    sim_init(&s, 2, 4);
    sim_start(&s, 0);
    sim_run(&s, 5000);
    s.base.version[1] = 9;   /* node 1 runs 0.9 */
    sim_start(&s, 1);
    sim_run(&s, 5000);
    assert_int_equal(sim_list(&s, 0)->count, 1);
    assert_true(sim_logged(&s.nodes[0], "cannot join members of version"));
    assert_true(sim_logged(&s.nodes[1], "refused to let this member join"));
    sim_free(&s);
}

/* A new process at a member's address replaces the old one at once: the
 * master need not wait for the timeout. */
static void test_restart_at_same_address(void **state)
{
    (void)state;
    sim s;
    sim_init(&s, 3, 5);
    sim_start_all(&s);
    assert_converged(&s, 10000);
    int victim = (master_node(&s) + 2) % 3;
    mg_uuid old = *mg_membership_self(s.nodes[victim].m);
    sim_restart(&s, victim);
    int64_t took = sim_run_until(&s, 10000, sim_converged_cond, NULL);
    assert_true(took >= 0);
    assert_true(took < s.base.max_no_heartbeat_ms);
    assert_int_equal(sim_list(&s, 0)->count, 3);
    assert_false(mg_uuid_eq(mg_membership_self(s.nodes[victim].m), &old));
    assert_no_violation(&s);
    sim_free(&s);
}

/* Graceful leave: a member is gone within a few round trips, no timeout. */
static void test_graceful_leave(void **state)
{
    (void)state;
    for (int leaver_is_master = 0; leaver_is_master <= 1; leaver_is_master++) {
        sim s;
        sim_init(&s, 3, 6);
        sim_start_all(&s);
        assert_converged(&s, 10000);
        int master = master_node(&s);
        int leaver = leaver_is_master ? master : (master + 1) % 3;
        mg_uuid u = *mg_membership_self(s.nodes[leaver].m);
        mg_membership_leave(s.nodes[leaver].m);
        sim_kill(&s, leaver);   /* the process exits right after */
        if (!leaver_is_master) {
            /* It asks with its next heartbeat round; revive it to send that. */
            s.nodes[leaver].alive = true;
            int64_t took = sim_run_until(&s, 3000, uuid_gone_everywhere, &u);
            assert_true(took >= 0 && took <= s.base.heartbeat_interval_ms + 50);
            assert_int_equal(mg_membership_state(s.nodes[leaver].m), MG_CL_LEFT);
            sim_kill(&s, leaver);
        } else {
            int64_t took = sim_run_until(&s, 3000, uuid_gone_everywhere, &u);
            assert_true(took >= 0 && took <= 50);
            assert_int_equal(mg_membership_state(s.nodes[leaver].m), MG_CL_LEFT);
        }
        uint32_t rest = 7u & ~(1u << leaver);
        if (sim_run_until(&s, 3000, sim_converged_cond, &rest) < 0)
            fail_msg("the other two did not agree");
        assert_no_violation(&s);
        sim_free(&s);
    }
}

/* Split 2 | 3 with the master on the small side: the majority elects a
 * master and removes the two; the minority removes nobody and has no quorum;
 * after healing everyone is back in one list. */
static void test_split_majority_continues(void **state)
{
    (void)state;
    sim s;
    sim_init(&s, 5, 7);
    sim_start_all(&s);
    assert_converged(&s, 15000);
    int master = master_node(&s);
    int other = (master + 1) % 5;
    uint32_t small = (1u << master) | (1u << other), big = 31u & ~small;
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++)
            if (((small >> a) & 1) != ((small >> b) & 1))
                sim_cut(&s, a, b, false);
    uint64_t minority_version = sim_list(&s, master)->version;
    sim_run(&s, 8000);
    char why[200];
    if (!sim_converged_mask(&s, big, why, sizeof why))
        fail_msg("majority side: %s", why);
    int big_master = -1;
    for (int i = 0; i < 5; i++)
        if ((big >> i) & 1 && mg_membership_is_master(s.nodes[i].m))
            big_master = i;
    assert_true(big_master >= 0);
    assert_int_equal(sim_list(&s, big_master)->count, 3);
    /* The minority changed nothing and knows it lacks a majority. */
    assert_int_equal(sim_list(&s, master)->version, minority_version);
    assert_false(mg_membership_has_quorum(s.nodes[master].m));
    assert_false(mg_membership_has_quorum(s.nodes[other].m));
    assert_true(mg_membership_has_quorum(s.nodes[big_master].m));
    assert_true(sim_logged(&s.nodes[master], "cannot remove member"));
    sim_heal(&s);
    assert_converged(&s, 15000);
    assert_int_equal(sim_list(&s, 0)->count, 5);
    assert_int_equal(master_node(&s), big_master);
    sim_free(&s);
}

/* Two members that cannot reach each other while the master hears both:
 * the master removes one of them (the younger) on their reports. */
static void test_partial_split_resolved(void **state)
{
    (void)state;
    sim s;
    sim_init(&s, 3, 8);
    sim_start_all(&s);
    assert_converged(&s, 10000);
    int master = master_node(&s);
    const mg_cl_list *l = sim_list(&s, master);
    int older = node_of_uuid(&s, &l->members[1].uuid), younger = node_of_uuid(&s, &l->members[2].uuid);
    mg_uuid young = l->members[2].uuid;
    sim_cut(&s, older, younger, true);
    int64_t took = sim_run_until(&s, 10000, uuid_gone_everywhere, &young);
    assert_true(took >= 0);
    assert_true(took <= s.base.max_no_heartbeat_ms + 2 * s.base.heartbeat_interval_ms + 200);
    assert_int_equal(mg_membership_state(s.nodes[older].m), MG_CL_MEMBER);
    sim_heal(&s);
    assert_converged(&s, 10000);
    assert_int_equal(sim_list(&s, 0)->count, 3);
    sim_free(&s);
}

/* Losing 10% of all messages slows nothing down that matters. */
static void test_lossy_network(void **state)
{
    (void)state;
    sim s;
    sim_init(&s, 5, 9);
    s.drop_per_mille = 100;
    sim_start_all(&s);
    assert_converged(&s, 20000);
    int victim = (master_node(&s) + 3) % 5;
    sim_kill(&s, victim);
    assert_converged(&s, 10000);
    assert_int_equal(sim_list(&s, (victim + 1) % 5)->count, 4);
    sim_restart(&s, victim);
    assert_converged(&s, 10000);
    assert_int_equal(sim_list(&s, victim)->count, 5);
    sim_free(&s);
}

/* Would every list a live process holds keep a majority of live member
 * identities if node v died now?  v's own list counts too: it may still be
 * on its way to the others.  (Paused processes count as live: they come
 * back.  A UUID a process gave up when it rejoined counts as dead.) */
static bool kill_keeps_majorities(sim *s, int v)
{
    for (int i = 0; i < s->n; i++) {
        const mg_cl_list *l = s->nodes[i].alive && s->nodes[i].m ? mg_membership_list(s->nodes[i].m) : NULL;
        if (!l)
            continue;
        int live = 0;
        for (int k = 0; k < l->count; k++) {
            int who = node_of_uuid(s, &l->members[k].uuid);
            if (who >= 0 && who != v && s->nodes[who].alive)
                live++;
        }
        if (!mg_cl_is_quorum(live, l->count))
            return false;
    }
    return true;
}

/* With a migration service in charge of data, the master publishes only
 * the repaired table when members change (a newcomer holds nothing yet);
 * the service's tables go out through mg_membership_publish_table. */
static void test_tables_published_by_migrations(void **state)
{
    (void)state;
    sim s;
    sim_init(&s, 3, 10);
    s.base.migrations_publish_tables = true;
    sim_start(&s, 0);
    sim_run(&s, 5000);
    sim_start(&s, 1);
    sim_run(&s, 3000);
    /* Both in, on the same list and table (which has empty backup slots,
     * so not "converged" in the sense of the other tests). */
    assert_non_null(sim_list(&s, 1));
    assert_int_equal(sim_list(&s, 1)->count, 2);
    assert_int_equal(sim_list(&s, 0)->version, sim_list(&s, 1)->version);
    assert_int_equal(mg_membership_table(s.nodes[0].m)->version, mg_membership_table(s.nodes[1].m)->version);
    mg_membership *master = s.nodes[0].m;
    const mg_pt_table *t = mg_membership_table(master);
    int c[MG_CL_MAX_MEMBERS];
    mg_pt_counts(t, -1, c);
    assert_int_equal(t->nmembers, 2);
    assert_int_equal(c[0], 271);   /* the first member still holds everything */
    assert_int_equal(c[1], 0);     /* the newcomer nothing: data must move first */
    /* The service moved the data: it publishes the balanced table. */
    const mg_cl_list *l = mg_membership_list(master);
    mg_uuid ms[2] = {l->members[0].uuid, l->members[1].uuid};
    mg_pt_table *target = mg_pt_assign(t, ms, 2, 2, 271);
    uint64_t before = t->version;
    assert_int_equal(mg_membership_publish_table(master, target), 0);
    assert_true(mg_membership_table(master)->version > before);
    assert_int_equal(mg_membership_publish_table(s.nodes[1].m, target), -1);   /* not master */
    sim_run(&s, 100);
    assert_true(mg_pt_same_layout(mg_membership_table(s.nodes[1].m), target));
    mg_pt_free(target);
    assert_no_violation(&s);
    sim_free(&s);
}

/* Random schedules: links cut and healed, members paused, killed and
 * restarted, messages lost, for 60 virtual seconds per seed, with the
 * invariant checker on all the time.  Then heal everything and require one
 * cluster.  3, 5 or 7 members by seed.  Faults stay within what a majority
 * system can survive: a minority down or paused at once; no kill that
 * leaves a member list without a live majority (memory-only members come
 * back as new identities, so that majority would be gone for good:
 * docs/cluster.md, "Quorum"); and no link cut or pause while a process
 * looks for the cluster (a fresh one that finds nobody starts a second
 * cluster, which needs split-brain merging, not part of this core). */
static void random_schedule(uint64_t seed, int64_t duration)
{
    sim s;
    int n = 3 + 2 * (int)(seed % 3);
    sim_init(&s, n, seed);
    s.max_delay = 1 + (int)(seed % 20);
    sim_start_all(&s);
    assert_converged(&s, 20000);
    int64_t end = s.now + duration;
    int64_t restart_at[SIM_MAX] = {0}, resume_at[SIM_MAX] = {0};
    while (s.now < end) {
        sim_run(&s, 100 + (int64_t)(sim_rand(&s) % 700));
        for (int i = 0; i < n; i++) {
            if (!s.nodes[i].alive && restart_at[i] && s.now >= restart_at[i]) {
                restart_at[i] = 0;
                sim_heal(&s);
                sim_restart(&s, i);
            }
            if (s.nodes[i].paused && s.now >= resume_at[i])
                sim_resume(&s, i);
        }
        int down = 0;
        bool fresh_joining = false;
        for (int i = 0; i < n; i++) {
            if (!s.nodes[i].alive || s.nodes[i].paused)
                down++;
            if (s.nodes[i].alive && s.nodes[i].m && mg_membership_state(s.nodes[i].m) == MG_CL_JOINING)
                fresh_joining = true;
        }
        int v = (int)(sim_rand(&s) % (uint64_t)n);
        /* A restarted process that finds nobody would found a second
         * cluster: keep links whole until it is in. */
        switch (sim_rand(&s) % 8) {
        case 0: case 1:
            if (!fresh_joining) {
                int w = (int)(sim_rand(&s) % (uint64_t)n);
                if (w != v)
                    sim_cut(&s, v, w, sim_rand(&s) % 3 != 0);
            }
            break;
        case 2: case 3:
            sim_heal(&s);
            break;
        case 4:
            if (down < (n - 1) / 2 && s.nodes[v].alive && !s.nodes[v].paused && !fresh_joining) {
                sim_pause(&s, v);
                resume_at[v] = s.now + 500 + (int64_t)(sim_rand(&s) % 5000);
            }
            break;
        case 5:
            if (down < (n - 1) / 2 && s.nodes[v].alive && !s.nodes[v].paused && !fresh_joining &&
                kill_keeps_majorities(&s, v)) {
                sim_kill(&s, v);
                restart_at[v] = s.now + 1000 + (int64_t)(sim_rand(&s) % 4000);
            }
            break;
        case 6:
            s.drop_per_mille = (int)(sim_rand(&s) % 3) * 50;
            break;
        default:
            break;
        }
        if (s.violations)
            break;
    }
    sim_heal(&s);
    s.drop_per_mille = 0;
    for (int i = 0; i < n; i++) {
        if (s.nodes[i].paused)
            sim_resume(&s, i);
        if (!s.nodes[i].alive)
            sim_restart(&s, i);
    }
    if (sim_run_until(&s, 30000, sim_converged_cond, NULL) < 0) {
        char why[200];
        sim_converged_mask(&s, 0, why, sizeof why);
        fail_msg("seed %llu: no agreement 30 s after healing: %s", (unsigned long long)seed, why);
    }
    if (s.violations)
        fail_msg("seed %llu: %s", (unsigned long long)seed, s.first_violation);
    sim_free(&s);
}

static void test_random_schedules(void **state)
{
    (void)state;
    const char *env = getenv("SIM_SEEDS");
    uint64_t seeds = env ? strtoull(env, NULL, 10) : 40;
    const char *only = getenv("SIM_SEED_ONLY");   /* replay one schedule */
    if (only) {
        random_schedule(strtoull(only, NULL, 10), 60000);
        return;
    }
    for (uint64_t seed = 1; seed <= seeds; seed++)
        random_schedule(seed, 60000);
    printf("  %llu seeded schedules of 60 virtual seconds: invariants held, all converged\n",
           (unsigned long long)seeds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_members_form_one_cluster),
        cmocka_unit_test(test_discovered_seeds_form_one_cluster),
        cmocka_unit_test(test_clusters_that_formed_apart_become_one),
        cmocka_unit_test(test_down_seed_is_no_reason_to_start_over),
        cmocka_unit_test(test_members_join_one_by_one),
        cmocka_unit_test(test_master_killed_next_oldest_takes_over),
        cmocka_unit_test(test_member_killed_is_removed),
        cmocka_unit_test(test_cut_member_keeps_timeout),
        cmocka_unit_test(test_serving_lease),
        cmocka_unit_test(test_paused_member_rejoins_as_new),
        cmocka_unit_test(test_backlog_after_pause_does_not_renew_the_lease),
        cmocka_unit_test(test_paused_master_rejoins_as_new),
        cmocka_unit_test(test_wrong_cluster_name_refused),
        cmocka_unit_test(test_incompatible_version_refused),
        cmocka_unit_test(test_restart_at_same_address),
        cmocka_unit_test(test_graceful_leave),
        cmocka_unit_test(test_split_majority_continues),
        cmocka_unit_test(test_partial_split_resolved),
        cmocka_unit_test(test_lossy_network),
        cmocka_unit_test(test_tables_published_by_migrations),
        cmocka_unit_test(test_random_schedules),
    };
    return cmocka_run_group_tests_name("cluster_membership", tests, NULL, NULL);
}
