/* Vulkan: which devices the installed loader and ICDs offer, and through
 * which driver. The loader and every ICD it finds run in a child process
 * (probe_child.c): an ICD may hang on a wedged GPU, crash, or print, and
 * the launcher must survive all three. The parent never loads libvulkan.
 *
 * The child writes one JSON object per line: first {"loader": ...} as soon
 * as the loader answers, then the final record {"devices_known": ...,
 * "error": ..., "devices": [...]}. A child that dies in between still tells
 * the parent which loader it had. */
#include "util/common.h"

#include <dlfcn.h>
#include <errno.h>
#include <unistd.h>

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include "host/probe.h"
#include "util/json.h"
#include "util/strbuf.h"

/* Guards against an ICD that reports absurd numbers. */
#define VK_MAX_DEVICES 64

/* libvulkan: sonames newest first; the one symbol taken with dlsym. The
 * rest of the API comes through vkGetInstanceProcAddr, as the loader
 * intends (vk_global_syms, vk_instance_syms). */
static const char *const vk_sonames[] = {"libvulkan.so.1", "libvulkan.so"};

struct vk_api {
    PFN_vkGetInstanceProcAddr GetInstanceProcAddr;
    /* global: looked up with a NULL instance */
    PFN_vkEnumerateInstanceVersion EnumerateInstanceVersion;
    PFN_vkEnumerateInstanceExtensionProperties EnumerateInstanceExtensionProperties;
    PFN_vkCreateInstance CreateInstance;
    /* instance */
    PFN_vkEnumeratePhysicalDevices EnumeratePhysicalDevices;
    PFN_vkGetPhysicalDeviceProperties GetPhysicalDeviceProperties;
    PFN_vkGetPhysicalDeviceMemoryProperties GetPhysicalDeviceMemoryProperties;
    PFN_vkEnumerateDeviceExtensionProperties EnumerateDeviceExtensionProperties;
    PFN_vkGetPhysicalDeviceProperties2 GetPhysicalDeviceProperties2;
    PFN_vkGetPhysicalDeviceProperties2KHR GetPhysicalDeviceProperties2KHR;
};

struct vk_sym {
    const char *name;
    size_t offset;
    bool required;
};

#define VK_SYM(field, required)                                                                    \
    {                                                                                              \
        "vk" #field, offsetof(struct vk_api, field), required                                      \
    }

static const struct vk_sym vk_lib_syms[] = {
    VK_SYM(GetInstanceProcAddr, true),
};

static const struct vk_sym vk_global_syms[] = {
    /* absent from 1.0 loaders, which are then Vulkan 1.0 */
    VK_SYM(EnumerateInstanceVersion, false),
    VK_SYM(EnumerateInstanceExtensionProperties, false),
    VK_SYM(CreateInstance, true),
};

static const struct vk_sym vk_instance_syms[] = {
    VK_SYM(EnumeratePhysicalDevices, true),
    VK_SYM(GetPhysicalDeviceProperties, true),
    VK_SYM(GetPhysicalDeviceMemoryProperties, true),
    VK_SYM(EnumerateDeviceExtensionProperties, false),
    /* core 1.1, or VK_KHR_get_physical_device_properties2 on 1.0 */
    VK_SYM(GetPhysicalDeviceProperties2, false),
    VK_SYM(GetPhysicalDeviceProperties2KHR, false),
};

static void vk_set(struct vk_api *api, const struct vk_sym *s, PFN_vkVoidFunction fn)
{
    memcpy((char *)api + s->offset, &fn, sizeof(fn));
}

/* Fills the table through vkGetInstanceProcAddr; -1 with the missing
 * required symbol named in err. */
static int vk_resolve(struct vk_api *api, VkInstance instance, const struct vk_sym *syms, size_t n,
                      struct strbuf *err)
{
    for (size_t i = 0; i < n; i++) {
        PFN_vkVoidFunction fn = api->GetInstanceProcAddr(instance, syms[i].name);
        if (!fn && syms[i].required) {
            strbuf_addf(err, "vkGetInstanceProcAddr returned no %s", syms[i].name);
            return -1;
        }
        vk_set(api, &syms[i], fn);
    }
    return 0;
}

/* dlerror() says "NAME: cannot open shared object file" both when NAME is
 * missing and when one of its dependencies is; only the former (the message
 * names the file we asked for) means "not installed". */

/* Loads the loader and its one dlsym symbol. Returns the handle, or NULL
 * with err filled and *missing telling "not installed" from "broken". */
static void *vk_load(struct vk_api *api, struct strbuf *err, bool *missing)
{
    void *lib = NULL;
    const char *loaded = NULL;
    *missing = true;
    for (size_t i = 0; i < ARRAY_SIZE(vk_sonames); i++) {
        lib = dlopen(vk_sonames[i], RTLD_NOW | RTLD_LOCAL);
        if (lib) {
            loaded = vk_sonames[i];
            break;
        }
        const char *e = dlerror();
        if (e && !probe_dl_not_found(vk_sonames[i], e) && *missing) {
            *missing = false;
            strbuf_addf(err, "cannot load %s: %s", vk_sonames[i], e);
        }
    }
    if (!lib) {
        if (*missing)
            strbuf_addf(err, "%s not found", vk_sonames[0]);
        return NULL;
    }
    /* A later name loaded: an earlier one's failure is no longer news. */
    strbuf_reset(err);
    *missing = false;
    for (size_t i = 0; i < ARRAY_SIZE(vk_lib_syms); i++) {
        dlerror();
        void *p = dlsym(lib, vk_lib_syms[i].name);
        const char *e = dlerror();
        if (!p && vk_lib_syms[i].required) {
            strbuf_addf(err, "%s: missing %s: %s", loaded, vk_lib_syms[i].name,
                        e ? e : "null symbol");
            return NULL;
        }
        PFN_vkVoidFunction fn;
        memcpy(&fn, &p, sizeof(fn));
        vk_set(api, &vk_lib_syms[i], fn);
    }
    return lib;
}

#define VK_RESULT(r)                                                                               \
    {                                                                                              \
        r, #r                                                                                      \
    }

static const struct {
    VkResult result;
    const char *name;
} vk_results[] = {
    VK_RESULT(VK_INCOMPLETE),
    VK_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY),
    VK_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY),
    VK_RESULT(VK_ERROR_INITIALIZATION_FAILED),
    VK_RESULT(VK_ERROR_DEVICE_LOST),
    VK_RESULT(VK_ERROR_LAYER_NOT_PRESENT),
    VK_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT),
    VK_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER),
    VK_RESULT(VK_ERROR_UNKNOWN),
};

/* "VK_ERROR_INCOMPATIBLE_DRIVER (-9)": the name users search for, and the
 * number for codes we have no name for. */
static void add_vk_result(struct strbuf *sb, VkResult r)
{
    for (size_t i = 0; i < ARRAY_SIZE(vk_results); i++) {
        if (vk_results[i].result == r) {
            strbuf_addf(sb, "%s (%d)", vk_results[i].name, (int)r);
            return;
        }
    }
    strbuf_addf(sb, "VkResult %d", (int)r);
}

static void add_vk_version(struct strbuf *sb, uint32_t v)
{
    strbuf_addf(sb, "%u.%u.%u", VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v),
                VK_API_VERSION_PATCH(v));
}

static const char *vk_type_name(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
        return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
        return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
        return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
        return "cpu";
    default:
        return "other";
    }
}

static const char *vk_driver_name(VkDriverId id)
{
    switch (id) {
    case VK_DRIVER_ID_MESA_RADV:
        return "radv";
    case VK_DRIVER_ID_AMD_OPEN_SOURCE:
        return "amdvlk";
    case VK_DRIVER_ID_AMD_PROPRIETARY:
        return "amdgpu-pro";
    case VK_DRIVER_ID_NVIDIA_PROPRIETARY:
        return "nvidia";
    case VK_DRIVER_ID_INTEL_OPEN_SOURCE_MESA:
    case VK_DRIVER_ID_INTEL_PROPRIETARY_WINDOWS:
        return "intel";
    case VK_DRIVER_ID_MESA_LLVMPIPE:
        return "llvmpipe";
    default:
        return "other";
    }
}

/* For drivers too old to report VkPhysicalDeviceDriverProperties. Where
 * the vendor has more than one Linux driver we can only tell RADV, which
 * has always put its name in the device name; the rest stays unknown. */
static const char *vk_driver_from_vendor(uint32_t vendor, const char *name)
{
    switch (vendor) {
    case 0x1002:
        return strstr(name, "RADV") ? "radv" : NULL;
    case 0x10de:
        return "nvidia";
    case 0x8086:
        return "intel";
    case VK_VENDOR_ID_MESA:
        return strstr(name, "llvmpipe") ? "llvmpipe" : NULL;
    default:
        return NULL;
    }
}

static bool has_extension(const VkExtensionProperties *ext, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (!strncmp(ext[i].extensionName, name, sizeof(ext[i].extensionName)))
            return true;
    return false;
}

static bool instance_has_extension(const struct vk_api *api, const char *name)
{
    if (!api->EnumerateInstanceExtensionProperties)
        return false;
    uint32_t n = 0;
    if (api->EnumerateInstanceExtensionProperties(NULL, &n, NULL) != VK_SUCCESS || !n)
        return false;
    if (n > 4096)
        n = 4096;
    cleanup_free VkExtensionProperties *ext = xcalloc(n, sizeof(*ext));
    VkResult r = api->EnumerateInstanceExtensionProperties(NULL, &n, ext);
    return (r == VK_SUCCESS || r == VK_INCOMPLETE) && has_extension(ext, n, name);
}

static bool device_has_extension(const struct vk_api *api, VkPhysicalDevice dev, const char *name)
{
    if (!api->EnumerateDeviceExtensionProperties)
        return false;
    uint32_t n = 0;
    if (api->EnumerateDeviceExtensionProperties(dev, NULL, &n, NULL) != VK_SUCCESS || !n)
        return false;
    if (n > 4096)
        n = 4096;
    cleanup_free VkExtensionProperties *ext = xcalloc(n, sizeof(*ext));
    VkResult r = api->EnumerateDeviceExtensionProperties(dev, NULL, &n, ext);
    return (r == VK_SUCCESS || r == VK_INCOMPLETE) && has_extension(ext, n, name);
}

/* A fixed-size string from the driver may lack its terminator. */
static void add_bounded_str(cJSON *obj, const char *key, const char *s, size_t size)
{
    char *copy = xstrndup(s, strnlen(s, size));
    json_add_str(obj, key, copy);
    free(copy);
}

static cJSON *vk_describe_device(const struct vk_api *api,
                                 PFN_vkGetPhysicalDeviceProperties2 props2, VkPhysicalDevice dev)
{
    VkPhysicalDeviceProperties p;
    memset(&p, 0, sizeof(p));
    api->GetPhysicalDeviceProperties(dev, &p);

    /* Chain only the structures the device supports: any other structure
     * in pNext is invalid usage, which a driver need not survive. */
    bool api_1_1 = p.apiVersion >= VK_API_VERSION_1_1;
    bool api_1_2 = p.apiVersion >= VK_API_VERSION_1_2;
    VkPhysicalDeviceDriverProperties drv = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceMaintenance3Properties m3 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    bool want_drv = false, want_m3 = false;
    if (props2) {
        want_drv =
            api_1_2 || device_has_extension(api, dev, VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME);
        want_m3 = api_1_1 || device_has_extension(api, dev, VK_KHR_MAINTENANCE_3_EXTENSION_NAME);
        void **next = &p2.pNext;
        if (want_drv) {
            *next = &drv;
            next = &drv.pNext;
        }
        if (want_m3)
            *next = &m3;
        if (want_drv || want_m3)
            props2(dev, &p2);
    }

    cJSON *d = cJSON_CreateObject();
    add_bounded_str(d, "name", p.deviceName, sizeof(p.deviceName));
    json_add_u64(d, "vendor_id", OPT_U64(p.vendorID));
    json_add_u64(d, "device_id", OPT_U64(p.deviceID));
    json_add_str(d, "type", vk_type_name(p.deviceType));
    if (want_drv) {
        json_add_str(d, "driver", vk_driver_name(drv.driverID));
        add_bounded_str(d, "driver_info", drv.driverInfo, sizeof(drv.driverInfo));
    } else {
        char *name = xstrndup(p.deviceName, strnlen(p.deviceName, sizeof(p.deviceName)));
        json_add_str(d, "driver", vk_driver_from_vendor(p.vendorID, name));
        free(name);
        json_add_str(d, "driver_info", NULL);
    }
    struct strbuf ver = STRBUF_INIT;
    add_vk_version(&ver, p.apiVersion);
    json_add_str(d, "api_version", ver.buf);
    strbuf_release(&ver);

    VkPhysicalDeviceMemoryProperties mem;
    memset(&mem, 0, sizeof(mem));
    api->GetPhysicalDeviceMemoryProperties(dev, &mem);
    /* Device-local heaps only. ggml adds up every heap on an iGPU; the
     * doctor can do that from the raw facts, the probe does not guess. */
    uint64_t local = 0;
    uint32_t heaps =
        mem.memoryHeapCount < VK_MAX_MEMORY_HEAPS ? mem.memoryHeapCount : VK_MAX_MEMORY_HEAPS;
    for (uint32_t i = 0; i < heaps; i++)
        if (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
            local += mem.memoryHeaps[i].size;
    json_add_u64(d, "device_local_bytes", OPT_U64(local));
    json_add_u64(d, "max_allocation_bytes",
                 (opt_u64){.known = want_m3, .v = want_m3 ? m3.maxMemoryAllocationSize : 0});
    return d;
}

static void emit_final(int fd, bool devices_known, const char *error, cJSON *devices)
{
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddBoolToObject(rec, "devices_known", devices_known);
    json_add_str(rec, "error", error);
    cJSON_AddItemToObject(rec, "devices", devices ? devices : cJSON_CreateArray());
    probe_child_emit(fd, rec);
}

static void vulkan_child(int fd)
{
    struct vk_api api;
    memset(&api, 0, sizeof(api));
    struct strbuf err = STRBUF_INIT;
    bool missing;
    /* Nothing is freed on the way out: the child ends with _exit. */
    if (!vk_load(&api, &err, &missing)) {
        emit_final(fd, missing, err.buf, NULL);
        return;
    }
    if (vk_resolve(&api, VK_NULL_HANDLE, vk_global_syms, ARRAY_SIZE(vk_global_syms), &err) < 0) {
        emit_final(fd, false, err.buf, NULL);
        return;
    }

    uint32_t instance_version = VK_API_VERSION_1_0;
    struct strbuf loader = STRBUF_INIT;
    if (!api.EnumerateInstanceVersion)
        strbuf_addstr(&loader, "1.0");
    else if (api.EnumerateInstanceVersion(&instance_version) == VK_SUCCESS)
        add_vk_version(&loader, instance_version);
    cJSON *rec = cJSON_CreateObject();
    json_add_str(rec, "loader", loader.len ? loader.buf : NULL);
    probe_child_emit(fd, rec);

    /* Ask for the newest API we use, but never more than the loader has:
     * a 1.0 loader fails vkCreateInstance for any apiVersion above 1.0. */
    uint32_t api_version = VK_API_VERSION_1_0;
    if (instance_version >= VK_API_VERSION_1_3)
        api_version = VK_API_VERSION_1_3;
    else if (instance_version >= VK_API_VERSION_1_1)
        api_version = instance_version;
    const char *exts[1];
    uint32_t n_exts = 0;
    if (api_version < VK_API_VERSION_1_1 &&
        instance_has_extension(&api, VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME))
        exts[n_exts++] = VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME;
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "halobox",
        .pEngineName = "halobox",
        .apiVersion = api_version,
    };
    VkInstanceCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pApplicationInfo = &app,
        .enabledExtensionCount = n_exts,
        .ppEnabledExtensionNames = n_exts ? exts : NULL,
    };
    VkInstance instance = VK_NULL_HANDLE;
    VkResult r = api.CreateInstance(&ci, NULL, &instance);
    if (r != VK_SUCCESS) {
        strbuf_addstr(&err, "vkCreateInstance failed: ");
        add_vk_result(&err, r);
        /* The loader's answer when it found no driver at all: that there is
         * no Vulkan device is then a fact, not a failure to find out. */
        emit_final(fd, r == VK_ERROR_INCOMPATIBLE_DRIVER, err.buf, NULL);
        return;
    }
    if (vk_resolve(&api, instance, vk_instance_syms, ARRAY_SIZE(vk_instance_syms), &err) < 0) {
        emit_final(fd, false, err.buf, NULL);
        return;
    }
    PFN_vkGetPhysicalDeviceProperties2 props2 = NULL;
    if (api_version >= VK_API_VERSION_1_1)
        props2 = api.GetPhysicalDeviceProperties2;
    else if (n_exts)
        props2 = api.GetPhysicalDeviceProperties2KHR;

    uint32_t count = 0;
    r = api.EnumeratePhysicalDevices(instance, &count, NULL);
    if (r != VK_SUCCESS) {
        strbuf_addstr(&err, "vkEnumeratePhysicalDevices failed: ");
        add_vk_result(&err, r);
        emit_final(fd, false, err.buf, NULL);
        return;
    }
    if (count > VK_MAX_DEVICES)
        count = VK_MAX_DEVICES;
    VkPhysicalDevice *devs = xcalloc(count ? count : 1, sizeof(*devs));
    r = count ? api.EnumeratePhysicalDevices(instance, &count, devs) : VK_SUCCESS;
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
        strbuf_addstr(&err, "vkEnumeratePhysicalDevices failed: ");
        add_vk_result(&err, r);
        emit_final(fd, false, err.buf, NULL);
        return;
    }
    cJSON *list = cJSON_CreateArray();
    for (uint32_t i = 0; i < count; i++)
        cJSON_AddItemToArray(list, vk_describe_device(&api, props2, devs[i]));
    emit_final(fd, true, NULL, list);
}

void probe_vulkan_start(struct probe_child *c)
{
    probe_child_start(c, "vulkan", vulkan_child);
}

static void vk_device_release(struct facts_vulkan_device *d)
{
    free(d->name);
    free(d->type);
    free(d->driver);
    free(d->driver_info);
    free(d->api_version);
}

static void vk_release(struct facts_vulkan *vk)
{
    free(vk->loader);
    free(vk->error);
    for (size_t i = 0; i < vk->n_devices; i++)
        vk_device_release(&vk->devices[i]);
    free(vk->devices);
    memset(vk, 0, sizeof(*vk));
}

static int parse_device(struct facts_vulkan *vk, const cJSON *obj, size_t index,
                        struct hb_error *err)
{
    char path[32];
    snprintf(path, sizeof(path), "devices[%zu]", index);
    struct json_reader r = {.origin = "vulkan probe", .path = path, .err = err};
    if (!cJSON_IsObject(obj))
        return hb_error_set(err, EXIT_RUNTIME, "vulkan probe: %s: expected an object", path);
    struct facts_vulkan_device *d = facts_add_vulkan_device(vk);
    if (json_get_str(&r, obj, "name", &d->name) < 0 ||
        json_get_u64(&r, obj, "vendor_id", &d->vendor_id) < 0 ||
        json_get_u64(&r, obj, "device_id", &d->device_id) < 0 ||
        json_get_str(&r, obj, "type", &d->type) < 0 ||
        json_get_str(&r, obj, "driver", &d->driver) < 0 ||
        json_get_str(&r, obj, "driver_info", &d->driver_info) < 0 ||
        json_get_str(&r, obj, "api_version", &d->api_version) < 0 ||
        json_get_u64(&r, obj, "device_local_bytes", &d->device_local_bytes) < 0 ||
        json_get_u64(&r, obj, "max_allocation_bytes", &d->max_allocation_bytes) < 0)
        return -1;
    return 0;
}

/* Applies one record to got; *final is set by the last record. */
static int parse_record(struct facts_vulkan *got, const cJSON *rec, bool *final,
                        struct hb_error *err)
{
    struct json_reader r = {.origin = "vulkan probe", .path = "", .err = err};
    if (!cJSON_IsObject(rec))
        return hb_error_set(err, EXIT_RUNTIME, "vulkan probe: expected an object");
    if (cJSON_HasObjectItem(rec, "loader") && json_get_str(&r, rec, "loader", &got->loader) < 0)
        return -1;
    const cJSON *known = cJSON_GetObjectItemCaseSensitive(rec, "devices_known");
    if (!known)
        return 0;
    if (!cJSON_IsBool(known))
        return hb_error_set(err, EXIT_RUNTIME, "vulkan probe: devices_known: expected a boolean");
    if (json_get_str(&r, rec, "error", &got->error) < 0)
        return -1;
    bool bad;
    const cJSON *devices = json_get_array(&r, rec, "devices", &bad);
    if (bad)
        return -1;
    size_t i = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, devices)
    {
        if (parse_device(got, d, i++, err) < 0)
            return -1;
    }
    got->devices_known = cJSON_IsTrue(known);
    *final = true;
    return 0;
}

/* Parses the child's records; -1 when a record is not what the child
 * writes. A line cut short by a dying child is not a record. */
static int parse_output(struct facts_vulkan *got, const struct strbuf *out, bool child_ok,
                        bool *final, struct hb_error *err)
{
    const char *p = out->buf, *end = out->buf + out->len;
    while (p < end && !*final) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl && !child_ok)
            break;
        const char *line_end = nl ? nl : end;
        cJSON *rec = cJSON_ParseWithLength(p, (size_t)(line_end - p));
        if (!rec)
            return hb_error_set(err, EXIT_RUNTIME, "vulkan probe: not json");
        int rc = parse_record(got, rec, final, err);
        cJSON_Delete(rec);
        if (rc < 0)
            return -1;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

bool probe_vulkan_apply(const struct strbuf *out, bool child_ok, const char *why,
                        struct facts_vulkan *vk)
{
    cleanup_error struct hb_error err = HB_ERROR_INIT;
    struct facts_vulkan got;
    memset(&got, 0, sizeof(got));
    bool final = false;

    bool parsed = parse_output(&got, out, child_ok, &final, &err) == 0;

    char *loader = got.loader;
    got.loader = NULL;
    char *error = NULL;
    if (!child_ok) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "probe %s", why);
        error = strbuf_detach(&sb);
    } else if (!parsed) {
        error = xstrdup("probe returned malformed output");
    } else if (!final) {
        error = xstrdup("probe returned no result");
    }
    bool complete = !error;
    if (error) {
        /* What the child said before it failed is the loader version at
         * most; its device list, if any, cannot be trusted. */
        if (!parsed) {
            free(loader);
            loader = NULL;
        }
        vk_release(&got);
        got.error = error;
    }
    vk_release(vk);
    *vk = got;
    vk->loader = loader;
    return complete;
}

bool probe_vulkan_finish(struct probe_child *c, struct facts_vulkan *vk, int timeout_ms,
                         struct strbuf *out)
{
    cleanup_strbuf struct strbuf why = STRBUF_INIT;
    bool child_ok = probe_child_finish(c, timeout_ms, out, &why) == 0;
    return probe_vulkan_apply(out, child_ok, why.buf, vk);
}
