/* Starting child programs: always an argv, never a shell string. */
#ifndef HALOBOX_RUN_H
#define HALOBOX_RUN_H

#include "error.h"
#include "strbuf.h"

/* Runs argv[0] (an absolute path, or looked up in PATH), captures up to
 * max_bytes of its standard output (stderr goes to /dev/null), and waits at
 * most timeout_ms, killing it after that. Returns 0 when it exited with
 * status 0, else -1 with the reason in err. */
int run_capture(const char *const argv[], int timeout_ms, size_t max_bytes, struct strbuf *out,
                struct hb_error *err);

/* The first executable called `name` in PATH (or NULL). */
char *find_in_path(const char *name);

/* run_capture, remembered in the user's cache directory as long as the file
 * `key_path` (the program, or the database it reads) keeps its inode, size
 * and modification time: the answer cannot have changed while it has. */
int run_capture_cached(const char *const argv[], const char *key_path, int timeout_ms,
                       struct strbuf *out, struct hb_error *err);

#endif
