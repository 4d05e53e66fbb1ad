/* What the plan tests (test_plan.c, test_rpc.c) share: one plan built for
 * a host, and the model they plan for. */
#ifndef HALOBOX_PLAN_HELPERS_H
#define HALOBOX_PLAN_HELPERS_H

#include "doctor.h"
#include "facts.h"
#include "plan.h"
#include "store/fit.h"

/* A Llama-3.1-8B-shaped Q4_K_M model as its store summary describes it.
 * The shape (layers, embedding, context, feed-forward, vocabulary, KV
 * bytes per token) is what `models inspect --json` reports for `models
 * synth --preset llama-3.1-8b` (checked 2026-11-22); its data_bytes,
 * 4,920,734,720, is 0.16 % above that preset's 4,912,898,304, a 4.92 GB
 * model: the plan tests need that size, not the exact bytes. */
extern const char llama8b_summary[];

/* Fills m from llama8b_summary; false (and a test failed) when it does
 * not parse. */
bool llama8b_fit(struct fit_model *m);

/* A host's facts and verdict, and the plan made for them. */
struct built {
    struct facts facts;
    struct verdict verdict;
    struct plan plan;
    struct hb_error err;
    int rc;
};

void built_release(struct built *b);

#endif
