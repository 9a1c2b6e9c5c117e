/* cluster_view.c - Client.AddClusterViewListener and the two view events. */
#include "client/cluster_view.h"

#include <string.h>

#include "client/client_service.h"
#include "member/member.h"
#include "proto/codecs/client_codecs.h"
#include "proto/codecs/custom_codecs.h"
#include "util/alloc.h"

void mg_cluster_view_write_members(mg_wr *w, const void *arg)
{
    const mg_member *m = arg;
    mg_wr_begin(w);
    if (m) {
        mg_member_info info = {
            .uuid = m->uuid,
            .lite_member = false,
            .address = {.host = {(const uint8_t *)m->host, strlen(m->host)}, .port = m->port},
            .version = {.major = 5, .minor = 5, .patch = 0},
        };
        mg_enc_member_info(w, &info);
    }
    mg_wr_end_ds(w);
}

/* EntryList_UUID_List_Integer: BEGIN, one List_Integer frame per member, END,
 * then one frame with all the member UUIDs in the same order. */
void mg_cluster_view_write_partitions(mg_wr *w, const void *arg)
{
    const mg_member *m = arg;
    mg_wr_begin(w);
    if (m) {
        uint8_t *ids = mg_wr_frame(w, 0, (size_t)m->partition_count * 4);
        for (int32_t p = 0; p < m->partition_count; p++)
            mg_enc_i32(ids + 4 * p, p);
    }
    mg_wr_end_ds(w);
    uint8_t *uuids = mg_wr_frame(w, 0, m ? MG_UUID_SIZE : 0);
    if (m)
        mg_enc_uuid(uuids, &m->uuid);
}

void mg_client_add_cluster_view_listener(mg_req *r)
{
    mg_member *m = r->w->m;
    mg_conn *c = r->local;
    if (c) {
        c->view_listener = true;
        c->view_corr = r->hdr.corr;
    }
    /* Views first, then the answer, as Hazelcast does; clients start routing
     * by key as soon as the partitions view arrives. */
    mg_client_add_cluster_view_listener_event_members_view_encode(
        r->out, r->hdr.corr, -1, m->member_list_version, mg_cluster_view_write_members, m);
    mg_client_add_cluster_view_listener_event_partitions_view_encode(
        r->out, r->hdr.corr, -1, m->partition_table_version, mg_cluster_view_write_partitions, m);
    mg_client_add_cluster_view_listener_resp_encode(r->out, r->hdr.corr);
}
