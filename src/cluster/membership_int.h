/* membership_int.h - state of the membership machine, shared by its files:
 *
 *   membership.c         life cycle, dispatch, ticks, installing lists/tables
 *   membership_join.c    looking for a cluster, admission requests, founding
 *   membership_elect.c   claims and votes (who becomes master)
 *   membership_master.c  what only the master does: commit, admit, remove
 *
 * Everything here is owned by the thread that owns the machine.
 */
#ifndef MG_CLUSTER_MEMBERSHIP_INT_H
#define MG_CLUSTER_MEMBERSHIP_INT_H

#include "cluster/member_proto.h"
#include "cluster/membership.h"
#include "util/buf.h"

/* "Long ago": a time no deadline measured from it can be near. */
#define MG_CL_NEVER (INT64_MIN / 4)

/* What this member knows of another member of its list; peers[i] goes
 * with list.members[i] and is carried over by UUID when the list changes. */
typedef struct mg_cl_peer {
    int64_t last_heard;      /* when a heartbeat last came (our clock) */
    int64_t refused_at;      /* when its address last refused a connection */
    uint64_t term;           /* from its last heartbeat */
    uint64_t acked;          /* list version in its last heartbeat */
    uint64_t table_version;  /* table version in its last heartbeat */
    bool acts_as_master;     /* its last heartbeat named itself master */
    int64_t their_time;      /* the timestamp of its last heartbeat (its clock): echoed back */
    int64_t echoed;          /* the newest of our timestamps it echoed (our clock): it heard us then */
    bool leaving;            /* master: asked to leave */
    /* A new process asked to join from this member's address: this
     * incarnation is gone for good (it would still hold the port, or it
     * rejoined under a new UUID) and will never vote again.  The master
     * counts it as having acknowledged every list (it can never help a
     * claimant with an older list) and removes it first. */
    bool replaced;
} mg_cl_peer;

/* A join request the master has not acted on yet. */
typedef struct mg_cl_pending {
    mg_uuid uuid;
    mg_cl_addr addr;
    uint8_t version[3];
    int64_t at;              /* last request */
} mg_cl_pending;

/* Another member seen looking for a cluster (decides who founds one). */
typedef struct mg_cl_joiner {
    mg_uuid uuid;
    mg_cl_addr addr;
    int64_t at;
} mg_cl_joiner;

struct mg_membership {
    mg_membership_config cfg;
    char cluster_name[256];
    mg_cl_addr seeds[MG_CL_MAX_SEEDS];
    mg_cl_io io;

    mg_cl_state state;
    mg_uuid self;
    /* Election state (docs/cluster.md, "Master take-over"): the highest term
     * this member voted in or saw in a list it installed, and its vote. */
    uint64_t term;
    mg_uuid voted_for;
    uint64_t last_list_version;   /* newest list ever installed, across rejoins */
    mg_uuid last_cluster_id;      /* ... and its cluster */
    uint64_t last_table_version;  /* newest table ever installed (same cluster) */

    mg_cl_list list;              /* valid when MEMBER */
    mg_cl_peer peers[MG_CL_MAX_MEMBERS];
    mg_pt_table *table;           /* installed table, or NULL */

    /* A majority holds list.version, as far as this member knows: the
     * master from the acknowledgements, the others from the master's word.
     * Only a committed removal makes a removed member give up its UUID. */
    bool committed;

    /* Master. */
    uint64_t master_term;         /* the term it is master of; 0 = not master */
    mg_cl_member removed;         /* told once the list removing it commits */
    bool have_removed;
    mg_cl_pending pending[MG_CL_MAX_MEMBERS];
    int npending;
    /* reported[i][j]: when members[i] last reported members[j] silent. */
    int64_t reported[MG_CL_MAX_MEMBERS][MG_CL_MAX_MEMBERS];
    bool quorum_warned;
    int64_t changes_after;        /* no list change before (set after a pause) */

    /* Claiming mastership. */
    bool claiming;
    bool claim_pre;               /* asking pre-votes (binding nobody) */
    uint64_t claim_term;
    uint64_t grants;              /* bit i: members[i] granted */
    int64_t next_claim;

    /* Joining. */
    bool was_member;              /* never found a cluster once in one */
    bool leaving;
    int64_t join_started;
    int64_t next_join_send;
    int64_t last_member_answer;   /* a cluster member answered a join request */
    bool have_hint;
    mg_uuid hint_uuid;
    mg_cl_addr hint_addr;
    int64_t hint_at;
    mg_cl_joiner joiners[MG_CL_MAX_MEMBERS];
    int njoiners;
    uint64_t unreachable;         /* bit i: seeds[i] refused a connection */
    mg_cl_addr rejoin_addrs[MG_CL_MAX_MEMBERS];   /* the last list's members */
    int nrejoin;
    mg_cl_addr refused_by[8];     /* logged once each */
    int nrefused;
    int64_t last_looking_log;

    /* initial_min_size: the list held that many members once (sticky), and
     * when a member of a list that never did starts over. */
    bool reached_min;
    int64_t start_over_at;        /* MG_CL_NEVER: not due */

    int64_t last_tick;
    int64_t paused_at;            /* when a pause was last noticed (MG_CL_NEVER: none) */
    int64_t next_heartbeat;
    mg_buf out;                   /* encode scratch */
};

/* membership.c */
void mg_cl_logf(mg_membership *m, mg_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int64_t mg_cl_now(mg_membership *m);
void mg_cl_send(mg_membership *m, const mg_uuid *to, const mg_cl_addr *addr, mg_mp_msg *msg);
void mg_cl_send_list(mg_membership *m, const mg_uuid *to, const mg_cl_addr *addr);
void mg_cl_send_table(mg_membership *m, const mg_uuid *to, const mg_cl_addr *addr);
void mg_cl_send_heartbeat(mg_membership *m, int i);
bool mg_cl_suspected(const mg_membership *m, int i);
/* The list's master is silent, or alive but no longer acting as master
 * (it stepped down): nobody holds the office. */
bool mg_cl_master_gone(const mg_membership *m);
/* The members in `mask` (bit i: members[i]) are a strict majority of the
 * whole list.  Replaced and dead members stay in the count: see
 * docs/cluster.md, "Quorum", for why the electorate never shrinks. */
bool mg_cl_quorum_of(const mg_membership *m, uint64_t mask);
int mg_cl_self_index(const mg_membership *m);
/* Installs `l` as this member's list (carrying peer state over) and tells
 * the io; the caller has checked it is newer. */
void mg_cl_set_list(mg_membership *m, const mg_cl_list *l);
void mg_cl_set_table(mg_membership *m, mg_pt_table *t);
void mg_cl_become_member(mg_membership *m, const mg_cl_list *l);
mg_uuid mg_cl_new_uuid(mg_membership *m);
int mg_cl_wanted_replicas(const mg_membership *m);

/* membership_join.c */
void mg_cl_join_tick(mg_membership *m);
void mg_cl_on_join_request(mg_membership *m, const mg_mp_msg *msg);
void mg_cl_on_join_response(mg_membership *m, const mg_mp_msg *msg);
void mg_cl_rejoin(mg_membership *m, const char *why);
/* A member of a cluster that never held initial_min_size members starts
 * over as a process that was never a member (membership.c, member_tick). */
void mg_cl_start_over(mg_membership *m);

/* membership_elect.c */
void mg_cl_elect_tick(mg_membership *m);
void mg_cl_on_claim(mg_membership *m, const mg_mp_msg *msg);
void mg_cl_on_claim_response(mg_membership *m, const mg_mp_msg *msg);

/* membership_master.c */
void mg_cl_master_progress(mg_membership *m);
void mg_cl_master_publish(mg_membership *m, mg_cl_list *next, const mg_cl_member *removed);
void mg_cl_on_suspects(mg_membership *m, const mg_mp_msg *msg);
void mg_cl_on_leave(mg_membership *m, const mg_mp_msg *msg);
void mg_cl_report_suspects(mg_membership *m);
void mg_cl_master_leave(mg_membership *m);

#endif
