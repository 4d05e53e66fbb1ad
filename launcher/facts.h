/* The host facts (schema halobox.facts/1, DESIGN.md): what the probes found,
 * and what a saved facts file says. Every value can be unknown: strings are
 * NULL, numbers carry a `known` bit, booleans are tri-state, and lists have a
 * `known` flag separate from their length (an empty list is a fact, an
 * unknown list is not). Unknown becomes JSON null, never 0 or "". */
#ifndef HALOBOX_FACTS_H
#define HALOBOX_FACTS_H

#include "util/common.h"
#include "util/error.h"
#include "util/optional.h"

#define FACTS_SCHEMA "halobox.facts/1"

struct kparam {
    char *key;
    char *value; /* "" for a bare flag such as `quiet` */
};

struct facts_os {
    char *id;
    char *id_like; /* space-separated, as in os-release */
    char *version_id;
    char *pretty_name;
    /* Booted from an OSTree image (Fedora Silverblue/Kinoite, Bazzite,
     * Bluefin...): /etc/default/grub and grubby do not apply there; kernel
     * arguments and packages go through rpm-ostree. */
    tri image_based;
};

struct facts_kernel {
    char *release;
    char *cmdline;
    bool params_known;
    struct kparam *params;
    size_t n_params;
    /* The TTM page limit in effect: amdttm's when amdgpu-dkms brings its own
     * TTM (then ttm.pages_limit on the command line has no effect). */
    opt_u64 ttm_pages_limit;
    char *ttm_module; /* "ttm" or "amdttm" */
};

struct facts_memory {
    opt_u64 total_bytes; /* MemTotal: the RAM the OS has, carve-out excluded */
    opt_u64 available_bytes;
    opt_u64 page_size;
};

struct facts_gpu {
    char *pci_slot;
    opt_u64 vendor_id;
    opt_u64 device_id;
    char *driver;
    char *gfx;      /* derived: from gfx_target_version, else the PCI id table */
    char *family;   /* derived: from the PCI id table */
    tri integrated; /* derived: table, else dGPU markers and memory sizes */
    opt_u64 vram_bytes;
    opt_u64 vis_vram_bytes;
    opt_u64 gtt_bytes;
    char *render_node;
    tri render_access;
    /* raw values the derived ones come from */
    opt_u64 gfx_target_version; /* KFD topology, e.g. 110501 */
    opt_u64 simd_count;
    tri board_info;    /* sysfs board_info exists: a dGPU marker */
    char *vram_vendor; /* sysfs mem_info_vram_vendor: a dGPU marker */
    char *card;        /* "card1" */
};

struct facts_vulkan_device {
    char *name;
    opt_u64 vendor_id;
    opt_u64 device_id;
    char *type;   /* integrated, discrete, virtual, cpu, other */
    char *driver; /* radv, amdvlk, amdgpu-pro, nvidia, intel, llvmpipe, other */
    char *driver_info;
    char *api_version;
    opt_u64 device_local_bytes;
    opt_u64 max_allocation_bytes;
};

struct facts_vulkan {
    char *loader; /* instance version, "1.3.239" */
    bool devices_known;
    struct facts_vulkan_device *devices;
    size_t n_devices;
    char *error; /* why the probe found nothing, when it failed */
};

struct facts_rocm_device {
    char *gfx;
    char *name;
    opt_u64 total_bytes;
    tri integrated;
};

struct facts_rocm {
    tri kfd_present;
    tri kfd_access;
    char *runtime_version;
    char *runtime_path;
    char *runtime_error;
    bool devices_known;
    struct facts_rocm_device *devices;
    size_t n_devices;
};

struct facts_user {
    opt_u64 uid;
    char *name;
    bool groups_known;
    char **groups;
    size_t n_groups;
};

struct facts_containers {
    tri podman_found; /* TRI_UNKNOWN: not looked for (a saved report) */
    char *podman_path;
    char *podman_version;
    tri rootless;
    char *selinux; /* enforcing, permissive, disabled */
    tri inside_container;
    char *container_kind; /* podman, docker, toolbox, distrobox, ... */
    /* The CDI devices the spec files in /etc/cdi and /var/run/cdi declare,
     * fully qualified ("nvidia.com/gpu=all"): what `podman run --device`
     * can name besides device nodes. Not known: not looked (a saved
     * report); known and empty: looked, none. */
    bool cdi_devices_known;
    char **cdi_devices;
    size_t n_cdi_devices;
    /* The OCI runtime podman uses ("crun", "runc", another name), from its
     * containers.conf files, else the first installed; NULL: unknown. */
    char *oci_runtime;
};

struct facts_firmware {
    char *linux_firmware; /* the version date, "20260309" */
    char *package;        /* the package and version it came from */
};

/* The environment variables that change how engines see the GPU. */
extern const char *const facts_env_names[];
extern const size_t facts_env_count;

struct facts {
    struct facts_os os;
    struct facts_kernel kernel;
    struct facts_memory memory;
    bool gpus_known;
    struct facts_gpu *gpus;
    size_t n_gpus;
    struct facts_vulkan vulkan;
    struct facts_rocm rocm;
    struct facts_user user;
    struct facts_containers containers;
    struct facts_firmware firmware;
    char **env_values; /* facts_env_count entries, NULL when unset */
};

void facts_init(struct facts *f);
void facts_release(struct facts *f);

#define cleanup_facts __attribute__((cleanup(facts_release)))

/* Appends and returns a zeroed element. */
struct facts_gpu *facts_add_gpu(struct facts *f);
struct facts_vulkan_device *facts_add_vulkan_device(struct facts_vulkan *vk);
struct facts_rocm_device *facts_add_rocm_device(struct facts_rocm *rocm);
void facts_add_param(struct facts_kernel *k, const char *key, size_t key_len, const char *value,
                     size_t value_len);
/* Appends a copy of s to the list (v, n). */
void facts_strv_add(char ***v, size_t *n, const char *s);
void facts_add_group(struct facts_user *u, const char *name);
void facts_add_cdi_device(struct facts_containers *c, const char *name);
/* Back to unknown: no list. */
void facts_clear_cdi_devices(struct facts_containers *c);
/* Whether a CDI device of `kind` ("nvidia.com/gpu") is declared; false
 * when none is or the list is unknown. */
bool facts_has_cdi_kind(const struct facts_containers *c, const char *kind);
/* The device to pass for `kind`: KIND=all when declared, else the first of
 * the kind; NULL when none is (or the list is unknown). */
const char *facts_cdi_device_for(const struct facts_containers *c, const char *kind);

/* The value of a kernel parameter, or NULL when absent (the kernel keeps the
 * last of repeated keys; so does the parser, so there is one per key). */
const char *facts_param(const struct facts_kernel *k, const char *key);
const char *facts_env(const struct facts *f, const char *name);

/* An AMD GPU, by PCI vendor or by a family only AMD has. */
bool facts_gpu_is_amd(const struct facts_gpu *g);
/* An NVIDIA GPU driven by NVIDIA's own kernel module (`nvidia`, closed or
 * open; not nouveau): its user-space driver is not in any engine image, so
 * a container sees the GPU only through the CDI device nvidia.com/gpu. */
#define NVIDIA_CDI_KIND "nvidia.com/gpu"
#define NVIDIA_CDI_ALL  NVIDIA_CDI_KIND "=all"
bool facts_gpu_needs_nvidia_cdi(const struct facts_gpu *g);
/* The Vulkan device with the GPU's PCI ids, or NULL. */
const struct facts_vulkan_device *facts_vulkan_device_for(const struct facts *f,
                                                          const struct facts_gpu *g);

/* Fills the derived fields (gfx, family, integrated) that are unknown, from
 * the raw ones, the same way for a live host and a saved facts file. */
void facts_derive(struct facts *f);

/* JSON (cJSON). The caller owns the returned tree. */
struct cJSON;
struct cJSON *facts_to_json(const struct facts *f);
/* Reads a facts document; `origin` names it in errors (a file name). Wrong
 * types are errors naming the field; missing keys are unknown values. */
int facts_from_json(struct facts *f, const struct cJSON *root, const char *origin,
                    struct hb_error *err);

#endif
