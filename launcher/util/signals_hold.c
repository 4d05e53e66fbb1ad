#include "common.h"

#include "signals_hold.h"

void signals_hold(sigset_t *saved)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, saved);
}

void signals_release(const sigset_t *saved)
{
    sigprocmask(SIG_SETMASK, saved, NULL);
}
