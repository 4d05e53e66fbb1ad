/* The plan and the podman argv made from it, for hosts from the facts
 * fixtures: a Strix Halo (Vulkan and ROCm), an NVIDIA host (Vulkan) and a
 * host without a GPU (CPU), rootless and rootful, SELinux enforcing and
 * not. The argv are compared with the snapshots in tests/fixtures/plans/
 * (HALOBOX_UPDATE_SNAPSHOTS=1 rewrites them; see the README there). */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <errno.h>

#include "doctor.h"
#include "facts.h"
#include "plan.h"
#include "podman.h"
#include "recipes.h"
#include "store/fit.h"
#include "facts_helpers.h"
#include "plan_helpers.h"
#include "test.h"
#include "util/fs.h"

#define SNAPSHOTS "tests/fixtures/plans"
#define STORE     "/srv/halobox/store"

static struct recipe_set recipes;

static struct fit_model llama8b;

static void load_facts_file(struct facts *f, const char *path)
{
    facts_init(f);
    struct strbuf text = STRBUF_INIT;
    struct hb_error err = HB_ERROR_INIT;
    cJSON *root = NULL;
    if (read_small_file(path, 1 << 20, &text) < 0 || !(root = cJSON_Parse(text.buf)) ||
        facts_from_json(f, root, path, &err) < 0)
        test_fail(__FILE__, __LINE__, "%s does not load: %s", path, err.msg ? err.msg : "");
    cJSON_Delete(root);
    strbuf_release(&text);
    hb_error_release(&err);
    facts_derive(f);
}

static void set_str(char **field, const char *value)
{
    free(*field);
    *field = value ? xstrdup(value) : NULL;
}

/* What a live probe of the captured machine adds to its capture: the
 * render node (the captures did not record it), and podman's mode. */
static void as_live(struct facts *f, bool rootless, const char *selinux)
{
    for (size_t i = 0; i < f->n_gpus; i++)
        if (!f->gpus[i].render_node)
            set_str(&f->gpus[i].render_node, "/dev/dri/renderD128");
    f->containers.podman_found = TRI_YES;
    f->containers.rootless = rootless ? TRI_YES : TRI_NO;
    set_str(&f->containers.selinux, selinux);
}

/* Strix Halo: kyuz0's Framework Desktop (Fedora 43, RADV, ROCm, /dev/kfd). */
static void strix_halo(struct facts *f, bool rootless, const char *selinux)
{
    load_facts_file(f, "tests/fixtures/facts/kyuz0-framework-desktop-fw1.facts.json");
    as_live(f, rootless, selinux);
}

/* NVIDIA only: the EndeavourOS RTX 5060 Ti capture (driver nvidia), as on
 * a host where nvidia-ctk wrote its CDI spec (the capture did not record
 * /etc/cdi): the devices such a spec declares for one GPU. */
static void nvidia(struct facts *f, bool rootless)
{
    load_facts_file(f, "tests/fixtures/facts/endeavouros-rtx5060ti-nvidia.facts.json");
    as_live(f, rootless, "disabled");
    facts_add_cdi_device(&f->containers, "nvidia.com/gpu=0");
    facts_add_cdi_device(&f->containers, "nvidia.com/gpu=all");
}

static bool has_note(const struct plan *p, const char *text)
{
    for (size_t i = 0; i < p->notes.n; i++)
        if (strstr(p->notes.v[i], text))
            return true;
    return false;
}

/* No GPU: what `inspect` says of the development machines (32 GiB here). */
static const char *no_gpu_json =
    "{\"os\":{\"id\":\"debian\",\"version_id\":\"12\"},"
    "\"kernel\":{\"release\":\"6.1.0-30-amd64\"},"
    "\"memory\":{\"total_bytes\":34359738368,\"page_size\":4096},"
    "\"gpus\":[],\"vulkan\":{\"devices\":[{\"name\":\"llvmpipe (LLVM 15.0.6, 256 bits)\","
    "\"type\":\"cpu\",\"driver\":\"llvmpipe\"}]},"
    "\"rocm\":{\"kfd\":{\"present\":false,\"access\":null},\"devices\":[]},"
    "\"containers\":{\"podman\":{\"path\":\"/usr/bin/podman\",\"version\":\"4.3.1\","
    "\"found\":true},\"selinux\":\"disabled\",\"rootless\":false}}";

static void base_request(struct plan_request *req, struct built *b, enum plan_intent intent)
{
    memset(req, 0, sizeof(*req));
    req->intent = intent;
    req->facts = &b->facts;
    req->verdict = &b->verdict;
    req->threads = 16;
    req->recipes = &recipes;
    req->model = "llama-3.1-8b";
    req->store_root = STORE;
    req->model_file = "models/llama-3.1-8b/Llama-3.1-8B-Q4_K_M.gguf";
    req->fit = &llama8b;
    req->kv = KV_F16;
    req->port = 8080;
}

static void build(struct built *b, struct plan_request *req)
{
    doctor_evaluate(&b->facts, &b->verdict);
    b->err = (struct hb_error)HB_ERROR_INIT;
    b->rc = plan_build(req, &b->plan, &b->err);
}

/* The argv, one word a line, against tests/fixtures/plans/NAME.argv. */
static void check_snapshot(const struct plan *p, const char *name)
{
    struct str_list argv = {0};
    podman_run_argv(p, "podman", &argv);
    struct strbuf text = STRBUF_INIT, want = STRBUF_INIT, path = STRBUF_INIT;
    for (size_t i = 0; i < argv.n; i++)
        strbuf_addf(&text, "%s\n", argv.v[i]);
    strbuf_addf(&path, "%s/%s.argv", SNAPSHOTS, name);
    const char *update = getenv("HALOBOX_UPDATE_SNAPSHOTS");
    if (update && !strcmp(update, "1")) {
        if (write_file_atomic(path.buf, text.buf, text.len, 0644) < 0)
            test_fail(__FILE__, __LINE__, "cannot write %s: %s", path.buf, strerror(errno));
    } else if (read_small_file(path.buf, 1 << 20, &want) < 0) {
        test_fail(__FILE__, __LINE__, "%s: %s (HALOBOX_UPDATE_SNAPSHOTS=1 writes it)", path.buf,
                  strerror(errno));
    } else if (strcmp(text.buf, want.buf)) {
        test_fail(__FILE__, __LINE__, "%s differs; the plan gives:\n%s", path.buf, text.buf);
    }
    strbuf_release(&text);
    strbuf_release(&want);
    strbuf_release(&path);
    str_list_release(&argv);
}

static bool has_arg(const struct plan *p, const char *arg)
{
    struct str_list argv = {0};
    podman_run_argv(p, "podman", &argv);
    bool found = str_list_has(&argv, arg);
    str_list_release(&argv);
    return found;
}

/* Two words next to each other in the engine's argv. */
static bool engine_has(const struct plan *p, const char *flag, const char *value)
{
    for (size_t i = 0; i + (value ? 1 : 0) < p->engine.n; i++)
        if (!strcmp(p->engine.v[i], flag) && (!value || !strcmp(p->engine.v[i + 1], value)))
            return true;
    return false;
}

static void test_strix_halo_vulkan(void)
{
    struct built b;
    struct plan_request req;
    strix_halo(&b.facts, true, "enforcing");
    base_request(&req, &b, PLAN_SERVE);
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK_STR(b.plan.recipe, "vulkan-radv");
    CHECK_STR(b.plan.backend, "vulkan");
    /* All of the trained context fits in 124 GiB. */
    CHECK(b.plan.fit_checked && b.plan.fits);
    CHECK_U64(b.plan.ctx, 131072);
    CHECK(has_arg(&b.plan, "--device=/dev/dri"));
    CHECK(!has_arg(&b.plan, "--device=/dev/kfd"));
    CHECK(has_arg(&b.plan, "--group-add=keep-groups"));
    CHECK(has_arg(&b.plan, "--security-opt=label=disable"));
    CHECK(has_arg(&b.plan, "--cap-drop=all"));
    CHECK(has_arg(&b.plan, "--security-opt=no-new-privileges"));
    CHECK(has_arg(&b.plan, "--volume=" STORE ":/models:ro"));
    CHECK(has_arg(&b.plan, "--publish=127.0.0.1:8080:8080"));
    CHECK(!has_arg(&b.plan, "--privileged"));
    CHECK(engine_has(&b.plan, "-ngl", "999"));
    CHECK(engine_has(&b.plan, "-fa", "on"));
    CHECK(engine_has(&b.plan, "-t", "16"));
    CHECK(!engine_has(&b.plan, "--load-mode", "none"));
    CHECK(b.plan.reasons.n > 1);
    check_snapshot(&b.plan, "strix-halo-vulkan-serve");
    built_release(&b);
}

static void test_strix_halo_rocm(void)
{
    struct built b;
    struct plan_request req;
    strix_halo(&b.facts, true, "enforcing");
    base_request(&req, &b, PLAN_SERVE);
    req.recipe = "rocm-gfx1151";
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK_STR(b.plan.backend, "rocm");
    CHECK_STR(b.plan.reasons.v[0], "--recipe rocm-gfx1151");
    CHECK(has_arg(&b.plan, "--device=/dev/kfd"));
    CHECK(has_arg(&b.plan, "--device=/dev/dri"));
    CHECK(has_arg(&b.plan, "--env=GGML_CUDA_ENABLE_UNIFIED_MEMORY=1"));
    /* No mmap on ROCm, in the spelling of this engine build. */
    CHECK(engine_has(&b.plan, "--load-mode", "none"));
    check_snapshot(&b.plan, "strix-halo-rocm-serve");
    built_release(&b);

    /* --workload long-prefill with no recipe named: the ROCm recipe that
     * suits, as the doctor recommends for that workload. */
    strix_halo(&b.facts, true, "enforcing");
    base_request(&req, &b, PLAN_SERVE);
    req.workload = WORKLOAD_PREFILL;
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK_STR(b.plan.recipe, "rocm-gfx1151");
    bool said = false;
    for (size_t i = 0; i < b.plan.reasons.n; i++)
        said = said || strstr(b.plan.reasons.v[i], "long prefill");
    CHECK(said);
    built_release(&b);

    /* Rootful, SELinux permissive: no keep-groups, no label=disable. */
    strix_halo(&b.facts, false, "permissive");
    base_request(&req, &b, PLAN_SERVE);
    req.recipe = "rocm-gfx1151";
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK(!has_arg(&b.plan, "--group-add=keep-groups"));
    CHECK(!has_arg(&b.plan, "--security-opt=label=disable"));
    CHECK(has_arg(&b.plan, "--security-opt=no-new-privileges"));
    check_snapshot(&b.plan, "strix-halo-rocm-serve-rootful");
    built_release(&b);

    /* Rootful with SELinux enforcing; rootless with SELinux off. */
    strix_halo(&b.facts, false, "enforcing");
    base_request(&req, &b, PLAN_SERVE);
    build(&b, &req);
    CHECK(!has_arg(&b.plan, "--group-add=keep-groups"));
    CHECK(has_arg(&b.plan, "--security-opt=label=disable"));
    built_release(&b);
    strix_halo(&b.facts, true, "disabled");
    base_request(&req, &b, PLAN_SERVE);
    build(&b, &req);
    CHECK(has_arg(&b.plan, "--group-add=keep-groups"));
    CHECK(!has_arg(&b.plan, "--security-opt=label=disable"));
    built_release(&b);
}

/* serve on the NVIDIA host, rootless, as nvidia() has it. */
static void nvidia_serve(struct built *b, struct plan_request *req)
{
    nvidia(&b->facts, true);
    base_request(req, b, PLAN_SERVE);
    build(b, req);
    CHECK(b->rc == 0);
    CHECK_STR(b->plan.recipe, "vulkan-radv");
}

static void test_nvidia_vulkan(void)
{
    struct built b;
    struct plan_request req;
    nvidia_serve(&b, &req);
    CHECK(has_arg(&b.plan, "--device=/dev/dri"));
    CHECK(!has_arg(&b.plan, "--device=/dev/kfd"));
    /* NVIDIA's driver comes into the container through its CDI device. */
    CHECK(has_arg(&b.plan, "--device=nvidia.com/gpu=all"));
    CHECK(!has_arg(&b.plan, "--device=nvidia.com/gpu=0"));
    CHECK(!has_note(&b.plan, "CDI"));
    /* 16 GiB of VRAM: less than the trained context fits, and the
     * plan says so. */
    CHECK(b.plan.fits);
    CHECK(b.plan.ctx < 131072 && b.plan.ctx > 32768);
    CHECK(b.plan.ctx % 256 == 0);
    struct fit_result more;
    fit_compute(&llama8b, b.plan.ctx + 256, KV_F16, &more);
    CHECK(more.total > b.plan.budget);
    bool noted = false;
    for (size_t i = 0; i < b.plan.notes.n; i++)
        noted = noted || strstr(b.plan.notes.v[i], "the largest that fits");
    CHECK(noted);
    check_snapshot(&b.plan, "nvidia-vulkan-serve");
    built_release(&b);
}

/* Without the CDI device the plan still runs, and says the GPU stays
 * outside the container, with the fix; facts that never looked (the
 * capture as saved) say so too, without claiming either. */
static void test_nvidia_without_cdi(void)
{
    struct built b;
    struct plan_request req;
    nvidia(&b.facts, true);
    facts_clear_cdi_devices(&b.facts.containers);
    b.facts.containers.cdi_devices_known = true;
    facts_add_cdi_device(&b.facts.containers, "halobox.test/dev=all");
    base_request(&req, &b, PLAN_SERVE);
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK_STR(b.plan.recipe, "vulkan-radv");
    CHECK(has_arg(&b.plan, "--device=/dev/dri"));
    CHECK(!has_arg(&b.plan, "--device=nvidia.com/gpu=all"));
    CHECK(!has_arg(&b.plan, "--device=halobox.test/dev=all"));
    CHECK(has_note(&b.plan, "the GPU will not be visible in the container"));
    CHECK(has_note(&b.plan, "sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml"));
    CHECK(verdict_find(&b.verdict, "nvidia-no-cdi") != NULL);
    built_release(&b);

    load_facts_file(&b.facts, "tests/fixtures/facts/endeavouros-rtx5060ti-nvidia.facts.json");
    as_live(&b.facts, true, "disabled");
    CHECK(!b.facts.containers.cdi_devices_known);
    base_request(&req, &b, PLAN_SERVE);
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK(!has_arg(&b.plan, "--device=nvidia.com/gpu=all"));
    CHECK(has_note(&b.plan, "do not say whether it exists"));
    CHECK(verdict_find(&b.verdict, "nvidia-no-cdi") == NULL);
    built_release(&b);

    /* Only a per-GPU device declared: that one is passed. The CPU recipe
     * passes none. */
    nvidia(&b.facts, false);
    facts_clear_cdi_devices(&b.facts.containers);
    facts_add_cdi_device(&b.facts.containers, "nvidia.com/gpu=0");
    base_request(&req, &b, PLAN_SERVE);
    build(&b, &req);
    CHECK(has_arg(&b.plan, "--device=nvidia.com/gpu=0"));
    CHECK(!has_arg(&b.plan, "--group-add=keep-groups"));
    built_release(&b);
    nvidia(&b.facts, true);
    base_request(&req, &b, PLAN_SERVE);
    req.recipe = "cpu";
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK(!has_arg(&b.plan, "--device=nvidia.com/gpu=all"));
    CHECK(!has_note(&b.plan, "CDI"));
    built_release(&b);
}

/* Rootless podman on runc ignores keep-groups: the plan says so, with the
 * fix; on crun, or rootful, it has nothing to say. */
static void test_rootless_runc_note(void)
{
    static const struct {
        bool rootless;
        const char *runtime;
        bool noted;
    } cases[] = {
        {true, "runc", true}, {true, "crun", false}, {false, "runc", false}, {true, NULL, false}};
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct built b;
        struct plan_request req;
        strix_halo(&b.facts, cases[i].rootless, "enforcing");
        set_str(&b.facts.containers.oci_runtime, cases[i].runtime);
        base_request(&req, &b, PLAN_SERVE);
        build(&b, &req);
        CHECK(b.rc == 0);
        CHECK(has_arg(&b.plan, "--group-add=keep-groups") == cases[i].rootless);
        bool noted = has_note(&b.plan, "which ignores --group-add keep-groups");
        if (noted != cases[i].noted)
            test_fail(__FILE__, __LINE__, "case %zu: note %s", i, noted ? "present" : "missing");
        if (cases[i].noted)
            /* The capture has no os.id: the generic install. */
            CHECK(has_note(&b.plan, "fix: install crun, then set runtime = \"crun\""));
        CHECK((verdict_find(&b.verdict, "rootless-runc") != NULL) == cases[i].noted);
        built_release(&b);
    }
}

/* The CDI device in a Quadlet unit (AddDevice= takes what --device takes)
 * and in a pod (a resource limit, which podman 5.4 and later read). */
static void test_nvidia_units(void)
{
    struct built b;
    struct plan_request req;
    nvidia_serve(&b, &req);
    struct strbuf q = STRBUF_INIT, k = STRBUF_INIT;
    podman_quadlet(&b.plan, &q);
    CHECK(strstr(q.buf, "\nAddDevice=/dev/dri\n"));
    CHECK(strstr(q.buf, "\nAddDevice=nvidia.com/gpu=all\n"));
    podman_kube(&b.plan, &k);
    CHECK(strstr(k.buf, "    resources:\n      limits:\n        \"nvidia.com/gpu=all\": 1\n"));
    CHECK(strstr(k.buf, "      path: \"/dev/dri/renderD128\"\n      type: CharDevice\n"));
    CHECK(!strstr(k.buf, "path: \"nvidia.com"));
    strbuf_release(&q);
    strbuf_release(&k);
    built_release(&b);
}

static void test_no_gpu_cpu(void)
{
    struct built b;
    struct plan_request req;
    facts_from(&b.facts, no_gpu_json);
    base_request(&req, &b, PLAN_SERVE);
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK_STR(b.plan.recipe, "cpu");
    CHECK(b.plan.devices.n == 0);
    CHECK(b.plan.groups.n == 0);
    CHECK(!engine_has(&b.plan, "-ngl", NULL));
    CHECK(engine_has(&b.plan, "-fa", "on"));
    CHECK_STR(b.plan.budget_from, "ram");
    check_snapshot(&b.plan, "no-gpu-cpu-serve");
    built_release(&b);

    /* run with a prompt: llama-completion, removed when done, attached. */
    facts_from(&b.facts, no_gpu_json);
    base_request(&req, &b, PLAN_RUN);
    req.prompt = "Say 'hello' & \"bye\"";
    req.name = "halobox-run-test";
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK(b.plan.rm && !b.plan.detach && !b.plan.interactive);
    CHECK_STR(b.plan.engine.v[0], "llama-completion");
    CHECK(engine_has(&b.plan, "-p", req.prompt));
    CHECK(!has_arg(&b.plan, "--publish=127.0.0.1:8080:8080"));
    check_snapshot(&b.plan, "no-gpu-cpu-run");
    struct str_list argv = {0};
    podman_run_argv(&b.plan, "podman", &argv);
    struct strbuf line = STRBUF_INIT;
    shell_quote_argv(&line, argv.v, argv.n);
    CHECK(strstr(line.buf, " -p 'Say '\\''hello'\\'' & \"bye\"' ") != NULL);
    strbuf_release(&line);
    str_list_release(&argv);
    built_release(&b);

    /* a chat on a terminal: llama-cli with -i -t */
    facts_from(&b.facts, no_gpu_json);
    base_request(&req, &b, PLAN_RUN);
    req.interactive = true;
    build(&b, &req);
    CHECK_STR(b.plan.engine.v[0], "llama-cli");
    CHECK(has_arg(&b.plan, "--interactive") && has_arg(&b.plan, "--tty"));
    CHECK_STR(b.plan.name, "halobox-run-llama-3.1-8b");
    built_release(&b);
}

static void test_fit(void)
{
    struct built b;
    struct plan_request req;
    /* --ctx caps the context. */
    strix_halo(&b.facts, true, "enforcing");
    base_request(&req, &b, PLAN_SERVE);
    req.ctx = 8192;
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK(engine_has(&b.plan, "-c", "8192"));
    built_release(&b);

    /* Too large a context on the 16 GiB card: refused, with the fix. */
    nvidia(&b.facts, false);
    base_request(&req, &b, PLAN_SERVE);
    req.ctx = 131072;
    build(&b, &req);
    CHECK(b.rc < 0);
    CHECK(b.err.exit_code == EXIT_FINDING_ERROR);
    CHECK(b.err.msg && strstr(b.err.msg, "'llama-3.1-8b' does not fit"));
    CHECK(b.err.msg && strstr(b.err.msg, "use --ctx "));
    CHECK(b.err.msg && strstr(b.err.msg, "--kv-type q8_0"));
    CHECK(b.err.msg && strstr(b.err.msg, "a smaller quantisation"));
    CHECK(b.err.msg && strstr(b.err.msg, "--force"));
    built_release(&b);

    /* --force starts it anyway, and says so. */
    nvidia(&b.facts, false);
    base_request(&req, &b, PLAN_SERVE);
    req.ctx = 131072;
    req.force = true;
    build(&b, &req);
    CHECK(b.rc == 0 && !b.plan.fits);
    CHECK(engine_has(&b.plan, "-c", "131072"));
    built_release(&b);

    /* A q8_0 KV cache: flags for the engine, more context. */
    nvidia(&b.facts, false);
    base_request(&req, &b, PLAN_SERVE);
    req.kv = KV_Q8_0;
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK(engine_has(&b.plan, "--cache-type-k", "q8_0"));
    CHECK(engine_has(&b.plan, "--cache-type-v", "q8_0"));
    CHECK_U64(b.plan.ctx, 131072);
    built_release(&b);

    /* Weights larger than the GPU: only a smaller quantisation helps. */
    facts_from(&b.facts, "{\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x744c\","
                         "\"driver\":\"amdgpu\",\"vram_bytes\":4294967296,\"board_info\":true,"
                         "\"render_node\":\"/dev/dri/renderD128\"}]}");
    base_request(&req, &b, PLAN_SERVE);
    build(&b, &req);
    CHECK(b.rc < 0);
    CHECK(b.err.msg && strstr(b.err.msg, "its weights"));
    CHECK(b.err.msg && strstr(b.err.msg, "use a smaller quantisation"));
    CHECK(b.err.msg && !strstr(b.err.msg, "--ctx"));
    built_release(&b);

    /* An unknown shape: nothing checked, the engine decides. */
    facts_from(&b.facts, no_gpu_json);
    base_request(&req, &b, PLAN_SERVE);
    req.fit = NULL;
    build(&b, &req);
    CHECK(b.rc == 0 && !b.plan.fit_checked);
    CHECK(!engine_has(&b.plan, "-c", NULL));
    built_release(&b);
}

static void test_env_and_names(void)
{
    struct built b;
    struct plan_request req;
    /* A discrete AMD GPU on ROCm: no unified memory. */
    facts_from(&b.facts, "{\"kernel\":{\"release\":\"6.18.9\"},"
                         "\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x744c\","
                         "\"driver\":\"amdgpu\",\"vram_bytes\":25753026560,\"board_info\":true,"
                         "\"gfx_target_version\":110000,"
                         "\"render_node\":\"/dev/dri/renderD128\"}],"
                         "\"rocm\":{\"kfd\":{\"present\":true,\"access\":true}},"
                         "\"env\":{\"HIP_VISIBLE_DEVICES\":\"0\"}}");
    base_request(&req, &b, PLAN_SERVE);
    req.recipe = "rocm-gfx1151";
    char *env[] = {"GGML_VK_VISIBLE_DEVICES=0", "HIP_VISIBLE_DEVICES=1"};
    req.env = env;
    req.n_env = 2;
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK(!has_arg(&b.plan, "--env=GGML_CUDA_ENABLE_UNIFIED_MEMORY=1"));
    /* The host's HIP_VISIBLE_DEVICES, then --env overriding it. */
    CHECK(has_arg(&b.plan, "--env=HIP_VISIBLE_DEVICES=1"));
    CHECK(!has_arg(&b.plan, "--env=HIP_VISIBLE_DEVICES=0"));
    CHECK(has_arg(&b.plan, "--env=GGML_VK_VISIBLE_DEVICES=0"));
    CHECK(has_arg(&b.plan, "--device=/dev/kfd"));
    built_release(&b);

    /* Another address, a name, engine arguments passed through. */
    facts_from(&b.facts, no_gpu_json);
    base_request(&req, &b, PLAN_SERVE);
    req.host = "::1";
    req.port = 9000;
    req.name = "my-llm";
    char *extra[] = {"--jinja", "-n", "64"};
    req.engine_args = extra;
    req.n_engine_args = 3;
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK(has_arg(&b.plan, "--publish=[::1]:9000:9000"));
    CHECK(has_arg(&b.plan, "--name=my-llm"));
    CHECK(has_arg(&b.plan, "--label=halobox.port=9000"));
    CHECK_STR(b.plan.engine.v[b.plan.engine.n - 1], "64");
    CHECK_STR(b.plan.engine.v[b.plan.engine.n - 3], "--jinja");
    struct strbuf url = STRBUF_INIT;
    engine_base_url(&url, "0.0.0.0", 9000);
    CHECK_STR(url.buf, "http://127.0.0.1:9000/v1");
    strbuf_reset(&url);
    engine_base_url(&url, b.plan.host, b.plan.port);
    CHECK_STR(url.buf, "http://[::1]:9000/v1");
    strbuf_release(&url);
    built_release(&b);

    /* Refusals: a bad name, a store podman cannot mount, no such recipe. */
    facts_from(&b.facts, no_gpu_json);
    base_request(&req, &b, PLAN_SERVE);
    req.name = "-oops";
    build(&b, &req);
    CHECK(b.rc < 0 && b.err.exit_code == EXIT_USAGE);
    built_release(&b);
    facts_from(&b.facts, no_gpu_json);
    base_request(&req, &b, PLAN_SERVE);
    req.store_root = "/srv/a:b";
    build(&b, &req);
    CHECK(b.rc < 0 && b.err.msg && strstr(b.err.msg, "cannot mount"));
    built_release(&b);
    facts_from(&b.facts, no_gpu_json);
    base_request(&req, &b, PLAN_SERVE);
    req.recipe = "vulkan-nope";
    build(&b, &req);
    CHECK(b.rc < 0 && b.err.msg && strstr(b.err.msg, "there are: cpu"));
    built_release(&b);
}

static void test_engine_flags_by_build(void)
{
    CHECK(plan_engine_build("b11669") == 11669);
    CHECK(plan_engine_build("b10964") == 10964);
    CHECK(plan_engine_build("0.7.0") == 0);
    CHECK(plan_engine_build(NULL) == 0);
    CHECK(plan_threads(32, true) == 16);
    CHECK(plan_threads(2, false) == 2);
    CHECK(plan_threads(1, true) == 1);
    CHECK(plan_threads(0, false) == 1);

    /* llama-bench on ROCm: -lm none and -fa on, JSON out. */
    struct built b;
    struct plan_request req;
    strix_halo(&b.facts, false, "disabled");
    base_request(&req, &b, PLAN_BENCH);
    req.recipe = "rocm-gfx1151";
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK_STR(b.plan.engine.v[0], "llama-bench");
    CHECK(engine_has(&b.plan, "-lm", "none"));
    CHECK(engine_has(&b.plan, "-fa", "on"));
    CHECK(engine_has(&b.plan, "-o", "json"));
    CHECK(!engine_has(&b.plan, "-c", NULL));
    built_release(&b);
}

/* Settings from bench tune: -ub and -fa in run and serve, their recipe
 * unless --recipe names one, a note saying where they came from; never in
 * llama-bench (a benchmark measures what it is told). */
static void test_tuned(void)
{
    struct plan_tuned tuned = {.recipe = "rocm-gfx1151",
                               .ubatch = 256,
                               .flash_attn = false,
                               .from = "chat, bench tune run R, +7.0 %"};
    struct built b;
    struct plan_request req;
    strix_halo(&b.facts, false, "disabled");
    base_request(&req, &b, PLAN_SERVE);
    req.tuned = &tuned;
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK_STR(b.plan.recipe, "rocm-gfx1151");
    CHECK(engine_has(&b.plan, "-ub", "256"));
    CHECK(engine_has(&b.plan, "-fa", "off"));
    CHECK(!engine_has(&b.plan, "-fa", "on"));
    CHECK(str_list_has(&b.plan.notes, "tuned: chat, bench tune run R, +7.0 %"));
    CHECK(b.plan.reasons.n == 1 && strstr(b.plan.reasons.v[0], "bench tune"));
    built_release(&b);

    strix_halo(&b.facts, false, "disabled");
    base_request(&req, &b, PLAN_RUN);
    req.prompt = "hello";
    req.tuned = &tuned;
    req.recipe = "vulkan-radv";
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK_STR(b.plan.recipe, "vulkan-radv");
    CHECK(engine_has(&b.plan, "-ub", "256"));
    built_release(&b);

    strix_halo(&b.facts, false, "disabled");
    base_request(&req, &b, PLAN_BENCH);
    req.tuned = &tuned;
    build(&b, &req);
    CHECK(b.rc == 0);
    CHECK(!engine_has(&b.plan, "-ub", NULL));
    CHECK(engine_has(&b.plan, "-fa", "on"));
    CHECK(b.plan.notes.n == 0 || !strstr(b.plan.notes.v[b.plan.notes.n - 1], "tuned"));
    built_release(&b);
}

static void test_preflight(void)
{
    struct finding fs[] = {
        {"nomodeset", SEV_ERROR, "nomodeset is on the kernel command line", "remove nomodeset"},
        {"iommu-on", SEV_WARN, "the IOMMU is on", "add amd_iommu=off"},
        {"podman-missing", SEV_ERROR, "podman is not installed", "sudo apt install podman"},
    };
    struct verdict v = {0};
    v.findings = fs;
    v.n_findings = ARRAY_SIZE(fs);
    struct str_list warnings = {0};
    struct hb_error err = HB_ERROR_INIT;
    CHECK(plan_preflight(&v, true, false, &warnings, &err) < 0);
    CHECK(err.exit_code == EXIT_FINDING_ERROR);
    CHECK(err.msg && strstr(err.msg, "[nomodeset]") && strstr(err.msg, "remove nomodeset"));
    /* podman found where the probe did not look: not counted. */
    CHECK(err.msg && !strstr(err.msg, "more"));
    hb_error_release(&err);
    str_list_release(&warnings);
    CHECK(plan_preflight(&v, false, false, &warnings, &err) < 0);
    CHECK(err.msg && strstr(err.msg, "and 1 more"));
    hb_error_release(&err);
    str_list_release(&warnings);
    CHECK(plan_preflight(&v, true, true, &warnings, &err) == 0);
    CHECK(warnings.n == 2);
    str_list_release(&warnings);
    hb_error_release(&err);
}

static void test_units(void)
{
    struct built b;
    struct plan_request req;
    strix_halo(&b.facts, true, "enforcing");
    base_request(&req, &b, PLAN_SERVE);
    req.recipe = "rocm-gfx1151";
    char *env[] = {"NOTE=50% off $HOME \"q\""};
    req.env = env;
    req.n_env = 1;
    build(&b, &req);
    CHECK(b.rc == 0);
    struct strbuf q = STRBUF_INIT, k = STRBUF_INIT;
    podman_quadlet(&b.plan, &q);
    CHECK(strstr(q.buf, "\n[Container]\n"));
    CHECK(strstr(q.buf, "\nImage=localhost/halobox/rocm-gfx1151:"));
    CHECK(strstr(q.buf, "\nAddDevice=/dev/dri\n"));
    CHECK(strstr(q.buf, "\nAddDevice=/dev/kfd\n"));
    CHECK(strstr(q.buf, "\nDropCapability=all\n"));
    CHECK(strstr(q.buf, "\nNoNewPrivileges=true\n"));
    CHECK(strstr(q.buf, "\nSecurityLabelDisable=true\n"));
    CHECK(strstr(q.buf, "\nPodmanArgs=--pull=never --group-add=keep-groups\n"));
    CHECK(strstr(q.buf, "\nVolume=" STORE ":/models:ro\n"));
    CHECK(strstr(q.buf, "\nPublishPort=127.0.0.1:8080:8080\n"));
    CHECK(strstr(q.buf, "\nEnvironment=\"NOTE=50%% off $HOME \\\"q\\\"\"\n"));
    CHECK(strstr(q.buf, "\nExec=llama-server -m /models/models/llama-3.1-8b/"));
    CHECK(strstr(q.buf, "\nWantedBy=default.target\n"));
    podman_kube(&b.plan, &k);
    CHECK(strstr(k.buf, "\nkind: Pod\n"));
    CHECK(strstr(k.buf, "    imagePullPolicy: Never\n"));
    CHECK(strstr(k.buf, "      hostIP: \"127.0.0.1\"\n"));
    CHECK(strstr(k.buf, "        type: spc_t\n"));
    CHECK(strstr(k.buf, "      allowPrivilegeEscalation: false\n"));
    CHECK(strstr(k.buf, "    run.oci.keep_original_groups: \"1\"\n"));
    CHECK(strstr(k.buf, "      path: \"/dev/kfd\"\n      type: CharDevice\n"));
    CHECK(strstr(k.buf, "      path: \"/dev/dri/renderD128\"\n      type: CharDevice\n"));
    CHECK(strstr(k.buf, "      value: \"50% off $HOME \\\"q\\\"\"\n"));
    strbuf_release(&q);
    strbuf_release(&k);
    built_release(&b);
}

int main(void)
{
    struct hb_error err = HB_ERROR_INIT;
    if (recipes_load_dir(&recipes, "recipes", &err) < 0) {
        fprintf(stderr, "recipes/ does not load: %s\n", err.msg);
        return 1;
    }
    if (!llama8b_fit(&llama8b))
        return 1;
    RUN(test_strix_halo_vulkan);
    RUN(test_strix_halo_rocm);
    RUN(test_nvidia_vulkan);
    RUN(test_nvidia_without_cdi);
    RUN(test_nvidia_units);
    RUN(test_rootless_runc_note);
    RUN(test_no_gpu_cpu);
    RUN(test_fit);
    RUN(test_env_and_names);
    RUN(test_engine_flags_by_build);
    RUN(test_tuned);
    RUN(test_preflight);
    RUN(test_units);
    recipes_release(&recipes);
    hb_error_release(&err);
    return test_summary();
}
