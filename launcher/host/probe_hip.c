/* HIP: which ROCm runtime (libamdhip64) this host would give a native
 * engine, and which devices it sees. Like the Vulkan probe it runs in a
 * child (probe_child.c): HSA initialisation can hang on a wedged GPU or
 * crash on an unsupported one, and that must not take the launcher down.
 *
 * The child writes one JSON object per line: {"runtime_path": ...,
 * "runtime_version": ...} as soon as the library is loaded, then the final
 * record {"devices_known": ..., "runtime_error": ..., "devices": [...]}. A runtime that crashes in
 * hipGetDeviceCount still leaves its path and version behind. */
#include "util/common.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <unistd.h>

#include "host/probe.h"
#include "util/json.h"
#include "util/strbuf.h"

#define HIP_MAX_DEVICES 64

/* The HIP ABI we need, declared here so that no ROCm headers are needed to
 * build. hipError_t is an enum (an int; 0 is hipSuccess) and hipDevice_t an
 * int. */
typedef int hip_error;
typedef int (*hip_runtime_get_version_fn)(int *version);
typedef int (*hip_get_device_count_fn)(int *count);
typedef int (*hip_device_get_fn)(int *device, int ordinal);
typedef int (*hip_device_get_name_fn)(char *name, int len, int device);
typedef int (*hip_device_total_mem_fn)(size_t *bytes, int device);
typedef int (*hip_get_device_properties_fn)(void *props, int device);

/* The two layouts of hipDeviceProp_t in use, with only the members we read
 * and the rest as padding. The offsets were measured by compiling against
 * the real headers (offsetof), x86_64:
 *
 * - hip_props_r0600: struct hipDeviceProp_tR0600, filled by
 *   hipGetDevicePropertiesR0600, which ROCm 6.0 and later export (the
 *   header maps hipGetDeviceProperties to it with a macro). Source:
 *   include/hip/hip_runtime_api.h of ROCm 6.4.3 (Debian libamdhip64-dev
 *   6.4.3-5); the member list is unchanged in ROCm/rocm-systems
 *   projects/hip/include/hip/hip_runtime_api.h (ROCm 7 development).
 *   totalGlobalMem 288, integrated 396, gcnArchName 1160, size 1472.
 *
 * - hip_props_r0000: the ROCm 5 hipDeviceProp_t, filled by the exported
 *   symbol hipGetDeviceProperties in ROCm 5 and kept under that symbol as
 *   hipDeviceProp_tR0000 in ROCm 6 (include/hip/hip_deprecated.h). Source:
 *   include/hip/hip_runtime_api.h of ROCm 5.2.3 (Debian libamdhip64-dev
 *   5.2.3-8), and hip_deprecated.h of 6.4.3 gives the same offsets.
 *   totalGlobalMem 256, gcnArchName 396, integrated 652, size 792.
 *
 * Calling the unversioned symbol with the R0600 layout (or the reverse)
 * reads every field at the wrong place, so the symbol picks the layout. */
#if UINTPTR_MAX == UINT64_MAX && SIZE_MAX == UINT64_MAX
#define HIP_HAVE_LAYOUTS 1

struct hip_props_r0600 {
    char name[256];
    char pad0[32]; /* uuid, luid, luidDeviceNodeMask */
    size_t totalGlobalMem;
    char pad1[100];
    int integrated;
    char pad2[760];
    char gcnArchName[256];
    char pad3[56];
};
_Static_assert(offsetof(struct hip_props_r0600, totalGlobalMem) == 288, "R0600 layout");
_Static_assert(offsetof(struct hip_props_r0600, integrated) == 396, "R0600 layout");
_Static_assert(offsetof(struct hip_props_r0600, gcnArchName) == 1160, "R0600 layout");
_Static_assert(sizeof(struct hip_props_r0600) == 1472, "R0600 layout");

struct hip_props_r0000 {
    char name[256];
    size_t totalGlobalMem;
    char pad0[132];
    char gcnArchName[256];
    int integrated;
    char pad1[136];
};
_Static_assert(offsetof(struct hip_props_r0000, totalGlobalMem) == 256, "R0000 layout");
_Static_assert(offsetof(struct hip_props_r0000, gcnArchName) == 396, "R0000 layout");
_Static_assert(offsetof(struct hip_props_r0000, integrated) == 652, "R0000 layout");
_Static_assert(sizeof(struct hip_props_r0000) == 792, "R0000 layout");

/* Room to spare in case a runtime writes more than the layout it claims. */
union hip_props {
    struct hip_props_r0600 r0600;
    struct hip_props_r0000 r0000;
    char slack[8192];
};
#endif

struct hip_api {
    hip_runtime_get_version_fn RuntimeGetVersion;
    hip_get_device_count_fn GetDeviceCount;
    hip_device_get_fn DeviceGet;
    hip_device_get_name_fn DeviceGetName;
    hip_device_total_mem_fn DeviceTotalMem;
    hip_get_device_properties_fn GetDevicePropertiesR0600;
    hip_get_device_properties_fn GetDeviceProperties; /* R0000 layout */
};

/* libamdhip64: where ROCm installs it first (the user's ROCM_PATH, then
 * the default prefix), then the sonames newest first, then the unversioned
 * development link. */
static const char *const hip_sonames[] = {
    "/opt/rocm/lib/libamdhip64.so",
    "libamdhip64.so.7",
    "libamdhip64.so.6",
    "libamdhip64.so.5",
    "libamdhip64.so",
};

struct hip_sym {
    const char *name;
    size_t offset;
    bool required;
};

#define HIP_SYM(field, required)                                                                   \
    {                                                                                              \
        "hip" #field, offsetof(struct hip_api, field), required                                    \
    }

static const struct hip_sym hip_syms[] = {
    HIP_SYM(RuntimeGetVersion, true),
    HIP_SYM(GetDeviceCount, true),
    /* each value these give is also in the properties, or stays unknown */
    HIP_SYM(DeviceGet, false),
    HIP_SYM(DeviceGetName, false),
    HIP_SYM(DeviceTotalMem, false),
    /* ROCm 6+; the unversioned symbol has the ROCm 5 layout */
    HIP_SYM(GetDevicePropertiesR0600, false),
    HIP_SYM(GetDeviceProperties, false),
};

static void *hip_try(const char *name, struct strbuf *err)
{
    void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (lib)
        return lib;
    const char *e = dlerror();
    /* Report the first library that exists but will not load (a missing
     * dependency, the wrong architecture): that is what the user must fix. */
    if (e && !probe_dl_not_found(name, e) && !err->len)
        strbuf_addf(err, "cannot load %s: %s", name, e);
    return NULL;
}

/* Returns the handle and the path it was loaded from, or NULL with err. */
static void *hip_load(struct strbuf *path, struct strbuf *err)
{
    void *lib = NULL;
    const char *rocm = getenv("ROCM_PATH");
    if (rocm && *rocm) {
        strbuf_addstr(path, rocm);
        strbuf_addstr(path, "/lib/libamdhip64.so");
        lib = hip_try(path->buf, err);
        if (!lib)
            strbuf_reset(path);
    }
    for (size_t i = 0; i < ARRAY_SIZE(hip_sonames) && !lib; i++) {
        lib = hip_try(hip_sonames[i], err);
        if (lib)
            strbuf_addstr(path, hip_sonames[i]);
    }
    if (!lib) {
        if (!err->len)
            strbuf_addstr(err, "libamdhip64 not found");
        return NULL;
    }
    strbuf_reset(err);
    /* A soname was found through the search path: record the file. */
    struct link_map *lm = NULL;
    if (dlinfo(lib, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && *lm->l_name) {
        strbuf_reset(path);
        strbuf_addstr(path, lm->l_name);
    }
    return lib;
}

static int hip_resolve(void *lib, const char *path, struct hip_api *api, struct strbuf *err)
{
    for (size_t i = 0; i < ARRAY_SIZE(hip_syms); i++) {
        dlerror();
        void *p = dlsym(lib, hip_syms[i].name);
        const char *e = dlerror();
        if (!p && hip_syms[i].required) {
            strbuf_addf(err, "%s: missing %s: %s", path, hip_syms[i].name, e ? e : "null symbol");
            return -1;
        }
        memcpy((char *)api + hip_syms[i].offset, &p, sizeof(p));
    }
    return 0;
}

/* hipError_t values, the same in the ROCm 5.2, 6.4 and 7 headers. */
static const char *hip_error_name(hip_error e)
{
    switch (e) {
    case 3:
        return "not initialized";
    case 35:
        return "insufficient driver";
    case 100:
        return "no device";
    case 101:
        return "invalid device";
    case 999:
        return "unknown error";
    default:
        return NULL;
    }
}

/* "gfx1151:sramecc-:xnack-" -> "gfx1151"; NULL unless it looks like a gfx
 * target, so a misread layout gives unknown rather than garbage. */
static char *gfx_from_arch_name(const char *arch, size_t size)
{
    size_t n = strnlen(arch, size);
    if (n == size)
        return NULL;
    size_t len = strcspn(arch, ":");
    if (len < 4 || len > 16 || strncmp(arch, "gfx", 3))
        return NULL;
    for (size_t i = 3; i < len; i++) {
        char ch = arch[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return NULL;
    }
    return xstrndup(arch, len);
}

static cJSON *hip_describe_device(const struct hip_api *api, int ordinal, int runtime_major)
{
    int dev = ordinal;
    if (api->DeviceGet && api->DeviceGet(&dev, ordinal) != 0)
        dev = ordinal;

    char *name = NULL, *gfx = NULL;
    opt_u64 total = {0};
    tri integrated = TRI_UNKNOWN;
    char buf[256];
    memset(buf, 0, sizeof(buf));
    if (api->DeviceGetName && api->DeviceGetName(buf, (int)sizeof(buf) - 1, dev) == 0)
        name = xstrndup(buf, strnlen(buf, sizeof(buf)));
    size_t bytes = 0;
    if (api->DeviceTotalMem && api->DeviceTotalMem(&bytes, dev) == 0)
        total = OPT_U64(bytes);

#ifdef HIP_HAVE_LAYOUTS
    union hip_props *props = xcalloc(1, sizeof(*props));
    if (api->GetDevicePropertiesR0600) {
        if (api->GetDevicePropertiesR0600(props, dev) == 0) {
            const struct hip_props_r0600 *p = &props->r0600;
            gfx = gfx_from_arch_name(p->gcnArchName, sizeof(p->gcnArchName));
            integrated = tri_from_bool(p->integrated != 0);
            if (!name)
                name = xstrndup(p->name, strnlen(p->name, sizeof(p->name)));
            if (!total.known)
                total = OPT_U64(p->totalGlobalMem);
        }
    } else if (api->GetDeviceProperties && runtime_major == 5) {
        /* Only ROCm 5 is known to have this layout without also exporting
         * the R0600 symbol; older runtimes stay unknown. */
        if (api->GetDeviceProperties(props, dev) == 0) {
            const struct hip_props_r0000 *p = &props->r0000;
            gfx = gfx_from_arch_name(p->gcnArchName, sizeof(p->gcnArchName));
            integrated = tri_from_bool(p->integrated != 0);
            if (!name)
                name = xstrndup(p->name, strnlen(p->name, sizeof(p->name)));
            if (!total.known)
                total = OPT_U64(p->totalGlobalMem);
        }
    }
    free(props);
#else
    (void)runtime_major;
#endif

    cJSON *d = cJSON_CreateObject();
    json_add_str(d, "name", name && *name ? name : NULL);
    json_add_str(d, "gfx", gfx);
    json_add_u64(d, "total_bytes", total);
    json_add_tri(d, "integrated", integrated);
    free(name);
    free(gfx);
    return d;
}

static void emit_final(int fd, bool devices_known, const char *error, cJSON *devices)
{
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddBoolToObject(rec, "devices_known", devices_known);
    json_add_str(rec, "runtime_error", error);
    cJSON_AddItemToObject(rec, "devices", devices ? devices : cJSON_CreateArray());
    probe_child_emit(fd, rec);
}

static void hip_child(int fd)
{
    /* Nothing is freed on the way out: the child ends with _exit. */
    struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
    void *lib = hip_load(&path, &err);
    if (!lib) {
        /* Without a runtime there is no telling which devices it would see. */
        emit_final(fd, false, err.buf, NULL);
        return;
    }
    struct hip_api api;
    memset(&api, 0, sizeof(api));
    if (hip_resolve(lib, path.buf, &api, &err) < 0) {
        cJSON *rec = cJSON_CreateObject();
        json_add_str(rec, "runtime_path", path.buf);
        probe_child_emit(fd, rec);
        emit_final(fd, false, err.buf, NULL);
        return;
    }

    int v = 0, major = -1;
    struct strbuf version = STRBUF_INIT;
    if (api.RuntimeGetVersion(&v) == 0 && v > 0) {
        /* HIP_VERSION = major * 10000000 + minor * 100000 + patch */
        major = v / 10000000;
        strbuf_addf(&version, "%d.%d.%d", major, v / 100000 % 100, v % 100000);
    }
    cJSON *rec = cJSON_CreateObject();
    json_add_str(rec, "runtime_path", path.buf);
    json_add_str(rec, "runtime_version", version.len ? version.buf : NULL);
    probe_child_emit(fd, rec);

    int count = 0;
    hip_error e = api.GetDeviceCount(&count);
    if (e != 0) {
        const char *name = hip_error_name(e);
        strbuf_addf(&err, "hipGetDeviceCount returned %d", e);
        if (name)
            strbuf_addf(&err, " (%s)", name);
        /* The runtime answers an error with a count of 0 when it sees no
         * GPU (hipErrorNoDevice, or no KFD): no device is then the fact. */
        emit_final(fd, count == 0, err.buf, NULL);
        return;
    }
    if (count < 0)
        count = 0;
    if (count > HIP_MAX_DEVICES)
        count = HIP_MAX_DEVICES;
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; i < count; i++)
        cJSON_AddItemToArray(list, hip_describe_device(&api, i, major));
    emit_final(fd, true, NULL, list);
}

void probe_hip_start(struct probe_child *c)
{
    probe_child_start(c, "hip", hip_child);
}

static void rocm_devices_release(struct facts_rocm *r)
{
    for (size_t i = 0; i < r->n_devices; i++) {
        free(r->devices[i].gfx);
        free(r->devices[i].name);
    }
    free(r->devices);
    r->devices = NULL;
    r->n_devices = 0;
    r->devices_known = false;
}

/* What the child reported, before it is moved into the facts. */
struct hip_result {
    char *runtime_version;
    char *runtime_path;
    char *runtime_error;
    struct facts_rocm devices; /* only the device fields are used */
    bool final;
};

static void hip_result_release(struct hip_result *h)
{
    free(h->runtime_version);
    free(h->runtime_path);
    free(h->runtime_error);
    rocm_devices_release(&h->devices);
}

static int parse_device(struct facts_rocm *r, const cJSON *obj, size_t index, struct hb_error *err)
{
    char path[32];
    snprintf(path, sizeof(path), "devices[%zu]", index);
    struct json_reader jr = {.origin = "hip probe", .path = path, .err = err};
    if (!cJSON_IsObject(obj))
        return hb_error_set(err, EXIT_RUNTIME, "hip probe: %s: expected an object", path);
    struct facts_rocm_device *d = facts_add_rocm_device(r);
    if (json_get_str(&jr, obj, "name", &d->name) < 0 ||
        json_get_str(&jr, obj, "gfx", &d->gfx) < 0 ||
        json_get_u64(&jr, obj, "total_bytes", &d->total_bytes) < 0 ||
        json_get_tri(&jr, obj, "integrated", &d->integrated) < 0)
        return -1;
    return 0;
}

static int parse_record(struct hip_result *h, const cJSON *rec, struct hb_error *err)
{
    struct json_reader jr = {.origin = "hip probe", .path = "", .err = err};
    if (!cJSON_IsObject(rec))
        return hb_error_set(err, EXIT_RUNTIME, "hip probe: expected an object");
    if (json_get_str(&jr, rec, "runtime_path", &h->runtime_path) < 0 ||
        json_get_str(&jr, rec, "runtime_version", &h->runtime_version) < 0)
        return -1;
    const cJSON *known = cJSON_GetObjectItemCaseSensitive(rec, "devices_known");
    if (!known)
        return 0;
    if (!cJSON_IsBool(known))
        return hb_error_set(err, EXIT_RUNTIME, "hip probe: devices_known: expected a boolean");
    if (json_get_str(&jr, rec, "runtime_error", &h->runtime_error) < 0)
        return -1;
    bool bad;
    const cJSON *devices = json_get_array(&jr, rec, "devices", &bad);
    if (bad)
        return -1;
    size_t i = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, devices)
    {
        if (parse_device(&h->devices, d, i++, err) < 0)
            return -1;
    }
    h->devices.devices_known = cJSON_IsTrue(known);
    h->final = true;
    return 0;
}

/* A line cut short by a dying child is not a record. */
static int parse_output(struct hip_result *h, const struct strbuf *out, bool child_ok,
                        struct hb_error *err)
{
    const char *p = out->buf, *end = out->buf + out->len;
    while (p < end && !h->final) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl && !child_ok)
            break;
        const char *line_end = nl ? nl : end;
        cJSON *rec = cJSON_ParseWithLength(p, (size_t)(line_end - p));
        if (!rec)
            return hb_error_set(err, EXIT_RUNTIME, "hip probe: not json");
        int rc = parse_record(h, rec, err);
        cJSON_Delete(rec);
        if (rc < 0)
            return -1;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

bool probe_hip_apply(const struct strbuf *out, bool child_ok, const char *why,
                     struct facts_rocm *rocm)
{
    cleanup_error struct hb_error err = HB_ERROR_INIT;
    struct hip_result h;
    memset(&h, 0, sizeof(h));

    bool parsed = parse_output(&h, out, child_ok, &err) == 0;

    char *error = NULL;
    if (!child_ok) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "probe %s", why);
        error = strbuf_detach(&sb);
    } else if (!parsed) {
        error = xstrdup("probe returned malformed output");
    } else if (!h.final) {
        error = xstrdup("probe returned no result");
    }
    bool complete = !error;
    if (error) {
        /* The runtime's path and version, reported before it failed, still
         * hold; its devices are unknown. */
        if (!parsed) {
            free(h.runtime_path);
            free(h.runtime_version);
            h.runtime_path = h.runtime_version = NULL;
        }
        free(h.runtime_error);
        h.runtime_error = error;
        rocm_devices_release(&h.devices);
    }

    /* The KFD fields belong to probe_kfd: only the runtime's are replaced. */
    free(rocm->runtime_version);
    free(rocm->runtime_path);
    free(rocm->runtime_error);
    rocm_devices_release(rocm);
    rocm->runtime_version = h.runtime_version;
    rocm->runtime_path = h.runtime_path;
    rocm->runtime_error = h.runtime_error;
    rocm->devices = h.devices.devices;
    rocm->n_devices = h.devices.n_devices;
    rocm->devices_known = h.devices.devices_known;
    memset(&h, 0, sizeof(h));
    hip_result_release(&h);
    return complete;
}

bool probe_hip_finish(struct probe_child *c, struct facts_rocm *rocm, int timeout_ms,
                      struct strbuf *out)
{
    cleanup_strbuf struct strbuf why = STRBUF_INIT;
    bool child_ok = probe_child_finish(c, timeout_ms, out, &why) == 0;
    return probe_hip_apply(out, child_ok, why.buf, rocm);
}
