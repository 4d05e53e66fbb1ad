#include "util/common.h"

#include "facts.h"

/* Variables that change which GPU an engine sees or how it drives it; each
 * is recorded (set or not) so a report shows what the user's shell had. */
const char *const facts_env_names[] = {
    "HSA_OVERRIDE_GFX_VERSION", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
    "GGML_VK_VISIBLE_DEVICES",  "VK_DRIVER_FILES",     "VK_ICD_FILENAMES",
    "AMD_VULKAN_ICD",           "ROCM_PATH",           "GGML_CUDA_ENABLE_UNIFIED_MEMORY",
};
const size_t facts_env_count = ARRAY_SIZE(facts_env_names);

void facts_init(struct facts *f)
{
    memset(f, 0, sizeof(*f));
    f->env_values = xcalloc(facts_env_count, sizeof(char *));
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void gpu_release(struct facts_gpu *g)
{
    free(g->pci_slot);
    free(g->driver);
    free(g->gfx);
    free(g->family);
    free(g->render_node);
    free(g->vram_vendor);
    free(g->card);
}

static void vulkan_device_release(struct facts_vulkan_device *d)
{
    free(d->name);
    free(d->type);
    free(d->driver);
    free(d->driver_info);
    free(d->api_version);
}

void facts_release(struct facts *f)
{
    free(f->os.id);
    free(f->os.id_like);
    free(f->os.version_id);
    free(f->os.pretty_name);
    free(f->kernel.release);
    free(f->kernel.cmdline);
    for (size_t i = 0; i < f->kernel.n_params; i++) {
        free(f->kernel.params[i].key);
        free(f->kernel.params[i].value);
    }
    free(f->kernel.params);
    free(f->kernel.ttm_module);
    for (size_t i = 0; i < f->n_gpus; i++)
        gpu_release(&f->gpus[i]);
    free(f->gpus);
    free(f->vulkan.loader);
    free(f->vulkan.error);
    for (size_t i = 0; i < f->vulkan.n_devices; i++)
        vulkan_device_release(&f->vulkan.devices[i]);
    free(f->vulkan.devices);
    free(f->rocm.runtime_version);
    free(f->rocm.runtime_path);
    free(f->rocm.runtime_error);
    for (size_t i = 0; i < f->rocm.n_devices; i++) {
        free(f->rocm.devices[i].gfx);
        free(f->rocm.devices[i].name);
    }
    free(f->rocm.devices);
    free(f->user.name);
    free_strv(f->user.groups, f->user.n_groups);
    free(f->containers.podman_path);
    free(f->containers.podman_version);
    free(f->containers.selinux);
    free(f->containers.container_kind);
    free(f->containers.oci_runtime);
    free_strv(f->containers.cdi_devices, f->containers.n_cdi_devices);
    free(f->firmware.linux_firmware);
    free(f->firmware.package);
    if (f->env_values)
        free_strv(f->env_values, facts_env_count);
    memset(f, 0, sizeof(*f));
}

/* Appends one zeroed element to a plain array whose length is *n. */
static void *append_zeroed(void *array, size_t *n, size_t elem_size)
{
    char *p = xrealloc(array, (*n + 1) * elem_size);
    memset(p + *n * elem_size, 0, elem_size);
    (*n)++;
    return p;
}

struct facts_gpu *facts_add_gpu(struct facts *f)
{
    f->gpus = append_zeroed(f->gpus, &f->n_gpus, sizeof(*f->gpus));
    f->gpus_known = true;
    return &f->gpus[f->n_gpus - 1];
}

struct facts_vulkan_device *facts_add_vulkan_device(struct facts_vulkan *vk)
{
    vk->devices = append_zeroed(vk->devices, &vk->n_devices, sizeof(*vk->devices));
    vk->devices_known = true;
    return &vk->devices[vk->n_devices - 1];
}

struct facts_rocm_device *facts_add_rocm_device(struct facts_rocm *rocm)
{
    rocm->devices = append_zeroed(rocm->devices, &rocm->n_devices, sizeof(*rocm->devices));
    rocm->devices_known = true;
    return &rocm->devices[rocm->n_devices - 1];
}

/* The kernel matches parameter names with '-' and '_' as the same character
 * (parameq in kernel/params.c). */
static bool param_key_eq(const char *a, size_t a_len, const char *b)
{
    size_t b_len = strlen(b);
    if (a_len != b_len)
        return false;
    for (size_t i = 0; i < a_len; i++) {
        char x = a[i] == '-' ? '_' : a[i];
        char y = b[i] == '-' ? '_' : b[i];
        if (x != y)
            return false;
    }
    return true;
}

void facts_add_param(struct facts_kernel *k, const char *key, size_t key_len, const char *value,
                     size_t value_len)
{
    k->params_known = true;
    /* The kernel lets the last of repeated keys win: replace in place so the
     * list keeps one entry per key, in first-seen order. */
    for (size_t i = 0; i < k->n_params; i++) {
        if (param_key_eq(key, key_len, k->params[i].key)) {
            free(k->params[i].value);
            k->params[i].value = xstrndup(value, value_len);
            return;
        }
    }
    k->params = append_zeroed(k->params, &k->n_params, sizeof(*k->params));
    k->params[k->n_params - 1].key = xstrndup(key, key_len);
    k->params[k->n_params - 1].value = xstrndup(value, value_len);
}

void facts_strv_add(char ***v, size_t *n, const char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(char *));
    (*v)[(*n)++] = xstrdup(s);
}

void facts_add_group(struct facts_user *u, const char *name)
{
    facts_strv_add(&u->groups, &u->n_groups, name);
    u->groups_known = true;
}

void facts_add_cdi_device(struct facts_containers *c, const char *name)
{
    facts_strv_add(&c->cdi_devices, &c->n_cdi_devices, name);
    c->cdi_devices_known = true;
}

void facts_clear_cdi_devices(struct facts_containers *c)
{
    free_strv(c->cdi_devices, c->n_cdi_devices);
    c->cdi_devices = NULL;
    c->n_cdi_devices = 0;
    c->cdi_devices_known = false;
}

const char *facts_cdi_device_for(const struct facts_containers *c, const char *kind)
{
    size_t n = strlen(kind);
    const char *first = NULL;
    for (size_t i = 0; i < c->n_cdi_devices; i++) {
        const char *d = c->cdi_devices[i];
        if (strncmp(d, kind, n) || d[n] != '=')
            continue;
        if (!strcmp(d + n + 1, "all"))
            return d;
        if (!first)
            first = d;
    }
    return first;
}

bool facts_has_cdi_kind(const struct facts_containers *c, const char *kind)
{
    return facts_cdi_device_for(c, kind) != NULL;
}

const char *facts_param(const struct facts_kernel *k, const char *key)
{
    for (size_t i = 0; i < k->n_params; i++)
        if (param_key_eq(key, strlen(key), k->params[i].key))
            return k->params[i].value;
    return NULL;
}

const char *facts_env(const struct facts *f, const char *name)
{
    for (size_t i = 0; i < facts_env_count; i++)
        if (!strcmp(facts_env_names[i], name))
            return f->env_values ? f->env_values[i] : NULL;
    return NULL;
}
