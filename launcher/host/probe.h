/* Probes: each reads one source and fills its part of the facts. They never
 * fail the program: what cannot be read is left unknown (and, where it
 * helps the user, the reason is recorded in the facts). Files are read
 * through the HALOBOX_SYSROOT prefix (sysroot.h) so tests replay real hosts
 * from fixture trees. */
#ifndef HALOBOX_PROBE_H
#define HALOBOX_PROBE_H

#include "facts.h"
#include "util/strbuf.h"

#include <sys/types.h>

void probe_os(struct facts *f);
void probe_kernel(struct facts *f);
void probe_memory(struct facts *f);
void probe_drm(struct facts *f);
void probe_kfd(struct facts *f);
void probe_user(struct facts *f);
void probe_env(struct facts *f);
void probe_containers(struct facts *f);
/* The CDI devices of /etc/cdi and /var/run/cdi (probe_cdi.c), part of
 * probe_containers. */
void probe_cdi(struct facts_containers *c);
/* podman's OCI runtime from its containers.conf files (probe_runtime.c),
 * after podman itself was probed; for the user `uid`. */
void probe_oci_runtime(struct facts_containers *c, uid_t uid);
void probe_firmware(struct facts *f);

/* Parsers behind the probes, exposed for unit tests and fuzzing. */
void parse_cmdline(struct facts_kernel *k, const char *text, size_t len);
/* One "key value" line of a KFD properties file at a time. Returns false
 * when the key is absent or the value is not a number. */
bool kfd_properties_get(const char *text, size_t len, const char *key, uint64_t *out);
/* "MemTotal:  131072 kB" -> bytes. */
bool meminfo_get(const char *text, const char *key, uint64_t *out_bytes);
/* Splits one os-release line value, removing quotes and escapes. */
char *os_release_get(const char *text, const char *key);
/* One CDI spec file (YAML or JSON): its devices, "KIND=NAME", appended to
 * c's list (duplicates skipped). Malformed text adds nothing. */
void cdi_spec_devices(const char *text, size_t len, struct facts_containers *c);
/* The `runtime` under [engine] of one containers.conf text, into *out
 * (replacing it; a path gives its last component). False when the text
 * sets none. */
bool containers_conf_runtime(const char *text, size_t len, char **out);

/* Probes that load foreign libraries run in a child process, so that an ICD
 * or runtime that hangs or crashes cannot take the launcher down; they start
 * together with the cheap probes and are collected at the end. */
struct probe_child {
    pid_t pid; /* 0 when not started */
    int fd;    /* read end of the result pipe */
    const char *what;
};

/* Forks a child that runs fn(out_fd) and exits; fn writes its result (a
 * JSON document) to out_fd. Returns -1 (and leaves pid 0) when fork fails. */
int probe_child_start(struct probe_child *c, const char *what, void (*fn)(int out_fd));
/* Reads the child's output until EOF or the deadline (milliseconds from
 * now), then reaps it (killing it on timeout). Returns 0 with the output, or
 * -1 with a one-line reason in `why` ("timed out after 5000 ms", "killed by
 * signal 11", "exited with status 3"). */
int probe_child_finish(struct probe_child *c, int timeout_ms, struct strbuf *out,
                       struct strbuf *why);

/* In a child: writes one record (a JSON object on one line) to the parent,
 * and frees it. */
struct cJSON;
void probe_child_emit(int fd, struct cJSON *rec);
/* Whether dlerror()'s text for `name` says the file does not exist (as
 * opposed to a library that exists but does not load). */
bool probe_dl_not_found(const char *name, const char *dlerr);

/* Vulkan (libvulkan.so.1) and HIP (libamdhip64.so) in child processes.
 * finish collects the child's raw output into `out` and applies it; apply
 * does the same for an output kept from an earlier run. Both return true
 * when the answer was complete (the child neither failed nor timed out):
 * only such answers are worth caching. */
void probe_vulkan_start(struct probe_child *c);
bool probe_vulkan_finish(struct probe_child *c, struct facts_vulkan *vk, int timeout_ms,
                         struct strbuf *out);
bool probe_vulkan_apply(const struct strbuf *out, bool child_ok, const char *why,
                        struct facts_vulkan *vk);
void probe_hip_start(struct probe_child *c);
bool probe_hip_finish(struct probe_child *c, struct facts_rocm *rocm, int timeout_ms,
                      struct strbuf *out);
bool probe_hip_apply(const struct strbuf *out, bool child_ok, const char *why,
                     struct facts_rocm *rocm);

/* The per-boot cache of the two child probes' raw answers (probe_cache.c):
 * a key of everything those answers depend on, and load/store under it. */
void probe_cache_key(struct strbuf *key);
bool probe_cache_load(const char *key, struct strbuf *vulkan_out, struct strbuf *hip_out);
void probe_cache_store(const char *key, const char *vulkan_out, const char *hip_out);

/* The default deadline for a child probe; HALOBOX_PROBE_TIMEOUT_MS overrides. */
int probe_timeout_ms(void);

/* Runs every probe (the child ones in parallel with the rest, or from the
 * cache unless `fresh`) and derives. */
void probe_all(struct facts *f, bool fresh);

#endif
