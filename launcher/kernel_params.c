#include "util/common.h"

#include "kernel_params.h"

/* amdgpu module parameters, from drivers/gpu/drm/amd/amdgpu/amdgpu_drv.c
 * (mainline 6.16 and later; KFD and display ones are amdgpu parameters
 * too). Names removed in recent kernels are kept: an old kernel takes
 * them, and they are not typos. */
static const char *const amdgpu_params[] = {
    "vramlimit",
    "vis_vramlimit",
    "gartsize",
    "gttsize",
    "moverate",
    "audio",
    "disp_priority",
    "hw_i2c",
    "pcie_gen2",
    "msi",
    "svm_default_granularity",
    "lockup_timeout",
    "dpm",
    "fw_load_type",
    "aspm",
    "runpm",
    "ip_block_mask",
    "bapm",
    "deep_color",
    "vm_size",
    "vm_fragment_size",
    "vm_block_size",
    "vm_fault_stop",
    "vm_update_mode",
    "exp_hw_support",
    "dc",
    "sched_jobs",
    "sched_hw_submission",
    "ppfeaturemask",
    "forcelongtraining",
    "pcie_gen_cap",
    "pcie_lane_cap",
    "cg_mask",
    "pg_mask",
    "sdma_phase_quantum",
    "disable_cu",
    "virtual_display",
    "lbpw",
    "compute_multipipe",
    "gpu_recovery",
    "emu_mode",
    "ras_enable",
    "ras_mask",
    "timeout_fatal_disable",
    "timeout_period",
    "si_support",
    "cik_support",
    "smu_memory_pool_size",
    "async_gfx_ring",
    "mcbp",
    "discovery",
    "mes_log_enable",
    "uni_mes",
    "noretry",
    "force_asic_type",
    "use_xgmi_p2p",
    "sched_policy",
    "hws_max_conc_proc",
    "cwsr_enable",
    "max_num_of_queues_per_device",
    "send_sigterm",
    "halt_if_hws_hang",
    "hws_gws_support",
    "queue_preemption_timeout_ms",
    "debug_evictions",
    "no_system_mem_limit",
    "no_queue_eviction_on_vm_fault",
    "mtype_local",
    "pcie_p2p",
    "dcfeaturemask",
    "dcdebugmask",
    "visualconfirm",
    "abmlevel",
    "backlight",
    "damageclips",
    "tmz",
    "freesync_video",
    "reset_method",
    "bad_page_threshold",
    "num_kcq",
    "vcnfw_log",
    "sg_display",
    "umsch_mm",
    "umsch_mm_fwlog",
    "smu_pptable_id",
    "user_partt_mode",
    "enforce_isolation",
    "modeset",
    "seamless",
    "debug_mask",
    "agp",
    "wbrf",
    "rebar",
    "user_queue",
    "hdmi_hpd_debounce_delay_ms",
    /* removed from mainline, accepted by the kernels that had them */
    "benchmark",
    "test",
    "vm_debug",
    "job_hang_limit",
    "mes",
    "mes_kiq",
    "debug_largebar",
    "ignore_crat",
    "vram_page_split",
};

/* ttm (drivers/gpu/drm/ttm/ttm_tt.c, ttm_pool.c); amdgpu-dkms's amdttm
 * takes the same. */
static const char *const ttm_params[] = {"pages_limit", "dma32_pages_limit", "page_pool_size"};

/* amd_iommu= words (drivers/iommu/amd/init.c, parse_amd_iommu_options),
 * matched as prefixes of each comma-separated word as the kernel does. */
static const char *const amd_iommu_words[] = {
    "fullflush", "force_enable", "off",         "force_isolation", "pgtbl_v1",
    "pgtbl_v2",  "irtcachedis",  "nohugepages", "v2_pgsizes_only",
};

/* Bare names seen in guides and forum posts that only mean something with
 * a module prefix; the kernel hands them to init, which ignores them. */
static const char *const bare_module_names[] = {
    "gttsize",        "gtt_size",    "gartsize",      "vramlimit",        "pages_limit",
    "page_pool_size", "cwsr_enable", "ppfeaturemask", "vm_fragment_size", "sg_display",
    "noretry",        "runpm",       "gpu_recovery",  "lockup_timeout",   "vm_update_mode",
};

static bool name_eq(const char *a, const char *b)
{
    /* The kernel treats '-' and '_' alike in parameter names. */
    for (; *a && *b; a++, b++) {
        char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

static bool in_list(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (name_eq(list[i], name))
            return true;
    return false;
}

bool amd_iommu_value_is_off(const char *value)
{
    if (!value)
        return false;
    for (const char *p = value; *p;) {
        if (!strncmp(p, "off", 3))
            return true;
        const char *comma = strchr(p, ',');
        if (!comma)
            break;
        p = comma + 1;
    }
    return false;
}

static bool amd_iommu_value_ok(const char *value)
{
    if (!value || !*value)
        return false;
    for (const char *p = value; *p;) {
        bool known = false;
        for (size_t i = 0; i < ARRAY_SIZE(amd_iommu_words); i++)
            known = known || !strncmp(p, amd_iommu_words[i], strlen(amd_iommu_words[i]));
        if (!known)
            return false;
        const char *comma = strchr(p, ',');
        if (!comma)
            break;
        p = comma + 1;
    }
    return true;
}

const char *kernel_param_problem(const char *key, const char *value, const char **suggestion)
{
    *suggestion = NULL;
    if (str_starts_with(key, "amdgpu.")) {
        const char *name = key + strlen("amdgpu.");
        if (in_list(amdgpu_params, ARRAY_SIZE(amdgpu_params), name))
            return NULL;
        if (name_eq(name, "gtt_size"))
            *suggestion = "ttm.pages_limit";
        return "amdgpu has no such parameter";
    }
    if (str_starts_with(key, "ttm.") || str_starts_with(key, "amdttm.")) {
        const char *name = strchr(key, '.') + 1;
        if (in_list(ttm_params, ARRAY_SIZE(ttm_params), name))
            return NULL;
        return "ttm has no such parameter";
    }
    if (name_eq(key, "amd_iommu")) {
        if (amd_iommu_value_ok(value))
            return NULL;
        *suggestion = "amd_iommu=off";
        return "amd_iommu does not take this value (it takes off, force_isolation, ...)";
    }
    if (in_list(bare_module_names, ARRAY_SIZE(bare_module_names), key)) {
        if (name_eq(key, "gttsize") || name_eq(key, "gtt_size") || name_eq(key, "pages_limit"))
            *suggestion = "ttm.pages_limit";
        return "a module parameter without its module prefix";
    }
    return NULL;
}
