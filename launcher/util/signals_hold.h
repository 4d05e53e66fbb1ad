/* Holding off Ctrl-C, SIGTERM and SIGHUP over a short step that must finish
 * or be undone as a whole (moving an import's files into place, renaming a
 * written file over its name): a signal that arrives meanwhile is delivered
 * when the step is over, after its own clean-up. Only for steps that take
 * milliseconds: a user's Ctrl-C must never wait on I/O of unknown length. */
#ifndef HALOBOX_SIGNALS_HOLD_H
#define HALOBOX_SIGNALS_HOLD_H

#include <signal.h>

void signals_hold(sigset_t *saved);
void signals_release(const sigset_t *saved);

#endif
