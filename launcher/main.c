/* halobox: run large language models well on AMD Strix Halo (and any other
 * Linux box). The command table: each command is one cmd_*.c file. */
#include "util/common.h"

#include "cmd.h"

#ifndef HALOBOX_VERSION
#define HALOBOX_VERSION "0.1.0"
#endif

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
