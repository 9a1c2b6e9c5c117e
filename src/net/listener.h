/* listener.h - the member's listening socket.
 *
 * One socket, polled by worker 0, which accepts and hands each connection to
 * the next worker in turn (a task carrying the fd).  With few connections
 * (clients open one per member) this keeps accept simple; see
 * docs/architecture.md for why not one SO_REUSEPORT socket per worker.
 */
#ifndef MG_NET_LISTENER_H
#define MG_NET_LISTENER_H

typedef struct mg_member mg_member;
typedef struct mg_worker mg_worker;

/* Binds host:port (trying port .. port+count-1 when auto_increment), sets
 * m->listen_fd and m->port.  Port 0 binds an ephemeral port.  Returns 0 or a
 * negative errno. */
int mg_listener_bind(mg_member *m, const char *host, int port, int count);
/* Starts accepting on worker 0 (must run on that worker's thread). */
void mg_listener_start(mg_worker *w0);
void mg_listener_stop(mg_worker *w0);

#endif
