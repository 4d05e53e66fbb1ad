/* halobox: run large language models well on AMD Strix Halo (and any other
 * Linux box). The command table: each command is one cmd_*.c file. */
#include "util/common.h"

#include "cmd.h"

#ifndef HALOBOX_VERSION
#define HALOBOX_VERSION "0.1.0"
#endif

const char halobox_version[] = HALOBOX_VERSION;

static const char usage_main[] =
    "usage: halobox <command> [options]\n"
    "\n"
    "commands:\n"
    "%s"
    "\n"
    "Run 'halobox <command> --help' for a command's options.\n"
    "Exit codes: 0 ok, 1 doctor found an error, 2 usage, 3 bad input file, 4 other failure.\n";

static const char usage_inspect[] =
    "usage: halobox inspect [--json] [--facts FILE] [--fresh] [--workload chat|prefill]\n"
    "\n"
    "Inspect this host: OS and kernel, GPUs and their family, the memory the GPU can\n"
    "really use and what limits it, Vulkan, ROCm, podman, then the doctor's findings\n"
    "and the recommended engine image.\n"
    "\n"
    "  --json          print the facts (schema halobox.facts/1) with gpu_memory,\n"
    "                  findings and recommendation\n"
    "  --facts FILE    judge a saved facts file instead of probing this host\n"
    "  --fresh         probe Vulkan and HIP again instead of using this boot's cache\n"
    "  --workload W    chat (default) or prefill: what the recommendation optimises\n"
    "\n"
    "Environment: HALOBOX_SYSROOT reads host files under another root (fixtures);\n"
    "HALOBOX_PROBE_TIMEOUT_MS bounds the Vulkan and HIP probes (default 5000).\n";

static const char usage_doctor[] =
    "usage: halobox doctor [--json] [--facts FILE] [--fresh] [--workload chat|prefill]\n"
    "\n"
    "Say what stands between this host and a working large model, each finding with\n"
    "its severity and the exact fix for this distribution.\n"
    "\n"
    "  --json          print gpu_memory, findings and recommendation as JSON\n"
    "  --facts FILE    judge a saved facts file (e.g. from a bug report); nothing\n"
    "                  is probed\n"
    "  --fresh         probe Vulkan and HIP again instead of using this boot's cache\n"
    "  --workload W    chat (default) or prefill\n"
    "\n"
    "Exit status: 0 without an error finding, 1 with one, 2 on a usage error,\n"
    "3 when the facts file cannot be read or is malformed.\n";

static const char usage_models[] =
    "usage: halobox models ls|add|inspect|rm|pull|synth|fit [options]\n"
    "\n"
    "The model store. Run 'halobox models --help' for the verbs.\n";

static const char usage_build[] =
    "usage: halobox build RECIPE...|--all [--dry-run] [--force] [--base IMAGE] [--mirror URL]\n"
    "\n"
    "Build engine images with podman from recipes (recipes/*.json), tagged\n"
    "localhost/halobox/RECIPE:ENGINE_VERSION and labelled with the recipe, its sha256,\n"
    "the backend and the engine version. The build's output goes to stderr; stdout\n"
    "gets one line per image: 'built TAG SIZE' (or 'up-to-date TAG SIZE').\n"
    "\n"
    "  --all           build every recipe\n"
    "  --dry-run       print the podman command, shell-quoted, and start nothing\n"
    "  --force         build even when the image exists with this recipe's sha256\n"
    "  --base IMAGE    build FROM this image instead of the recipe's base\n"
    "  --mirror URL    Debian recipes: install from this mirror instead of the\n"
    "                  recipe's snapshot (offline builds); versions stay pinned\n"
    "\n"
    "The base is --base, else for Debian recipes HALOBOX_BASE_IMAGE or the image\n"
    "'make base' bootstrapped (localhost/debian:sid) when it exists, else the\n"
    "recipe's base image, which podman pulls.\n"
    "Environment: HALOBOX_RECIPES_DIR (the recipes folder), HALOBOX_BASE_IMAGE,\n"
    "HALOBOX_MIRROR (as --mirror), HALOBOX_PODMAN (the podman program),\n"
    "SOURCE_DATE_EPOCH (the created label), HALOBOX_IMAGE_SOURCE and\n"
    "HALOBOX_IMAGE_REVISION (the source and revision labels).\n";

static const char usage_images[] =
    "usage: halobox images [--json]\n"
    "       halobox images pull RECIPE...|--all [--from REPO] [--force] [--dry-run]\n"
    "\n"
    "List the engine images podman holds: recipe, backend, engine version, size,\n"
    "when built, and 'stale' when the recipe (or a file it builds from) changed\n"
    "since the image was built: rebuild it with 'halobox build RECIPE'.\n"
    "'images pull' takes a recipe's prebuilt image from a registry instead\n"
    "(see 'halobox images pull --help').\n"
    "\n"
    "  --json          print a JSON array (stale is null when the recipe is unknown)\n";

static const char usage_run[] =
    "usage: halobox run MODEL [PROMPT] [options] [-- ENGINE-ARGS]\n"
    "\n"
    "Run a model from the store in the engine image that suits this host. With a\n"
    "PROMPT, print one completion on stdout (llama-completion) and exit; without\n"
    "one, chat on the terminal (llama-cli). All layers go to the GPU, flash\n"
    "attention is on, the context is the largest that fits (up to the model's\n"
    "trained context), threads are the physical cores. Arguments after -- go to\n"
    "the engine as they are (e.g. -- -n 64).\n"
    "\n"
    "  --recipe R       use this recipe instead of the one chosen for the host\n"
    "  --ctx N          context in tokens (checked against the memory)\n"
    "  --kv-type T      KV cache type: f16 (default), q8_0, q4_0\n"
    "  --workload W     chat (default) or long-prefill: whose settings from\n"
    "                   'halobox bench tune' to use (a note names them)\n"
    "  --no-tune        the engine's defaults, whatever bench tune stored\n"
    "  --env NAME=VALUE set a variable in the engine's environment (repeatable)\n"
    "  --name NAME      the container's name\n"
    "  --dry-run        print the podman command, shell-quoted, and start nothing\n"
    "  --force          start even when the model does not fit or the doctor\n"
    "                   found an error\n"
    "  --build          build the image first when it is missing\n"
    "  --pull           take it prebuilt from the registry first when it is missing\n"
    "                   ('halobox images pull'; with --build too, build what the\n"
    "                   registry cannot give)\n"
    "  --facts FILE     plan for a saved facts file instead of this host\n"
    "  --fresh          probe Vulkan and HIP again instead of this boot's cache\n"
    "  --store DIR      the model store (default $HALOBOX_STORE, ...)\n"
    "  --verbose        show the engine's log\n"
    "  --quiet          do not print the recipe, its reasons and the notes\n"
    "  --rpc HOST:PORT,...\n"
    "                   split the model across llama.cpp RPC workers ('halobox\n"
    "                   rpc-worker' on each): each must answer and run the same\n"
    "                   engine version before anything loads, and the memory fit\n"
    "                   counts their free memory; --dry-run also shows each\n"
    "                   worker's part\n"
    "\n"
    "Exit status: 0 ok, 1 the model does not fit or the doctor found an error,\n"
    "2 usage, 3 bad input (unknown model), 4 the engine or podman failed,\n"
    "130 interrupted. HALOBOX_PODMAN names the podman program.\n";

static const char usage_serve[] =
    "usage: halobox serve MODEL [--port N|auto] [--host ADDR] [--name NAME] [--detach]\n"
    "                     [options] [-- ENGINE-ARGS]\n"
    "\n"
    "Serve a model from the store with llama-server, published on 127.0.0.1 (the\n"
    "API has no authentication), wait until /health says it is ready, and print\n"
    "the OpenAI-compatible base URL (http://127.0.0.1:PORT/v1). In the foreground\n"
    "Ctrl-C stops and removes it; with --detach it keeps running ('halobox ps',\n"
    "'halobox logs NAME', 'halobox stop NAME'). If it fails, nothing is left.\n"
    "\n"
    "  --port N|auto    the port (default 8080); auto: the first free from 8080\n"
    "  --host ADDR      publish on this address instead of 127.0.0.1\n"
    "  --name NAME      the container's name (default halobox-MODEL-PORT)\n"
    "  --detach         return once it is ready, leaving it running\n"
    "  --timeout S      how long to wait for it to load (default 600 s)\n"
    "  --generate quadlet|kube\n"
    "                   print a systemd Quadlet .container unit, or a Kubernetes\n"
    "                   pod for 'podman kube play', for the same plan\n"
    "  --recipe, --ctx, --kv-type, --workload, --no-tune, --env, --dry-run, --force,\n"
    "  --build, --pull, --facts, --fresh, --store, --quiet, --rpc: as for 'halobox run'\n";

static const char usage_ps[] =
    "usage: halobox ps [--json]\n"
    "\n"
    "List the containers halobox started (running or not): name, model, recipe,\n"
    "state and the API's URL.\n";

static const char usage_stop[] =
    "usage: halobox stop NAME...|--all\n"
    "\n"
    "Stop and remove halobox containers (by name or ID, see 'halobox ps'); --all\n"
    "stops every one. Containers halobox did not start are never touched.\n";

static const char usage_logs[] =
    "usage: halobox logs NAME [-f|--follow]\n"
    "\n"
    "Print the engine's log of a halobox container; -f keeps following it.\n";

static const char usage_version[] = "usage: halobox version\n\nPrint halobox's version.\n";
static const char usage_help[] =
    "usage: halobox help [COMMAND]\n\nShow help for halobox or a command.\n";
static const char usage_completion[] =
    "usage: halobox completion bash\n"
    "\n"
    "Print the bash completion script, e.g.:\n"
    "  halobox completion bash > ~/.local/share/bash-completion/completions/halobox\n";

const struct command commands[] = {
    {"inspect", cmd_inspect, "show the host facts, findings and recommendation", usage_inspect},
    {"doctor", cmd_doctor, "say what is wrong on this host and how to fix it", usage_doctor},
    {"models", cmd_models, "the model store: ls, add, inspect, rm, pull, synth, fit", usage_models},
    {"build", cmd_build, "build engine images from recipes with podman", usage_build},
    {"images", cmd_images, "list the engine images and whether they are stale", usage_images},
    {"run", cmd_run, "run a model: one completion for a prompt, or a chat", usage_run},
    {"serve", cmd_serve, "serve a model with an OpenAI-compatible API", usage_serve},
    {"ps", cmd_ps, "list the containers halobox started", usage_ps},
    {"stop", cmd_stop, "stop and remove halobox containers", usage_stop},
    {"logs", cmd_logs, "show the engine log of a halobox container", usage_logs},
    {"bench", cmd_bench, "run llama-bench, tune, and keep, compare, report and share results",
     cmd_bench_usage},
    {"rpc-worker", cmd_rpc_worker, "lend this host's devices to another's engine (RPC)",
     cmd_rpc_worker_usage},
    {"cluster", cmd_cluster, "check the RPC workers: reachability, version, memory",
     cmd_cluster_usage},
    {"version", cmd_version, "print the version", usage_version},
    {"help", cmd_help, "show help for a command", usage_help},
    {"completion", cmd_completion, "print the shell completion script", usage_completion},
};
const size_t n_commands = ARRAY_SIZE(commands);

static void print_main_usage(FILE *out)
{
    struct strbuf list = STRBUF_INIT;
    for (size_t i = 0; i < n_commands; i++)
        strbuf_addf(&list, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, usage_main, list.buf);
    strbuf_release(&list);
}

int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage_version, stdout);
        return EXIT_OK;
    }
    if (argc > 1)
        return usage_error("version", "unexpected argument '%s'", argv[1]);
    printf("halobox %s\n", HALOBOX_VERSION);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        print_main_usage(stdout);
        return EXIT_OK;
    }
    const struct command *c = command_find(argv[1]);
    if (!c)
        return usage_error("help", "unknown command '%s'", argv[1]);
    fputs(c->usage, stdout);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_main_usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
        print_main_usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(name, "--version"))
        name = "version";
    const struct command *c = command_find(name);
    if (!c) {
        fprintf(stderr, "halobox: unknown command '%s' (see 'halobox --help')\n", name);
        return EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
