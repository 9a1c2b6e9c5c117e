/* auth.c - Client.Authentication, checked in the order a Hazelcast 5.x member
 * checks it (client-protocol.md §8.2). */
#include <stdatomic.h>
#include <string.h>

#include "client/client_service.h"
#include "client/cluster_view.h"
#include "member/dispatch.h"
#include "member/member.h"
#include "partition/topology.h"
#include "proto/codecs/client_codecs.h"
#include "proto/codecs/custom_codecs.h"
#include "proto/error.h"

enum { AUTHENTICATED = 0, CREDENTIALS_FAILED = 1, SERIALIZATION_VERSION_MISMATCH = 2 };

static void write_address(mg_wr *w, const void *arg)
{
    const mg_member *m = arg;
    if (!m) {
        mg_wr_null(w);
        return;
    }
    mg_address a = {.host = {(const uint8_t *)m->host, strlen(m->host)}, .port = m->port};
    mg_enc_address(w, &a);
}

static void answer(mg_req *r, mg_member *m, uint8_t status)
{
    static const mg_uuid null_uuid = {0, 0, true};
    bool ok = status == AUTHENTICATED;
    const mg_topology *t = r->w->topo;
    mg_bytes version = ok ? (mg_bytes){(const uint8_t *)MG_HZ_COMPAT_VERSION, strlen(MG_HZ_COMPAT_VERSION)}
                          : (mg_bytes){(const uint8_t *)"", 0};
    mg_client_authentication_resp_encode(
        r->out, r->hdr.corr, status, write_address, ok ? m : NULL, ok ? &t->self : &null_uuid,
        ok ? 1 : 0xff, &version, ok ? m->partition_count : -1, ok ? &t->list.cluster_id : &null_uuid,
        false, NULL, 0, NULL, ok ? t->client_list_version : 0, mg_cluster_view_write_members,
        ok ? t : NULL, ok ? t->client_table_version : 0, mg_cluster_view_write_partitions,
        ok ? t : NULL, NULL, 0);
}

void mg_client_authenticate(mg_req *r)
{
    mg_client_authentication_req q;
    if (mg_client_authentication_req_decode(r->msg, r->len, &q)) {
        mg_req_bad_message(r);
        return;
    }
    mg_member *m = r->w->m;
    mg_conn *c = r->local;
    const char *why = NULL;
    uint8_t status = AUTHENTICATED;
    if (q.serialization_version != 1) {
        status = SERIALIZATION_VERSION_MISMATCH;
        why = "serialization version is not 1";
    } else if (q.username.ptr || q.password.ptr) {
        /* security is not enabled: like Hazelcast, any credentials are refused */
        status = CREDENTIALS_FAILED;
        why = "credentials given but memgrid runs without security";
    } else if (q.cluster_name.len != strlen(m->cfg.cluster_name) ||
               memcmp(q.cluster_name.ptr, m->cfg.cluster_name, q.cluster_name.len) != 0) {
        status = CREDENTIALS_FAILED;
        why = "wrong cluster name";
    }
    if (status != AUTHENTICATED) {
        MG_WARN(&m->log, "client %s refused: %s (it asked for cluster '%.*s', this is '%s')",
                c ? c->peer : "?", why, (int)q.cluster_name.len, (const char *)q.cluster_name.ptr,
                m->cfg.cluster_name);
        answer(r, m, status);
        return;
    }
    const mg_topology *t = r->w->topo;
    if (!t->ready) {
        /* Hazelcast answers the same while its start waits for the
         * cluster; the official clients try again. */
        int have = t->is_member ? t->list.count : 0;
        if (!atomic_exchange(&m->told_not_ready, true))
            MG_INFO(&m->log, "client %s refused until the cluster has %d members "
                    "(hazelcast.initial.min.cluster.size; it has %d); clients retry", c ? c->peer : "?",
                    m->cfg.initial_min_cluster_size, have);
        mg_req_error(r, MG_ERR_HAZELCAST_INSTANCE_NOT_ACTIVE, "com.hazelcast.core.HazelcastInstanceNotActiveException",
                     "memgrid member is not ready yet: the cluster has %d of the %d members that "
                     "hazelcast.initial.min.cluster.size asks for", have, m->cfg.initial_min_cluster_size);
        return;
    }
    if (c && !c->authenticated) {
        c->authenticated = true;
        c->client_uuid = q.uuid;
        snprintf(c->client_type, sizeof c->client_type, "%.*s", (int)q.client_type.len,
                 (const char *)q.client_type.ptr);
        snprintf(c->client_name, sizeof c->client_name, "%.*s", (int)q.client_name.len,
                 (const char *)q.client_name.ptr);
        mg_member_client_join(m, &q.uuid);
        MG_INFO(&m->log, "client %s authenticated (%s %.*s, %s)", c->peer, c->client_type,
                (int)q.client_hazelcast_version.len, (const char *)q.client_hazelcast_version.ptr,
                c->client_name);
    }
    answer(r, m, AUTHENTICATED);
}
