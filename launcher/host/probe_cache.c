/* The Vulkan and HIP probes load whole driver stacks (lavapipe alone pulls
 * in LLVM): tens of milliseconds on every run for an answer that cannot
 * change until the machine reboots, a driver or library is installed, a
 * device is plugged in, or the environment that steers the loaders changes.
 * Their raw answers are kept under that key in the user's cache. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/probe.h"
#include "host/sysroot.h"
#include "util/fs.h"

#define CACHE_SCHEMA "halobox.probe-cache/1"

/* Variables the Vulkan loader, Mesa, AMDVLK, the dynamic linker and the
 * ROCm runtime read when choosing or enumerating devices. */
static const char *const key_env[] = {
    "VK_DRIVER_FILES",
    "VK_ICD_FILENAMES",
    "VK_ADD_DRIVER_FILES",
    "VK_LOADER_DRIVERS_SELECT",
    "VK_LOADER_DRIVERS_DISABLE",
    "VK_LOADER_LAYERS_ENABLE",
    "VK_LOADER_LAYERS_DISABLE",
    "VK_INSTANCE_LAYERS",
    "VK_LAYER_PATH",
    "VK_ADD_LAYER_PATH",
    "AMD_VULKAN_ICD",
    "MESA_VK_DEVICE_SELECT",
    "NODEVICE_SELECT",
    "DRI_PRIME",
    "XDG_DATA_DIRS",
    "XDG_DATA_HOME",
    "XDG_CONFIG_DIRS",
    "HOME",
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "ROCM_PATH",
    "HIP_PATH",
    "HIP_VISIBLE_DEVICES",
    "ROCR_VISIBLE_DEVICES",
    "CUDA_VISIBLE_DEVICES",
    "HSA_OVERRIDE_GFX_VERSION",
    "HALOBOX_PROBE_TIMEOUT_MS",
};

/* Files and folders whose change means new drivers or devices: ICD and
 * layer manifests (a driver package update replaces them), the linker
 * cache (any library install runs ldconfig), the ROCm runtime, the device
 * nodes. Their inode, size and modification time go into the key. */
static const char *const key_paths[] = {
    "/usr/share/vulkan/icd.d",
    "/etc/vulkan/icd.d",
    "/usr/local/share/vulkan/icd.d",
    "/usr/share/vulkan/implicit_layer.d",
    "/etc/vulkan/implicit_layer.d",
    "/etc/ld.so.cache",
    "/opt/rocm/lib/libamdhip64.so",
    "/dev/dri",
    "/dev/kfd",
    "/sys/class/kfd/kfd/topology/generation_id",
};

static void add_stat(struct strbuf *key, const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        strbuf_addf(key, "%s -\n", path);
        return;
    }
    strbuf_addf(key, "%s %llu %llu %lld.%09ld\n", path, (unsigned long long)st.st_ino,
                (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/* Every file in a manifest folder: a package update may rewrite a manifest
 * in place without touching the folder. */
static void add_dir_entries(struct strbuf *key, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    struct strbuf path = STRBUF_INIT;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        strbuf_reset(&path);
        strbuf_addf(&path, "%s/%s", dir, e->d_name);
        add_stat(key, path.buf);
    }
    strbuf_release(&path);
    closedir(d);
}

void probe_cache_key(struct strbuf *key)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_reset(key);
    strbuf_addstr(key, CACHE_SCHEMA "\n");
    /* A new boot may bring a new kernel, firmware or device. */
    if (sysroot_read_value("/proc/sys/kernel/random/boot_id", &sb))
        strbuf_addf(key, "boot %s\n", sb.buf);
    else
        strbuf_addstr(key, "boot unknown\n");
    strbuf_release(&sb);
    strbuf_addf(key, "uid %u euid %u\n", (unsigned)getuid(), (unsigned)geteuid());
    /* Group membership decides device access. */
    gid_t groups[256];
    int n = getgroups(ARRAY_SIZE(groups), groups);
    strbuf_addf(key, "gid %u groups", (unsigned)getgid());
    for (int i = 0; i < n; i++)
        strbuf_addf(key, " %u", (unsigned)groups[i]);
    strbuf_addch(key, '\n');
    for (size_t i = 0; i < ARRAY_SIZE(key_env); i++) {
        const char *v = getenv(key_env[i]);
        strbuf_addf(key, "env %s%s%s\n", key_env[i], v ? "=" : " unset", v ? v : "");
    }
    for (size_t i = 0; i < ARRAY_SIZE(key_paths); i++)
        add_stat(key, key_paths[i]);
    for (size_t i = 0; i < 5; i++)
        add_dir_entries(key, key_paths[i]);
    const char *rocm = getenv("ROCM_PATH");
    if (rocm && *rocm) {
        struct strbuf p = STRBUF_INIT;
        strbuf_addf(&p, "%s/lib/libamdhip64.so", rocm);
        add_stat(key, p.buf);
        strbuf_release(&p);
    }
    const char *home = getenv("HOME");
    if (home && *home) {
        struct strbuf p = STRBUF_INIT;
        strbuf_addf(&p, "%s/.local/share/vulkan/icd.d", home);
        add_stat(key, p.buf);
        add_dir_entries(key, p.buf);
        strbuf_release(&p);
    }
}

static void cache_path(struct strbuf *path)
{
    if (cache_dir(path) == 0)
        strbuf_addstr(path, "/probes.json");
}

bool probe_cache_load(const char *key, struct strbuf *vulkan_out, struct strbuf *hip_out)
{
    struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
    bool hit = false;
    cache_path(&path);
    if (!path.len || read_small_file(path.buf, 4 * 1024 * 1024, &text) < 0)
        goto out;
    cJSON *root = cJSON_ParseWithLength(text.buf, text.len);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(root, "key");
    const cJSON *vk = cJSON_GetObjectItemCaseSensitive(root, "vulkan");
    const cJSON *hip = cJSON_GetObjectItemCaseSensitive(root, "hip");
    /* Anything unexpected in the cache is a miss, never an error. */
    if (cJSON_IsString(k) && !strcmp(k->valuestring, key) && cJSON_IsString(vk) &&
        cJSON_IsString(hip)) {
        strbuf_reset(vulkan_out);
        strbuf_addstr(vulkan_out, vk->valuestring);
        strbuf_reset(hip_out);
        strbuf_addstr(hip_out, hip->valuestring);
        hit = true;
    }
    cJSON_Delete(root);
out:
    strbuf_release(&path);
    strbuf_release(&text);
    return hit;
}

void probe_cache_store(const char *key, const char *vulkan_out, const char *hip_out)
{
    struct strbuf path = STRBUF_INIT;
    cache_path(&path);
    if (path.len) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "schema", CACHE_SCHEMA);
        cJSON_AddStringToObject(root, "key", key);
        cJSON_AddStringToObject(root, "vulkan", vulkan_out);
        cJSON_AddStringToObject(root, "hip", hip_out);
        char *text = cJSON_PrintUnformatted(root);
        /* A cache that cannot be written only costs time next run. */
        write_file_atomic(path.buf, text, strlen(text), 0600);
        free(text);
        cJSON_Delete(root);
    }
    strbuf_release(&path);
}
