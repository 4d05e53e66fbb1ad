/* Asking RPC workers over TCP who they are: every socket operation
 * (resolve, connect, send, recv) bounded by one deadline per worker, so a
 * worker that is gone, hung or busy is an answer within the timeout, never
 * a hang. */
#ifndef HALOBOX_RPC_CLIENT_H
#define HALOBOX_RPC_CLIENT_H

#include "rpc/rpc_session.h"

/* The default time one worker gets to answer. */
#define RPC_PROBE_TIMEOUT_MS 5000

struct rpc_worker {
    struct rpc_endpoint ep;
    bool reachable;
    char *error; /* why it is not reachable or not understood; NULL when fine */
    bool version_known;
    struct rpc_worker_info info;
    long elapsed_ms;
};

/* Connects to one worker and fills w (w->ep set by the caller). Never
 * fails as a call: what went wrong is in w->error. */
void rpc_probe(struct rpc_worker *w, int timeout_ms);

/* Every endpoint, one after the other (v has n entries, ep taken over from
 * eps, which is freed). */
struct rpc_worker *rpc_probe_all(struct rpc_endpoint *eps, size_t n, int timeout_ms);
void rpc_workers_release(struct rpc_worker *v, size_t n);

#endif
