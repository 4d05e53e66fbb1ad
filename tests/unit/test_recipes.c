/* Recipes: the repository's recipes load; each kind of mistake is one error
 * naming the file and the field; selection on facts built from JSON picks
 * the highest-priority recipe the host suits, with its reasons. Runs from
 * the repository's top (tests/run-all does), where recipes/ lives. */
#include "util/common.h"

#include <cjson/cJSON.h>

#include "facts.h"
#include "recipes.h"
#include "facts_helpers.h"
#include "test.h"
#include "util/fs.h"

#include <sys/stat.h>
#include <unistd.h>

static struct recipe_set repo;

static void test_repository_recipes_load(void)
{
    struct hb_error err = HB_ERROR_INIT;
    if (recipes_load_dir(&repo, "recipes", &err) < 0) {
        test_fail(__FILE__, __LINE__, "recipes/ does not load: %s", err.msg);
        hb_error_release(&err);
        return;
    }
    static const char *const names[] = {"cpu", "rocm-debian", "rocm-gfx1151", "vulkan-radv",
                                        "vulkan-upstream"};
    CHECK_U64(repo.n, ARRAY_SIZE(names));
    /* The digest is left for the commands that need it. */
    for (size_t i = 0; i < ARRAY_SIZE(names) && i < repo.n; i++) {
        CHECK_STR(repo.v[i].name, names[i]);
        CHECK(repo.v[i].sha256[0] == '\0');
    }
    CHECK(recipes_digest_all(&repo, &err) == 0);
    for (size_t i = 0; i < repo.n; i++)
        CHECK(strlen(repo.v[i].sha256) == 64 && strspn(repo.v[i].sha256, "0123456789abcdef") == 64);
    const struct recipe *vk = recipes_find(&repo, "vulkan-radv");
    const struct recipe *rocm = recipes_find(&repo, "rocm-gfx1151");
    const struct recipe *deb = recipes_find(&repo, "rocm-debian");
    CHECK(vk && rocm && deb);
    if (!vk || !rocm || !deb)
        return;
    CHECK(!vk->upstream && rocm->upstream);
    CHECK_STR(vk->backend, "vulkan");
    CHECK(vk->priority > rocm->priority);
    CHECK(str_list_has(&deb->suits.gfx_exclude, "gfx1151"));
    CHECK(str_list_has(&rocm->cmake_flags, "-DGGML_RPC=ON"));
    CHECK_STR(rocm->pin.version, rocm->engine_version);
    CHECK(strlen(rocm->pin.commit) == 40);
    bool unified = false;
    for (size_t i = 0; i < rocm->env.n; i++)
        unified |= !strcmp(rocm->env.v[i].name, "GGML_CUDA_ENABLE_UNIFIED_MEMORY") &&
                   !strcmp(rocm->env.v[i].value, "1");
    CHECK(unified);
    char *tag = recipe_image_tag(vk);
    CHECK(str_starts_with(tag, "localhost/halobox/vulkan-radv:"));
    free(tag);
    hb_error_release(&err);
}

/* ---- validation ---------------------------------------------------------- */

static cJSON *load_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct strbuf sb = STRBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(f);
    cJSON *j = cJSON_Parse(sb.buf);
    strbuf_release(&sb);
    return j;
}

/* Validates json as if it were recipes/NAME.json and returns the error
 * message (caller frees), or NULL when it is valid. */
static char *validate(cJSON *json, const char *name)
{
    struct strbuf origin = STRBUF_INIT;
    strbuf_addf(&origin, "recipes/%s.json", name);
    struct recipe r;
    struct hb_error err = HB_ERROR_INIT;
    int ret = recipe_from_json(&r, json, origin.buf, ".", &err);
    recipe_release(&r);
    strbuf_release(&origin);
    if (ret == 0)
        return NULL;
    CHECK_U64(err.exit_code, EXIT_INPUT);
    CHECK(!strchr(err.msg, '\n'));
    char *msg = err.msg;
    err.msg = NULL;
    return msg;
}

#define EXPECT_ERROR(json, name, text)                                                             \
    do {                                                                                           \
        char *m_ = validate(json, name);                                                           \
        if (!m_)                                                                                   \
            test_fail(__FILE__, __LINE__, "expected the error '%s', but it is valid", text);       \
        else if (strcmp(m_, text))                                                                 \
            test_fail(__FILE__, __LINE__, "expected the error\n  %s\ngot\n  %s", text, m_);        \
        free(m_);                                                                                  \
    } while (0)

static void test_valid_copies(void)
{
    cJSON *vk = load_json("recipes/vulkan-radv.json");
    cJSON *up = load_json("recipes/rocm-gfx1151.json");
    CHECK(vk && up);
    if (vk && up) {
        char *m = validate(vk, "vulkan-radv");
        CHECK(m == NULL);
        free(m);
        m = validate(up, "rocm-gfx1151");
        CHECK(m == NULL);
        free(m);
    }
    cJSON_Delete(vk);
    cJSON_Delete(up);
}

static void test_unknown_keys(void)
{
    cJSON *j = load_json("recipes/vulkan-radv.json");
    cJSON_AddStringToObject(j, "colour", "red");
    EXPECT_ERROR(j, "vulkan-radv", "recipes/vulkan-radv.json: colour: unknown key");
    cJSON_DeleteItemFromObject(j, "colour");
    cJSON_AddBoolToObject(cJSON_GetObjectItem(j, "suits"), "needs_npu", true);
    EXPECT_ERROR(j, "vulkan-radv", "recipes/vulkan-radv.json: suits.needs_npu: unknown key");
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(j, "suits"), "needs_npu");
    cJSON_AddStringToObject(cJSON_GetObjectItem(j, "base"), "digest", "sha256:00");
    EXPECT_ERROR(j, "vulkan-radv", "recipes/vulkan-radv.json: base.digest: unknown key");
    cJSON_Delete(j);
}

static void test_wrong_types(void)
{
    cJSON *j = load_json("recipes/vulkan-radv.json");
    cJSON_ReplaceItemInObject(j, "priority", cJSON_CreateString("high"));
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: priority: expected a whole number from 0 to 1000");
    cJSON_ReplaceItemInObject(j, "priority", cJSON_CreateNumber(100));
    cJSON_ReplaceItemInObject(j, "devices", cJSON_CreateString("/dev/dri"));
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: devices: expected an array of strings, not a string");
    cJSON *devs = cJSON_CreateArray();
    cJSON_AddItemToArray(devs, cJSON_CreateNumber(1));
    cJSON_ReplaceItemInObject(j, "devices", devs);
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: devices[0]: expected a string, not a number");
    devs = cJSON_CreateArray();
    cJSON_AddItemToArray(devs, cJSON_CreateString("/dev/dri"));
    cJSON_ReplaceItemInObject(j, "devices", devs);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(j, "suits"), "needs_kfd",
                              cJSON_CreateString("no"));
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: suits.needs_kfd: expected a boolean, not a string");
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(j, "suits"), "needs_kfd", cJSON_CreateFalse());
    cJSON_ReplaceItemInObject(j, "env", cJSON_CreateArray());
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: env: expected an object of strings, not an array");
    cJSON *env = cJSON_CreateObject();
    cJSON_AddNumberToObject(env, "GGML_VK_VISIBLE_DEVICES", 0);
    cJSON_ReplaceItemInObject(j, "env", env);
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: env.GGML_VK_VISIBLE_DEVICES: expected a string, not "
                 "a number");
    cJSON_Delete(j);
    /* not an object at all */
    cJSON *arr = cJSON_CreateArray();
    EXPECT_ERROR(arr, "x", "recipes/x.json: expected a JSON object, not an array");
    cJSON_Delete(arr);
}

static void test_missing_fields(void)
{
    static const char *const required[] = {
        "schema", "name",     "description", "backend", "base",    "containerfile", "engine",
        "distro", "packages", "patches",     "env",     "devices", "suits",         "priority"};
    for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
        cJSON *j = load_json("recipes/cpu.json");
        cJSON_DeleteItemFromObject(j, required[i]);
        char *m = validate(j, "cpu");
        struct strbuf want = STRBUF_INIT;
        strbuf_addf(&want, "recipes/cpu.json: %s: missing", required[i]);
        if (!m || !str_starts_with(m, want.buf))
            test_fail(__FILE__, __LINE__, "without %s: expected '%s...', got '%s'", required[i],
                      want.buf, m ? m : "(valid)");
        strbuf_release(&want);
        free(m);
        cJSON_Delete(j);
    }
    cJSON *j = load_json("recipes/rocm-gfx1151.json");
    cJSON_DeleteItemFromObject(j, "cmake_flags");
    EXPECT_ERROR(j, "rocm-gfx1151", "recipes/rocm-gfx1151.json: cmake_flags: missing");
    cJSON_Delete(j);
    j = load_json("recipes/rocm-gfx1151.json");
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(j, "suits"), "min_kernel");
    EXPECT_ERROR(j, "rocm-gfx1151",
                 "recipes/rocm-gfx1151.json: suits.min_kernel: missing (null for any kernel)");
    cJSON_Delete(j);
}

static void test_bad_values(void)
{
    cJSON *j = load_json("recipes/vulkan-radv.json");
    cJSON_ReplaceItemInObject(j, "backend", cJSON_CreateString("cuda"));
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: backend: 'cuda' is not vulkan, rocm or cpu");
    cJSON_ReplaceItemInObject(j, "backend", cJSON_CreateString("vulkan"));
    cJSON_ReplaceItemInObject(j, "name", cJSON_CreateString("vulkan-other"));
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: name: 'vulkan-other' differs from the file name");
    cJSON_ReplaceItemInObject(j, "name", cJSON_CreateString("vulkan-radv"));
    cJSON_ReplaceItemInObject(j, "containerfile", cJSON_CreateString("containers/nope"));
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: containerfile: 'containers/nope' does not exist");
    cJSON_ReplaceItemInObject(j, "containerfile", cJSON_CreateString("../etc/passwd"));
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: containerfile: '../etc/passwd' is not a relative path");
    cJSON_ReplaceItemInObject(j, "containerfile",
                              cJSON_CreateString("containers/debian.Containerfile"));
    cJSON_AddItemToArray(cJSON_GetObjectItem(j, "packages"), cJSON_CreateString("vulkan-tools"));
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: packages[8]: 'vulkan-tools' is not a pinned package "
                 "(name=version)");
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(j, "packages"), 8);
    cJSON *suits = cJSON_GetObjectItem(j, "suits");
    cJSON_AddItemToArray(cJSON_GetObjectItem(suits, "vendors"), cJSON_CreateString("apple"));
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: suits.vendors[2]: 'apple' is not a vendor (amd, "
                 "nvidia, intel)");
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(suits, "vendors"), 2);
    cJSON_AddItemToArray(cJSON_GetObjectItem(suits, "gfx"), cJSON_CreateString("gfx1151"));
    cJSON_AddItemToArray(cJSON_GetObjectItem(suits, "gfx_exclude"), cJSON_CreateString("gfx1151"));
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: suits.gfx_exclude: 'gfx1151' is also in suits.gfx");
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(suits, "gfx_exclude"), 0);
    cJSON_ReplaceItemInObject(suits, "min_kernel", cJSON_CreateString("latest"));
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: suits.min_kernel: 'latest' is not a kernel version "
                 "like 6.18.4");
    cJSON_Delete(j);

    /* the per-target form of suits.min_kernel */
    j = load_json("recipes/rocm-gfx1151.json");
    suits = cJSON_GetObjectItem(j, "suits");
    cJSON *floors = cJSON_GetObjectItem(suits, "min_kernel");
    CHECK(cJSON_IsObject(floors));
    cJSON_AddItemToObject(floors, "gfx1200", cJSON_CreateString("6.18.4"));
    EXPECT_ERROR(j, "rocm-gfx1151",
                 "recipes/rocm-gfx1151.json: suits.min_kernel.gfx1200: not one of suits.gfx");
    cJSON_DeleteItemFromObject(floors, "gfx1200");
    cJSON_AddItemToObject(floors, "radeon", cJSON_CreateString("6.18.4"));
    EXPECT_ERROR(j, "rocm-gfx1151",
                 "recipes/rocm-gfx1151.json: suits.min_kernel.radeon: not a gfx target like "
                 "gfx1151");
    cJSON_DeleteItemFromObject(floors, "radeon");
    cJSON_AddItemToObject(floors, "gfx1150", cJSON_CreateNumber(6.18));
    EXPECT_ERROR(j, "rocm-gfx1151",
                 "recipes/rocm-gfx1151.json: suits.min_kernel.gfx1150: expected a string, not a "
                 "number");
    cJSON_DeleteItemFromObject(floors, "gfx1150");
    cJSON_AddItemToObject(floors, "gfx1100", cJSON_CreateString("soon"));
    EXPECT_ERROR(j, "rocm-gfx1151",
                 "recipes/rocm-gfx1151.json: suits.min_kernel.gfx1100: 'soon' is not a kernel "
                 "version like 6.18.4");
    cJSON_DeleteItemFromObject(floors, "gfx1100");
    cJSON_AddItemToObject(floors, "gfx1151", cJSON_CreateString("6.19"));
    EXPECT_ERROR(j, "rocm-gfx1151",
                 "recipes/rocm-gfx1151.json: suits.min_kernel.gfx1151: appears twice");
    cJSON_ReplaceItemInObject(suits, "min_kernel", cJSON_CreateObject());
    EXPECT_ERROR(j, "rocm-gfx1151",
                 "recipes/rocm-gfx1151.json: suits.min_kernel: an empty object: use null for any "
                 "kernel");
    cJSON_ReplaceItemInObject(suits, "min_kernel", cJSON_CreateArray());
    EXPECT_ERROR(j, "rocm-gfx1151",
                 "recipes/rocm-gfx1151.json: suits.min_kernel: expected a string, not an array");
    cJSON_Delete(j);

    j = load_json("recipes/vulkan-radv.json");
    cJSON *distro = cJSON_GetObjectItem(j, "distro");
    cJSON_ReplaceItemInObject(distro, "snapshot", cJSON_CreateString("last tuesday"));
    EXPECT_ERROR(j, "vulkan-radv",
                 "recipes/vulkan-radv.json: distro.snapshot: 'last tuesday' is not a time like "
                 "20261030T120000Z");
    cJSON_Delete(j);
}

static void test_upstream_checks(void)
{
    cJSON *j = load_json("recipes/rocm-gfx1151.json");
    cJSON *patches = cJSON_CreateArray();
    cJSON_AddItemToArray(patches, cJSON_CreateString("9999-missing.patch"));
    cJSON_ReplaceItemInObject(j, "patches", patches);
    EXPECT_ERROR(j, "rocm-gfx1151",
                 "recipes/rocm-gfx1151.json: patches[0]: 'patches/9999-missing.patch' does not "
                 "exist");
    patches = cJSON_CreateArray();
    cJSON_AddItemToArray(patches, cJSON_CreateString("../engine/build"));
    cJSON_ReplaceItemInObject(j, "patches", patches);
    EXPECT_ERROR(j, "rocm-gfx1151",
                 "recipes/rocm-gfx1151.json: patches[0]: '../engine/build' is not a file name");
    /* a file that exists but is not in the series has no defined order */
    patches = cJSON_CreateArray();
    cJSON_AddItemToArray(patches, cJSON_CreateString("README.md"));
    cJSON_ReplaceItemInObject(j, "patches", patches);
    EXPECT_ERROR(j, "rocm-gfx1151",
                 "recipes/rocm-gfx1151.json: patches[0]: 'README.md' is not listed in "
                 "patches/series");
    cJSON_ReplaceItemInObject(j, "patches", cJSON_CreateArray());
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(j, "engine"), "version",
                              cJSON_CreateString("b1"));
    char *m = validate(j, "rocm-gfx1151");
    CHECK(m && str_starts_with(m, "recipes/rocm-gfx1151.json: engine.version: 'b1' differs from "
                                  "VERSION="));
    free(m);
    cJSON_Delete(j);

    j = load_json("recipes/rocm-gfx1151.json");
    cJSON *flags = cJSON_GetObjectItem(j, "cmake_flags");
    cJSON_DeleteItemFromArray(flags, 0); /* -DGGML_HIP=ON */
    EXPECT_ERROR(j, "rocm-gfx1151",
                 "recipes/rocm-gfx1151.json: cmake_flags: the rocm backend needs -DGGML_HIP=ON");
    cJSON_AddItemToArray(flags, cJSON_CreateString("-DGGML_HIP=ON"));
    cJSON_AddItemToArray(flags, cJSON_CreateString("-DCMAKE_C_FLAGS=-O2 -g"));
    char *m2 = validate(j, "rocm-gfx1151");
    CHECK(m2 && strstr(m2, "cmake_flags[") && strstr(m2, "without spaces"));
    free(m2);
    cJSON_Delete(j);

    j = load_json("recipes/rocm-gfx1151.json");
    cJSON *args = cJSON_GetObjectItem(j, "build_args");
    cJSON_AddStringToObject(args, "BASE_IMAGE", "evil");
    EXPECT_ERROR(j, "rocm-gfx1151",
                 "recipes/rocm-gfx1151.json: build_args.BASE_IMAGE: set by halobox itself from "
                 "the recipe");
    cJSON_Delete(j);

    /* a distro recipe takes no patches */
    j = load_json("recipes/cpu.json");
    patches = cJSON_CreateArray();
    cJSON_AddItemToArray(patches, cJSON_CreateString("x.patch"));
    cJSON_ReplaceItemInObject(j, "patches", patches);
    EXPECT_ERROR(j, "cpu",
                 "recipes/cpu.json: patches: only recipes built from upstream source take "
                 "patches");
    cJSON_Delete(j);
}

static void test_load_errors(void)
{
    struct recipe r;
    struct hb_error err = HB_ERROR_INIT;
    CHECK(recipe_load(&r, "recipes/no-such.json", &err) < 0);
    CHECK_STR(err.msg, "recipes/no-such.json: No such file or directory");
    CHECK_U64(err.exit_code, EXIT_INPUT);
    hb_error_release(&err);
    struct recipe_set set;
    CHECK(recipes_load_dir(&set, "tests/unit", &err) < 0);
    CHECK(err.msg && strstr(err.msg, "no recipes"));
    hb_error_release(&err);
}

static void write_text(const char *dir, const char *rel, const char *text)
{
    struct strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s/%s", dir, rel);
    CHECK(write_file_atomic(p.buf, text, strlen(text), 0644) == 0);
    strbuf_release(&p);
}

/* The digest covers the recipe's inputs: a changed Containerfile changes
 * it; an input removed after the load is an error naming it when the
 * digest is asked for; a missing one is an error at load already. */
static void test_digest_follows_inputs(void)
{
    char dir[] = "/tmp/halobox-recipes-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct strbuf sub = STRBUF_INIT, text = STRBUF_INIT, path = STRBUF_INIT;
    for (size_t i = 0; i < 2; i++) {
        strbuf_reset(&sub);
        strbuf_addf(&sub, "%s/%s", dir, i ? "containers" : "recipes");
        CHECK(mkdir(sub.buf, 0755) == 0);
    }
    CHECK(read_small_file("recipes/cpu.json", 1 << 20, &text) == 0);
    write_text(dir, "recipes/cpu.json", text.buf);
    write_text(dir, "containers/debian.Containerfile", "FROM scratch\n");
    strbuf_addf(&path, "%s/recipes/cpu.json", dir);

    struct recipe r;
    struct hb_error err = HB_ERROR_INIT;
    char first[65] = "";
    if (recipe_load(&r, path.buf, &err) == 0) {
        CHECK(recipe_digest(&r, &err) == 0);
        memcpy(first, r.sha256, sizeof(first));
        recipe_release(&r);
    } else
        test_fail(__FILE__, __LINE__, "copy does not load: %s", err.msg);
    write_text(dir, "containers/debian.Containerfile", "FROM scratch\nRUN true\n");
    if (recipe_load(&r, path.buf, &err) == 0) {
        CHECK(recipe_digest(&r, &err) == 0);
        CHECK(strlen(first) == 64 && strcmp(first, r.sha256) != 0);
        strbuf_reset(&sub);
        strbuf_addf(&sub, "%s/containers/debian.Containerfile", dir);
        CHECK(unlink(sub.buf) == 0);
        char again[65];
        memcpy(again, r.sha256, sizeof(again));
        CHECK(recipe_digest(&r, &err) == 0); /* computed once */
        CHECK_STR(r.sha256, again);
        r.sha256[0] = '\0';
        CHECK(recipe_digest(&r, &err) < 0);
        CHECK(err.msg && strstr(err.msg, "debian.Containerfile") &&
              strstr(err.msg, "No such file"));
        CHECK_U64(err.exit_code, EXIT_INPUT);
        hb_error_release(&err);
        recipe_release(&r);
    }
    CHECK(recipe_load(&r, path.buf, &err) < 0);
    CHECK(err.msg && strstr(err.msg, "containerfile: 'containers/debian.Containerfile' does not "
                                     "exist"));
    hb_error_release(&err);
    unlink(path.buf);
    for (size_t i = 0; i < 2; i++) {
        strbuf_reset(&sub);
        strbuf_addf(&sub, "%s/%s", dir, i ? "containers" : "recipes");
        rmdir(sub.buf);
    }
    rmdir(dir);
    strbuf_release(&sub);
    strbuf_release(&text);
    strbuf_release(&path);
}

static void test_engine_pin(void)
{
    struct engine_pin pin;
    struct hb_error err = HB_ERROR_INIT;
    CHECK(engine_pin_load("engine/llama.cpp.pin", &pin, &err) == 0);
    CHECK_STR(pin.repository, "https://github.com/ggml-org/llama.cpp");
    CHECK(pin.commit && strlen(pin.commit) == 40);
    CHECK(pin.version && pin.tag);
    engine_pin_release(&pin);
    hb_error_release(&err);
}

/* ---- selection ----------------------------------------------------------- */

static const char *pick(const char *facts_json, const char *backend, struct recipe_choice *c)
{
    struct facts f;
    facts_from(&f, facts_json);
    const struct recipe *r = recipes_select(&repo, &f, backend, c);
    facts_release(&f);
    return r ? r->name : NULL;
}

static bool reason_has(const struct recipe_choice *c, const char *text)
{
    for (size_t i = 0; i < c->reasons.n; i++)
        if (strstr(c->reasons.v[i], text))
            return true;
    return false;
}

#define STRIX(kernel)                                                                              \
    "{\"kernel\":{\"release\":\"" kernel "\"},"                                                    \
    "\"gpus\":[{\"pci_slot\":\"0000:c2:00.0\",\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\","  \
    "\"driver\":\"amdgpu\"}],"                                                                     \
    "\"vulkan\":{\"devices\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\","                 \
    "\"driver\":\"radv\",\"type\":\"integrated\"}]},"                                              \
    "\"rocm\":{\"kfd\":{\"present\":true,\"access\":true}}}"

static void test_select_strix_halo(void)
{
    struct recipe_choice c;
    CHECK_STR(pick(STRIX("6.18.9-200.fc43.x86_64"), NULL, &c), "vulkan-radv");
    CHECK(reason_has(&c, "vulkan-radv: suits the amd GPU gfx1151 at 0000:c2:00.0"));
    CHECK(reason_has(&c, "rocm-debian: has no code for gfx1151"));
    CHECK(reason_has(&c, "chose vulkan-radv"));
    recipe_choice_release(&c);
    CHECK_STR(pick(STRIX("6.18.9-200.fc43.x86_64"), "rocm", &c), "rocm-gfx1151");
    recipe_choice_release(&c);
    /* ROCm on gfx1151 needs 6.18.4; Debian's ROCm has no gfx1151 code */
    CHECK(pick(STRIX("6.14.0-1014-oem"), "rocm", &c) == NULL);
    CHECK(reason_has(
        &c, "rocm-gfx1151: needs kernel 6.18.4 or newer on gfx1151, this one is 6.14.0-1014-oem"));
    CHECK(reason_has(&c, "no rocm recipe suits this host"));
    recipe_choice_release(&c);
    /* AMDVLK on the host does not matter: the image brings RADV */
    CHECK_STR(pick("{\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\","
                   "\"driver\":\"amdgpu\"}],\"vulkan\":{\"devices\":[{\"vendor_id\":\"0x1002\","
                   "\"driver\":\"amdvlk\",\"type\":\"integrated\"}]}}",
                   NULL, &c),
              "vulkan-radv");
    recipe_choice_release(&c);
}

static void test_select_kfd(void)
{
    struct recipe_choice c;
    const char *no_access = "{\"kernel\":{\"release\":\"6.18.9\"},\"gpus\":[{\"vendor_id\":"
                            "\"0x1002\",\"device_id\":\"0x1586\",\"driver\":\"amdgpu\"}],"
                            "\"rocm\":{\"kfd\":{\"present\":true,\"access\":false}}}";
    CHECK(pick(no_access, "rocm", &c) == NULL);
    CHECK(reason_has(&c, "rocm-gfx1151: needs /dev/kfd, which this user cannot open"));
    recipe_choice_release(&c);
    const char *missing = "{\"kernel\":{\"release\":\"6.18.9\"},\"gpus\":[{\"vendor_id\":"
                          "\"0x1002\",\"device_id\":\"0x1586\",\"driver\":\"amdgpu\"}],"
                          "\"rocm\":{\"kfd\":{\"present\":false}}}";
    CHECK(pick(missing, "rocm", &c) == NULL);
    CHECK(reason_has(&c, "needs /dev/kfd, which is missing"));
    recipe_choice_release(&c);
    CHECK_STR(pick(missing, NULL, &c), "vulkan-radv");
    recipe_choice_release(&c);
}

static void test_select_rdna3_dgpu(void)
{
    /* RX 7900 XTX (gfx1100) on an older kernel: the gfx1151 recipe's
     * kernel floor is gfx1151's alone, so its ROCm 7 build suits and wins
     * over Debian's ROCm 6.4 by priority. */
    const char *rx = "{\"kernel\":{\"release\":\"6.8.0-51-generic\"},"
                     "\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x744c\","
                     "\"driver\":\"amdgpu\"}],\"rocm\":{\"kfd\":{\"present\":true,"
                     "\"access\":true}}}";
    struct recipe_choice c;
    CHECK_STR(pick(rx, "rocm", &c), "rocm-gfx1151");
    CHECK(reason_has(&c, "rocm-gfx1151: suits the amd GPU gfx1100"));
    CHECK(reason_has(&c, "rocm-debian: suits the amd GPU gfx1100"));
    recipe_choice_release(&c);
    /* an unknown kernel meets no floor, but a gfx1100 has none here */
    const char *rx_no_kernel = "{\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x744c\","
                               "\"driver\":\"amdgpu\"}],\"rocm\":{\"kfd\":{\"present\":true,"
                               "\"access\":true}}}";
    CHECK_STR(pick(rx_no_kernel, "rocm", &c), "rocm-gfx1151");
    recipe_choice_release(&c);
    /* while a gfx1151 with an unknown kernel does not meet its floor */
    const char *strix_no_kernel = "{\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":"
                                  "\"0x1586\",\"driver\":\"amdgpu\"}],\"rocm\":{\"kfd\":{"
                                  "\"present\":true,\"access\":true}}}";
    CHECK(pick(strix_no_kernel, "rocm", &c) == NULL);
    CHECK(reason_has(&c, "needs kernel 6.18.4 or newer on gfx1151, this one is unknown"));
    recipe_choice_release(&c);
    CHECK_STR(pick(rx, NULL, &c), "vulkan-radv");
    recipe_choice_release(&c);
    /* an AMD GPU whose target is unknown cannot be matched to a gfx list */
    const char *unknown = "{\"gpus\":[{\"vendor_id\":\"0x1002\",\"driver\":\"amdgpu\"}],"
                          "\"rocm\":{\"kfd\":{\"present\":true,\"access\":true}}}";
    CHECK(pick(unknown, "rocm", &c) == NULL);
    CHECK(reason_has(&c, "gfx target unknown"));
    recipe_choice_release(&c);
}

static void test_select_other_hosts(void)
{
    struct recipe_choice c;
    CHECK_STR(pick("{\"gpus\":[],\"vulkan\":{\"devices\":[{\"driver\":\"llvmpipe\","
                   "\"type\":\"cpu\"}]}}",
                   NULL, &c),
              "cpu");
    CHECK(reason_has(&c, "vulkan-radv: needs a GPU, and there is none"));
    CHECK(reason_has(&c, "cpu: suits any host"));
    recipe_choice_release(&c);
    /* NVIDIA: Vulkan through the host's driver (CDI), or the CPU image */
    CHECK_STR(pick("{\"gpus\":[{\"vendor_id\":\"0x10de\",\"device_id\":\"0x2d04\"}],"
                   "\"vulkan\":{\"devices\":[{\"vendor_id\":\"0x10de\",\"driver\":\"nvidia\","
                   "\"type\":\"discrete\"}]}}",
                   NULL, &c),
              "vulkan-radv");
    recipe_choice_release(&c);
    CHECK_STR(pick("{\"gpus\":[{\"vendor_id\":\"0x10de\",\"device_id\":\"0x2d04\"}],"
                   "\"vulkan\":{\"devices\":[]}}",
                   NULL, &c),
              "cpu");
    CHECK(reason_has(&c, "vulkan-radv: the nvidia GPU has no Vulkan driver in radv, nvidia"));
    recipe_choice_release(&c);
    /* Intel: not a vendor any GPU recipe is for */
    CHECK_STR(pick("{\"gpus\":[{\"vendor_id\":\"0x8086\",\"device_id\":\"0x7d55\"}]}", NULL, &c),
              "cpu");
    CHECK(reason_has(&c, "vendor is intel, not amd, nvidia"));
    recipe_choice_release(&c);
    /* only the backend asked for is considered */
    CHECK_STR(pick("{\"gpus\":[]}", "cpu", &c), "cpu");
    CHECK_U64(c.reasons.n, 2);
    recipe_choice_release(&c);
}

static void test_build_argv(void)
{
    const struct recipe *up = recipes_find(&repo, "vulkan-upstream");
    const struct recipe *vk = recipes_find(&repo, "vulkan-radv");
    if (!up || !vk)
        return;
    struct recipe_build_options o = {.podman = "podman",
                                     .base = "localhost/debian:sid",
                                     .mirror = "http://deb.debian.org/debian",
                                     .created = "2026-11-21T00:00:00Z"};
    struct str_list argv = {0};
    recipe_build_argv(vk, &o, &argv);
    CHECK_STR(argv.v[0], "podman");
    CHECK_STR(argv.v[1], "build");
    CHECK(argv.v[argv.n] == NULL);
    CHECK(str_list_has(&argv, "BASE_IMAGE=localhost/debian:sid"));
    CHECK(str_list_has(&argv, "DEBIAN_MIRROR=http://deb.debian.org/debian"));
    CHECK(str_list_has(&argv, "halobox.recipe=vulkan-radv"));
    CHECK(str_list_has(&argv, "halobox.backend=vulkan"));
    struct strbuf want = STRBUF_INIT;
    strbuf_addf(&want, "halobox.recipe.sha256=%s", vk->sha256);
    CHECK(str_list_has(&argv, want.buf));
    strbuf_release(&want);
    str_list_release(&argv);
    o.base = up->base_image;
    recipe_build_argv(up, &o, &argv);
    CHECK(str_list_has(&argv, "BUILD_IMAGE=docker.io/library/ubuntu:26.04"));
    CHECK(!str_list_has(&argv, "DEBIAN_MIRROR=http://deb.debian.org/debian"));
    bool cmake = false;
    for (size_t i = 0; i < argv.n; i++)
        cmake |= str_starts_with(argv.v[i], "CMAKE_FLAGS=-DGGML_VULKAN=ON ");
    CHECK(cmake);
    str_list_release(&argv);
}

int main(void)
{
    RUN(test_repository_recipes_load);
    RUN(test_valid_copies);
    RUN(test_unknown_keys);
    RUN(test_wrong_types);
    RUN(test_missing_fields);
    RUN(test_bad_values);
    RUN(test_upstream_checks);
    RUN(test_load_errors);
    RUN(test_digest_follows_inputs);
    RUN(test_engine_pin);
    RUN(test_select_strix_halo);
    RUN(test_select_kfd);
    RUN(test_select_rdna3_dgpu);
    RUN(test_select_other_hosts);
    RUN(test_build_argv);
    recipes_release(&repo);
    return test_summary();
}
