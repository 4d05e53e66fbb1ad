/* What plan.c shares with plan_rpc.c (the RPC worker's plan and the
 * checks of the workers a main node uses). Not for other callers. */
#ifndef HALOBOX_PLAN_INTERNAL_H
#define HALOBOX_PLAN_INTERNAL_H

#include "plan.h"

/* --recipe, or the recipe that suits the host; its reasons in p. */
int choose_recipe(const struct plan_request *req, struct plan *p, const struct recipe **out,
                  struct hb_error *err);
/* p->name: --name (checked against podman's rule) or the default. */
int plan_name(const struct plan_request *req, struct plan *p, struct hb_error *err);
/* Least privilege: the devices, groups, capabilities and security options,
 * then the environment. */
void plan_isolate(const struct plan_request *req, const struct recipe *r, struct plan *p);

/* plan_rpc.c: the whole plan of an RPC worker (PLAN_RPC_WORKER). */
int plan_rpc_worker(const struct plan_request *req, struct plan *p, struct hb_error *err);
/* plan_rpc.c: the workers of a main node (p's recipe already chosen):
 * each one answers and speaks this engine's protocol; sets p->rpc and
 * p->rpc_free. */
int plan_rpc_workers(const struct plan_request *req, struct plan *p, struct hb_error *err);

#endif
