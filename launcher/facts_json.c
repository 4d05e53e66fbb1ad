/* halobox.facts/1 <-> struct facts. Key order follows DESIGN.md so that a
 * person reading `inspect --json` finds things where the schema shows them. */
#include "util/common.h"

#include <cjson/cJSON.h>

#include "facts.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/text.h"

static void add_os(cJSON *root, const struct facts_os *os)
{
    cJSON *o = cJSON_AddObjectToObject(root, "os");
    json_add_str(o, "id", os->id);
    json_add_str(o, "version_id", os->version_id);
    json_add_str(o, "pretty_name", os->pretty_name);
    json_add_str(o, "id_like", os->id_like);
    json_add_tri(o, "image_based", os->image_based);
}

static void add_kernel(cJSON *root, const struct facts_kernel *k)
{
    cJSON *o = cJSON_AddObjectToObject(root, "kernel");
    json_add_str(o, "release", k->release);
    json_add_str(o, "cmdline", k->cmdline);
    if (k->params_known) {
        cJSON *p = cJSON_AddObjectToObject(o, "params");
        for (size_t i = 0; i < k->n_params; i++)
            cJSON_AddStringToObject(p, k->params[i].key, k->params[i].value);
    } else {
        cJSON_AddNullToObject(o, "params");
    }
    json_add_u64(o, "ttm_pages_limit", k->ttm_pages_limit);
    json_add_str(o, "ttm_module", k->ttm_module);
}

static void add_memory(cJSON *root, const struct facts_memory *m)
{
    cJSON *o = cJSON_AddObjectToObject(root, "memory");
    json_add_u64(o, "total_bytes", m->total_bytes);
    json_add_u64(o, "page_size", m->page_size);
    json_add_u64(o, "available_bytes", m->available_bytes);
}

static void add_gpu(cJSON *arr, const struct facts_gpu *g)
{
    cJSON *o = cJSON_CreateObject();
    json_add_str(o, "pci_slot", g->pci_slot);
    json_add_hex(o, "vendor_id", g->vendor_id);
    json_add_hex(o, "device_id", g->device_id);
    json_add_str(o, "driver", g->driver);
    json_add_str(o, "gfx", g->gfx);
    json_add_str(o, "family", g->family);
    json_add_tri(o, "integrated", g->integrated);
    json_add_u64(o, "vram_bytes", g->vram_bytes);
    json_add_u64(o, "vis_vram_bytes", g->vis_vram_bytes);
    json_add_u64(o, "gtt_bytes", g->gtt_bytes);
    json_add_str(o, "render_node", g->render_node);
    json_add_tri(o, "render_access", g->render_access);
    json_add_str(o, "card", g->card);
    json_add_u64(o, "gfx_target_version", g->gfx_target_version);
    json_add_u64(o, "simd_count", g->simd_count);
    json_add_tri(o, "board_info", g->board_info);
    json_add_str(o, "vram_vendor", g->vram_vendor);
    cJSON_AddItemToArray(arr, o);
}

static void add_vulkan(cJSON *root, const struct facts_vulkan *vk)
{
    cJSON *o = cJSON_AddObjectToObject(root, "vulkan");
    json_add_str(o, "loader", vk->loader);
    if (!vk->devices_known) {
        cJSON_AddNullToObject(o, "devices");
    } else {
        cJSON *arr = cJSON_AddArrayToObject(o, "devices");
        for (size_t i = 0; i < vk->n_devices; i++) {
            const struct facts_vulkan_device *d = &vk->devices[i];
            cJSON *dev = cJSON_CreateObject();
            json_add_str(dev, "name", d->name);
            json_add_hex(dev, "vendor_id", d->vendor_id);
            json_add_hex(dev, "device_id", d->device_id);
            json_add_str(dev, "type", d->type);
            json_add_str(dev, "driver", d->driver);
            json_add_str(dev, "driver_info", d->driver_info);
            json_add_str(dev, "api_version", d->api_version);
            json_add_u64(dev, "device_local_bytes", d->device_local_bytes);
            json_add_u64(dev, "max_allocation_bytes", d->max_allocation_bytes);
            cJSON_AddItemToArray(arr, dev);
        }
    }
    json_add_str(o, "error", vk->error);
}

static void add_rocm(cJSON *root, const struct facts_rocm *r)
{
    cJSON *o = cJSON_AddObjectToObject(root, "rocm");
    cJSON *kfd = cJSON_AddObjectToObject(o, "kfd");
    json_add_tri(kfd, "present", r->kfd_present);
    json_add_tri(kfd, "access", r->kfd_access);
    cJSON *rt = cJSON_AddObjectToObject(o, "runtime");
    json_add_str(rt, "version", r->runtime_version);
    json_add_str(rt, "path", r->runtime_path);
    json_add_str(rt, "error", r->runtime_error);
    if (!r->devices_known) {
        cJSON_AddNullToObject(o, "devices");
        return;
    }
    cJSON *arr = cJSON_AddArrayToObject(o, "devices");
    for (size_t i = 0; i < r->n_devices; i++) {
        cJSON *dev = cJSON_CreateObject();
        json_add_str(dev, "gfx", r->devices[i].gfx);
        json_add_str(dev, "name", r->devices[i].name);
        json_add_u64(dev, "total_bytes", r->devices[i].total_bytes);
        json_add_tri(dev, "integrated", r->devices[i].integrated);
        cJSON_AddItemToArray(arr, dev);
    }
}

/* A list of strings, or null when it is not known. */
static void add_str_list(cJSON *o, const char *key, bool known, char *const *v, size_t n)
{
    if (!known) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    cJSON *arr = cJSON_AddArrayToObject(o, key);
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(v[i]));
}

static void add_user(cJSON *root, const struct facts_user *u)
{
    cJSON *o = cJSON_AddObjectToObject(root, "user");
    json_add_u64(o, "uid", u->uid);
    add_str_list(o, "groups", u->groups_known, u->groups, u->n_groups);
    json_add_str(o, "name", u->name);
}

static void add_containers(cJSON *root, const struct facts_containers *c)
{
    cJSON *o = cJSON_AddObjectToObject(root, "containers");
    if (c->podman_found == TRI_UNKNOWN) {
        cJSON_AddNullToObject(o, "podman");
    } else {
        cJSON *p = cJSON_AddObjectToObject(o, "podman");
        json_add_str(p, "path", c->podman_path);
        json_add_str(p, "version", c->podman_version);
        json_add_tri(p, "found", c->podman_found);
    }
    json_add_str(o, "selinux", c->selinux);
    json_add_tri(o, "inside_container", c->inside_container);
    json_add_str(o, "container_kind", c->container_kind);
    json_add_tri(o, "rootless", c->rootless);
    json_add_str(o, "oci_runtime", c->oci_runtime);
    add_str_list(o, "cdi_devices", c->cdi_devices_known, c->cdi_devices, c->n_cdi_devices);
}

cJSON *facts_to_json(const struct facts *f)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", FACTS_SCHEMA);
    add_os(root, &f->os);
    add_kernel(root, &f->kernel);
    add_memory(root, &f->memory);
    if (f->gpus_known) {
        cJSON *arr = cJSON_AddArrayToObject(root, "gpus");
        for (size_t i = 0; i < f->n_gpus; i++)
            add_gpu(arr, &f->gpus[i]);
    } else {
        cJSON_AddNullToObject(root, "gpus");
    }
    add_vulkan(root, &f->vulkan);
    add_rocm(root, &f->rocm);
    add_user(root, &f->user);
    add_containers(root, &f->containers);
    cJSON *fw = cJSON_AddObjectToObject(root, "firmware");
    json_add_str(fw, "linux_firmware", f->firmware.linux_firmware);
    json_add_str(fw, "package", f->firmware.package);
    cJSON *env = cJSON_AddObjectToObject(root, "env");
    for (size_t i = 0; i < facts_env_count; i++)
        json_add_str(env, facts_env_names[i], f->env_values[i]);
    return root;
}

/* ---- reading ---------------------------------------------------------- */

#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((x) < 0)                                                                               \
            return -1;                                                                             \
    } while (0)

static const cJSON *section(const struct json_reader *r, const cJSON *root, const char *key,
                            bool *bad)
{
    return json_get_object(r, root, key, bad);
}

static int read_os(const struct json_reader *top, const cJSON *root, struct facts_os *os)
{
    bool bad;
    const cJSON *o = section(top, root, "os", &bad);
    if (bad)
        return -1;
    if (!o)
        return 0;
    struct json_reader r = {top->origin, "os", top->err};
    TRY(json_get_str(&r, o, "id", &os->id));
    TRY(json_get_str(&r, o, "id_like", &os->id_like));
    TRY(json_get_str(&r, o, "version_id", &os->version_id));
    TRY(json_get_str(&r, o, "pretty_name", &os->pretty_name));
    TRY(json_get_tri(&r, o, "image_based", &os->image_based));
    return 0;
}

static int read_kernel(const struct json_reader *top, const cJSON *root, struct facts_kernel *k)
{
    bool bad;
    const cJSON *o = section(top, root, "kernel", &bad);
    if (bad)
        return -1;
    if (!o)
        return 0;
    struct json_reader r = {top->origin, "kernel", top->err};
    TRY(json_get_str(&r, o, "release", &k->release));
    TRY(json_get_str(&r, o, "cmdline", &k->cmdline));
    TRY(json_get_u64(&r, o, "ttm_pages_limit", &k->ttm_pages_limit));
    TRY(json_get_str(&r, o, "ttm_module", &k->ttm_module));
    const cJSON *params = json_get_object(&r, o, "params", &bad);
    if (bad)
        return -1;
    if (params) {
        k->params_known = true;
        const cJSON *p;
        cJSON_ArrayForEach(p, params)
        {
            const char *value;
            if (!utf8_valid(p->string, strlen(p->string)))
                return hb_error_set(top->err, EXIT_INPUT,
                                    "%s: kernel.params: a key is not UTF-8 text", top->origin);
            if (cJSON_IsString(p) && p->valuestring &&
                utf8_valid(p->valuestring, strlen(p->valuestring)))
                value = p->valuestring;
            else if (cJSON_IsNull(p) || cJSON_IsTrue(p))
                value = ""; /* a bare flag written as null or true */
            else
                return hb_error_set(top->err, EXIT_INPUT, "%s: kernel.params.%s: expected a string",
                                    top->origin, p->string ? p->string : "?");
            facts_add_param(k, p->string, strlen(p->string), value, strlen(value));
        }
    }
    return 0;
}

static int read_memory(const struct json_reader *top, const cJSON *root, struct facts_memory *m)
{
    bool bad;
    const cJSON *o = section(top, root, "memory", &bad);
    if (bad)
        return -1;
    if (!o)
        return 0;
    struct json_reader r = {top->origin, "memory", top->err};
    TRY(json_get_u64(&r, o, "total_bytes", &m->total_bytes));
    TRY(json_get_u64(&r, o, "available_bytes", &m->available_bytes));
    TRY(json_get_u64(&r, o, "page_size", &m->page_size));
    return 0;
}

/* Every element of a list must be an object: say which one is not. */
static int element_error(const struct json_reader *top, const char *list, int index)
{
    return hb_error_set(top->err, EXIT_INPUT, "%s: %s[%d]: expected an object", top->origin, list,
                        index);
}

static int read_gpus(const struct json_reader *top, const cJSON *root, struct facts *f)
{
    bool bad;
    const cJSON *arr = json_get_array(top, root, "gpus", &bad);
    if (bad)
        return -1;
    if (!arr)
        return 0;
    f->gpus_known = true;
    int i = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        if (!cJSON_IsObject(o))
            return element_error(top, "gpus", i);
        char path[32];
        snprintf(path, sizeof(path), "gpus[%d]", i++);
        struct json_reader r = {top->origin, path, top->err};
        struct facts_gpu *g = facts_add_gpu(f);
        TRY(json_get_str(&r, o, "pci_slot", &g->pci_slot));
        TRY(json_get_hex(&r, o, "vendor_id", &g->vendor_id));
        TRY(json_get_hex(&r, o, "device_id", &g->device_id));
        TRY(json_get_str(&r, o, "driver", &g->driver));
        TRY(json_get_str(&r, o, "gfx", &g->gfx));
        TRY(json_get_str(&r, o, "family", &g->family));
        TRY(json_get_tri(&r, o, "integrated", &g->integrated));
        TRY(json_get_u64(&r, o, "vram_bytes", &g->vram_bytes));
        TRY(json_get_u64(&r, o, "vis_vram_bytes", &g->vis_vram_bytes));
        TRY(json_get_u64(&r, o, "gtt_bytes", &g->gtt_bytes));
        TRY(json_get_str(&r, o, "render_node", &g->render_node));
        TRY(json_get_tri(&r, o, "render_access", &g->render_access));
        TRY(json_get_str(&r, o, "card", &g->card));
        TRY(json_get_u64(&r, o, "gfx_target_version", &g->gfx_target_version));
        TRY(json_get_u64(&r, o, "simd_count", &g->simd_count));
        TRY(json_get_tri(&r, o, "board_info", &g->board_info));
        TRY(json_get_str(&r, o, "vram_vendor", &g->vram_vendor));
    }
    return 0;
}

static int read_vulkan(const struct json_reader *top, const cJSON *root, struct facts_vulkan *vk)
{
    bool bad;
    const cJSON *o = section(top, root, "vulkan", &bad);
    if (bad)
        return -1;
    if (!o)
        return 0;
    struct json_reader r = {top->origin, "vulkan", top->err};
    TRY(json_get_str(&r, o, "loader", &vk->loader));
    TRY(json_get_str(&r, o, "error", &vk->error));
    const cJSON *arr = json_get_array(&r, o, "devices", &bad);
    if (bad)
        return -1;
    if (!arr)
        return 0;
    vk->devices_known = true;
    int i = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, arr)
    {
        if (!cJSON_IsObject(d))
            return element_error(top, "vulkan.devices", i);
        char path[40];
        snprintf(path, sizeof(path), "vulkan.devices[%d]", i++);
        struct json_reader dr = {top->origin, path, top->err};
        struct facts_vulkan_device *dev = facts_add_vulkan_device(vk);
        TRY(json_get_str(&dr, d, "name", &dev->name));
        TRY(json_get_hex(&dr, d, "vendor_id", &dev->vendor_id));
        TRY(json_get_hex(&dr, d, "device_id", &dev->device_id));
        TRY(json_get_str(&dr, d, "type", &dev->type));
        TRY(json_get_str(&dr, d, "driver", &dev->driver));
        TRY(json_get_str(&dr, d, "driver_info", &dev->driver_info));
        TRY(json_get_str(&dr, d, "api_version", &dev->api_version));
        TRY(json_get_u64(&dr, d, "device_local_bytes", &dev->device_local_bytes));
        TRY(json_get_u64(&dr, d, "max_allocation_bytes", &dev->max_allocation_bytes));
    }
    return 0;
}

static int read_rocm(const struct json_reader *top, const cJSON *root, struct facts_rocm *rocm)
{
    bool bad;
    const cJSON *o = section(top, root, "rocm", &bad);
    if (bad)
        return -1;
    if (!o)
        return 0;
    struct json_reader r = {top->origin, "rocm", top->err};
    const cJSON *kfd = json_get_object(&r, o, "kfd", &bad);
    if (bad)
        return -1;
    if (kfd) {
        struct json_reader kr = {top->origin, "rocm.kfd", top->err};
        TRY(json_get_tri(&kr, kfd, "present", &rocm->kfd_present));
        TRY(json_get_tri(&kr, kfd, "access", &rocm->kfd_access));
    }
    const cJSON *rt = json_get_object(&r, o, "runtime", &bad);
    if (bad)
        return -1;
    if (rt) {
        struct json_reader rr = {top->origin, "rocm.runtime", top->err};
        TRY(json_get_str(&rr, rt, "version", &rocm->runtime_version));
        TRY(json_get_str(&rr, rt, "path", &rocm->runtime_path));
        TRY(json_get_str(&rr, rt, "error", &rocm->runtime_error));
    }
    const cJSON *arr = json_get_array(&r, o, "devices", &bad);
    if (bad)
        return -1;
    if (!arr)
        return 0;
    rocm->devices_known = true;
    int i = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, arr)
    {
        if (!cJSON_IsObject(d))
            return element_error(top, "rocm.devices", i);
        char path[40];
        snprintf(path, sizeof(path), "rocm.devices[%d]", i++);
        struct json_reader dr = {top->origin, path, top->err};
        struct facts_rocm_device *dev = facts_add_rocm_device(rocm);
        TRY(json_get_str(&dr, d, "gfx", &dev->gfx));
        TRY(json_get_str(&dr, d, "name", &dev->name));
        TRY(json_get_u64(&dr, d, "total_bytes", &dev->total_bytes));
        TRY(json_get_tri(&dr, d, "integrated", &dev->integrated));
    }
    return 0;
}

/* A list of strings (r names its section): missing or null leaves it
 * unknown; anything but text in it is an error naming the element. */
static int read_str_list(const struct json_reader *r, const cJSON *o, const char *key, bool *known,
                         char ***v, size_t *n)
{
    bool bad;
    const cJSON *arr = json_get_array(r, o, key, &bad);
    if (bad)
        return -1;
    if (!arr)
        return 0;
    *known = true;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (!cJSON_IsString(e) || !e->valuestring ||
            !utf8_valid(e->valuestring, strlen(e->valuestring)))
            return hb_error_set(r->err, EXIT_INPUT, "%s: %s.%s[%d]: expected a string", r->origin,
                                r->path, key, i);
        facts_strv_add(v, n, e->valuestring);
        i++;
    }
    return 0;
}

static int read_user(const struct json_reader *top, const cJSON *root, struct facts_user *u)
{
    bool bad;
    const cJSON *o = section(top, root, "user", &bad);
    if (bad)
        return -1;
    if (!o)
        return 0;
    struct json_reader r = {top->origin, "user", top->err};
    TRY(json_get_u64(&r, o, "uid", &u->uid));
    TRY(json_get_str(&r, o, "name", &u->name));
    return read_str_list(&r, o, "groups", &u->groups_known, &u->groups, &u->n_groups);
}

static int read_containers(const struct json_reader *top, const cJSON *root,
                           struct facts_containers *c)
{
    bool bad;
    const cJSON *o = section(top, root, "containers", &bad);
    if (bad)
        return -1;
    if (!o)
        return 0;
    struct json_reader r = {top->origin, "containers", top->err};
    TRY(json_get_str(&r, o, "selinux", &c->selinux));
    TRY(json_get_tri(&r, o, "inside_container", &c->inside_container));
    TRY(json_get_str(&r, o, "container_kind", &c->container_kind));
    TRY(json_get_tri(&r, o, "rootless", &c->rootless));
    TRY(json_get_str(&r, o, "oci_runtime", &c->oci_runtime));
    const cJSON *p = json_get_object(&r, o, "podman", &bad);
    if (bad)
        return -1;
    if (p) {
        struct json_reader pr = {top->origin, "containers.podman", top->err};
        TRY(json_get_str(&pr, p, "path", &c->podman_path));
        TRY(json_get_str(&pr, p, "version", &c->podman_version));
        TRY(json_get_tri(&pr, p, "found", &c->podman_found));
        /* Older reports have no "found": a path means podman was there. */
        if (c->podman_found == TRI_UNKNOWN && c->podman_path)
            c->podman_found = TRI_YES;
    }
    /* Reports from before the CDI probe have no cdi_devices: unknown. */
    return read_str_list(&r, o, "cdi_devices", &c->cdi_devices_known, &c->cdi_devices,
                         &c->n_cdi_devices);
}

static int read_firmware_env(const struct json_reader *top, const cJSON *root, struct facts *f)
{
    bool bad;
    const cJSON *fw = section(top, root, "firmware", &bad);
    if (bad)
        return -1;
    if (fw) {
        struct json_reader r = {top->origin, "firmware", top->err};
        TRY(json_get_str(&r, fw, "linux_firmware", &f->firmware.linux_firmware));
        TRY(json_get_str(&r, fw, "package", &f->firmware.package));
    }
    const cJSON *env = section(top, root, "env", &bad);
    if (bad)
        return -1;
    if (env) {
        struct json_reader r = {top->origin, "env", top->err};
        for (size_t i = 0; i < facts_env_count; i++)
            TRY(json_get_str(&r, env, facts_env_names[i], &f->env_values[i]));
    }
    return 0;
}

int facts_from_json(struct facts *f, const cJSON *root, const char *origin, struct hb_error *err)
{
    if (!cJSON_IsObject(root))
        return hb_error_set(err, EXIT_INPUT, "%s: expected a JSON object", origin);
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
    if (schema && !cJSON_IsNull(schema) &&
        !(cJSON_IsString(schema) && !strcmp(schema->valuestring, FACTS_SCHEMA)))
        return hb_error_set(err, EXIT_INPUT, "%s: schema: expected \"%s\"", origin, FACTS_SCHEMA);
    struct json_reader r = {origin, "", err};
    TRY(read_os(&r, root, &f->os));
    TRY(read_kernel(&r, root, &f->kernel));
    TRY(read_memory(&r, root, &f->memory));
    TRY(read_gpus(&r, root, f));
    TRY(read_vulkan(&r, root, &f->vulkan));
    TRY(read_rocm(&r, root, &f->rocm));
    TRY(read_user(&r, root, &f->user));
    TRY(read_containers(&r, root, &f->containers));
    TRY(read_firmware_env(&r, root, f));
    return 0;
}
