/* client_service.h - the Client service messages: authentication, the
 * cluster view, proxies, heartbeats (client-protocol.md §6.1, §8-10), and
 * what happens when a client connection goes away. */
#ifndef MG_CLIENT_CLIENT_SERVICE_H
#define MG_CLIENT_CLIENT_SERVICE_H

#include "member/dispatch.h"
#include "net/conn.h"

void mg_client_authenticate(mg_req *r);
void mg_client_add_cluster_view_listener(mg_req *r);
void mg_client_create_proxy(mg_req *r);
void mg_client_create_proxies(mg_req *r);
void mg_client_destroy_proxy(mg_req *r);
void mg_client_get_distributed_objects(mg_req *r);
void mg_client_ping(mg_req *r);
void mg_client_statistics(mg_req *r);
void mg_client_local_backup_listener(mg_req *r);
void mg_client_trigger_partition_assignment(mg_req *r);

/* The connection is closing: drop its listeners everywhere and, when it was
 * the client's last connection, release the client's locks. */
void mg_client_on_close(mg_conn *c);

#endif
