/* (Command side: it probes the host through facts_acquire.) The engine a command on this node would
 * use (--recipe, else the recipe that suits this host) and the RPC protocol it speaks: what the
 * workers are compared with by cluster status and rpc-worker. */
#ifndef HALOBOX_RPC_ENGINE_H
#define HALOBOX_RPC_ENGINE_H

#include "rpc/rpc_wire.h"

struct rpc_engine {
    char *recipe;
    char *engine_version;
    char *image;
    bool protocol_known;
    struct rpc_version protocol;
};

/* facts_path: --facts or NULL (this host, cached per boot). */
int rpc_engine_find(const char *recipe, const char *facts_path, struct rpc_engine *e,
                    struct hb_error *err);
void rpc_engine_release(struct rpc_engine *e);

#endif
