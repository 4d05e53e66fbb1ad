/* What the probe unit tests share: timing, a check that no child process
 * was left behind, fixture paths, and a probe child that just writes given
 * text (to test the parent's reading of records on its own). */
#ifndef HALOBOX_PROBE_HELPERS_H
#define HALOBOX_PROBE_HELPERS_H

#include "host/probe.h"
#include "util/strbuf.h"

long long now_ms(void);
/* True when this process has no child left to reap. */
bool no_children_left(void);
/* tests/fixtures/REL, relative to this source file. */
void fixture_path(struct strbuf *sb, const char *rel);
/* Starts a probe child that writes `text`, then exits with exit_code. */
int start_child_writing(struct probe_child *c, const char *what, const char *text, int exit_code);

#endif
