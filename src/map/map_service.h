/* map_service.h - handlers of the Map service messages (client-protocol.md
 * §12, behaviour per imap-semantics.md).  Keyed handlers run on the key's
 * partition worker; whole-map ones run on the connection's worker and fan
 * out (map_bulk.c). */
#ifndef MG_MAP_MAP_SERVICE_H
#define MG_MAP_MAP_SERVICE_H

#include "member/dispatch.h"

/* keyed: map_ops.c */
void mg_map_put(mg_req *r);
void mg_map_put_with_max_idle(mg_req *r);
void mg_map_put_transient(mg_req *r);
void mg_map_put_transient_with_max_idle(mg_req *r);
void mg_map_set(mg_req *r);
void mg_map_set_with_max_idle(mg_req *r);
void mg_map_put_if_absent(mg_req *r);
void mg_map_put_if_absent_with_max_idle(mg_req *r);
void mg_map_try_put(mg_req *r);
void mg_map_get(mg_req *r);
void mg_map_contains_key(mg_req *r);
void mg_map_remove(mg_req *r);
void mg_map_remove_if_same(mg_req *r);
void mg_map_delete(mg_req *r);
void mg_map_try_remove(mg_req *r);
void mg_map_replace(mg_req *r);
void mg_map_replace_if_same(mg_req *r);
void mg_map_evict(mg_req *r);
void mg_map_set_ttl(mg_req *r);
void mg_map_get_entry_view(mg_req *r);
/* locks: map_lock_ops.c */
void mg_map_lock(mg_req *r);
void mg_map_try_lock(mg_req *r);
void mg_map_unlock(mg_req *r);
void mg_map_force_unlock(mg_req *r);
void mg_map_is_locked(mg_req *r);
/* whole map: map_bulk.c */
void mg_map_put_all(mg_req *r);
void mg_map_get_all(mg_req *r);
void mg_map_contains_value(mg_req *r);
void mg_map_size(mg_req *r);
void mg_map_is_empty(mg_req *r);
void mg_map_clear(mg_req *r);
void mg_map_evict_all(mg_req *r);
void mg_map_key_set(mg_req *r);
void mg_map_values(mg_req *r);
void mg_map_entry_set(mg_req *r);
void mg_map_flush(mg_req *r);
/* listeners: map_listener_ops.c */
void mg_map_add_entry_listener(mg_req *r);
void mg_map_add_entry_listener_to_key(mg_req *r);
void mg_map_remove_entry_listener(mg_req *r);
/* Client.DestroyProxy of a map: drops data, locks and listeners everywhere,
 * then calls answer() to build the reply. */
/* Whole-map operations across members (map_bulk.c): a member runs them on
 * its own primary partitions for another member and answers with its part. */
struct mg_dp_frame;
void mg_map_bulk_on_request(mg_worker *w, const struct mg_dp_frame *f);
void mg_map_bulk_on_result(mg_worker *w, const struct mg_dp_frame *f);
/* Periodic: whole-map requests whose members did not all answer in time. */
void mg_map_bulk_tick(mg_worker *w);

void mg_map_destroy_then(mg_req *r, const uint8_t *name, size_t len,
                         void (*answer)(mg_buf *out, int64_t corr));

#endif
