/* The doctor: rules over facts. It derives the memory the GPU can really
 * use, the findings (stable ids from DESIGN.md, each with a severity, a
 * one-line message and the exact fix for the host's distro family) and the
 * recommended backend. Pure: it reads only the facts it is given. */
#ifndef HALOBOX_DOCTOR_H
#define HALOBOX_DOCTOR_H

#include "facts.h"

enum severity { SEV_OK, SEV_INFO, SEV_WARN, SEV_ERROR };

enum workload { WORKLOAD_CHAT, WORKLOAD_PREFILL };

struct finding {
    const char *id;
    enum severity severity;
    char *message;
    char *fix; /* NULL when there is nothing to do */
};

struct gpu_memory {
    opt_u64 usable_bytes;
    const char *limited_by; /* vram, gtt, ttm, ram, hip, vulkan; NULL unknown */
    int gpu;                /* index into facts.gpus, -1 when none */
    /* the terms it came from, for the table and for the findings */
    opt_u64 vram_bytes;
    opt_u64 shared_bytes; /* the GTT part on an APU */
    opt_u64 gtt_bytes;
    opt_u64 ttm_bytes;
    opt_u64 ram_bytes;
};

struct recommendation {
    char *recipe;  /* NULL when the facts cannot tell (owned) */
    char *backend; /* vulkan, rocm, cpu; NULL when unknown (owned) */
    char **reasons;
    size_t n_reasons;
};

struct verdict {
    struct gpu_memory memory;
    struct finding *findings;
    size_t n_findings;
    struct recommendation recommendation;
};

void doctor_evaluate(const struct facts *f, struct verdict *v);
void verdict_release(struct verdict *v);
bool verdict_has_error(const struct verdict *v);
const struct finding *verdict_find(const struct verdict *v, const char *id);

const char *severity_name(enum severity s);

/* Memory the GPU can use (DESIGN.md): on an APU, VRAM + min(GTT, TTM limit x
 * page size, RAM); on a dGPU its VRAM; else what HIP or Vulkan report. */
void gpu_memory_compute(const struct facts *f, struct gpu_memory *m);

/* The recommendation (recommend.c) is the choice run and serve make from the
 * recipes (recipes_select_for), or none when the facts cannot tell; `set`
 * NULL: the recipes were not found. doctor_evaluate leaves it empty;
 * verdict_recommend fills it. */
struct recipe_set;
void recommend(const struct facts *f, enum workload w, const struct verdict *v,
               const struct recipe_set *set, struct recommendation *r);
void verdict_recommend(struct verdict *v, const struct facts *f, enum workload w,
                       const struct recipe_set *set);

/* Adds gpu_memory, findings and recommendation to a facts JSON object. */
struct cJSON;
void verdict_add_json(struct cJSON *root, const struct verdict *v);

/* 6.18.4: the kernel with the gfx1151 ROCm stability fix (in the form
 * kernel_version_parse gives). */
#define KERNEL_ROCM_FIX 6018004ULL

/* Kernel version "6.18.4-200.fc43" -> 6.18.4 as a comparable number
 * (major*1000000 + minor*1000 + patch); false when it does not parse. */
bool kernel_version_parse(const char *release, uint64_t *out);

#endif
