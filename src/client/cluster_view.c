/* cluster_view.c - Client.AddClusterViewListener and the two view events. */
#include "client/cluster_view.h"

#include <string.h>

#include "client/client_service.h"
#include "member/member.h"
#include "net/conn.h"
#include "partition/topology.h"
#include "proto/codecs/client_codecs.h"
#include "proto/codecs/custom_codecs.h"
#include "util/alloc.h"

void mg_cluster_view_write_members(mg_wr *w, const void *arg)
{
    const mg_topology *t = arg;
    mg_wr_begin(w);
    for (int i = 0; t && i < t->list.count; i++) {
        const mg_cl_member *cm = &t->list.members[i];
        mg_member_info info = {
            .uuid = cm->uuid,
            .lite_member = false,
            .address = {.host = {(const uint8_t *)cm->addr.host, strlen(cm->addr.host)}, .port = cm->addr.port},
            .version = {.major = 5, .minor = 5, .patch = 0},
        };
        mg_enc_member_info(w, &info);
    }
    mg_wr_end_ds(w);
}

/* EntryList_UUID_List_Integer: BEGIN, one List_Integer frame per member
 * that owns partitions (its primaries), END, then one frame with those
 * members' UUIDs in the same order. */
void mg_cluster_view_write_partitions(mg_wr *w, const void *arg)
{
    const mg_topology *t = arg;
    const mg_pt_table *pt = t ? t->table : NULL;
    int owners[MG_CL_MAX_MEMBERS];
    int nowners = 0;
    mg_wr_begin(w);
    for (int i = 0; pt && i < pt->nmembers; i++) {
        if (mg_cl_list_find(&t->list, &pt->members[i]) < 0)
            continue;   /* gone from the list: clients could not route to it */
        int32_t n = 0;
        for (uint32_t p = 0; p < pt->partitions; p++)
            n += mg_pt_slot(pt, p, 0) == (uint8_t)i;
        if (n == 0)
            continue;
        uint8_t *ids = mg_wr_frame(w, 0, (size_t)n * 4);
        for (uint32_t p = 0; p < pt->partitions; p++)
            if (mg_pt_slot(pt, p, 0) == (uint8_t)i) {
                mg_enc_i32(ids, (int32_t)p);
                ids += 4;
            }
        owners[nowners++] = i;
    }
    mg_wr_end_ds(w);
    uint8_t *uuids = mg_wr_frame(w, 0, (size_t)nowners * MG_UUID_SIZE);
    for (int k = 0; k < nowners; k++)
        mg_enc_uuid(uuids + (size_t)k * MG_UUID_SIZE, &pt->members[owners[k]]);
}

static void write_views(mg_buf *out, int64_t corr, const mg_topology *t, bool members, bool partitions)
{
    if (members)
        mg_client_add_cluster_view_listener_event_members_view_encode(
            out, corr, -1, t->client_list_version, mg_cluster_view_write_members, t);
    if (partitions && t->table)
        mg_client_add_cluster_view_listener_event_partitions_view_encode(
            out, corr, -1, t->client_table_version, mg_cluster_view_write_partitions, t);
}

/* Registrations kept per connection: a client registers once per
 * connection; past this many, a misbehaving one gets the views of its
 * request but no more events, rather than unbounded memory. */
#define MAX_VIEW_LISTENERS 64

void mg_client_add_cluster_view_listener(mg_req *r)
{
    mg_conn *c = r->local;
    if (c && c->nviews < MAX_VIEW_LISTENERS) {
        c->view_corrs = mg_xrealloc(c->view_corrs, (c->nviews + 1) * sizeof *c->view_corrs);
        c->view_corrs[c->nviews++] = r->hdr.corr;
    }
    /* Views first, then the answer, as Hazelcast does; clients start routing
     * by key as soon as the partitions view arrives. */
    write_views(r->out, r->hdr.corr, r->w->topo, true, true);
    mg_client_add_cluster_view_listener_resp_encode(r->out, r->hdr.corr);
}

void mg_cluster_view_changed(mg_worker *w, const mg_topology *old, const mg_topology *now)
{
    if (!now->is_member)
        return;   /* joining: clients keep the last views until we are back */
    bool members = !old || old->client_list_version != now->client_list_version;
    bool partitions = now->table && (!old || !old->table || old->client_table_version != now->client_table_version);
    if (!members && !partitions)
        return;
    for (size_t i = 0; i < w->nconn_slots; i++) {
        mg_conn *c = w->conns[i];
        if (!c || c->state != MG_CONN_OPEN)
            continue;
        for (uint32_t k = 0; k < c->nviews; k++)
            write_views(mg_conn_out(c), c->view_corrs[k], now, members, partitions);
    }
}
