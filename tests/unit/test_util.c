/* Small utilities whose failure would lose data quietly: a signal held over a
 * short critical step arrives after it, not during; the atomic write leaves
 * only the whole file, even when it fails. */
#include "util/common.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "util/fs.h"
#include "util/signals_hold.h"

static volatile sig_atomic_t got_signal;

static void count_signal(int sig)
{
    (void)sig;
    got_signal++;
}

static void test_signals_held_until_released(void)
{
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = count_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    got_signal = 0;
    sigset_t saved;
    signals_hold(&saved);
    raise(SIGINT);
    raise(SIGTERM);
    CHECK(got_signal == 0);
    signals_release(&saved);
    CHECK(got_signal == 2);
    /* The mask is as it was: a later signal arrives at once. */
    raise(SIGINT);
    CHECK(got_signal == 3);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
}

static void test_atomic_write_leaves_whole_file_only(void)
{
    char dir[] = "/tmp/halobox-util-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
    strbuf_addf(&path, "%s/file", dir);
    CHECK(write_file_atomic(path.buf, "first", 5, 0600) == 0);
    CHECK(write_file_atomic(path.buf, "second", 6, 0600) == 0);
    CHECK(read_small_file(path.buf, 100, &text) == 0);
    CHECK_STR(text.buf, "second");
    CHECK_U64(test_dir_entries(dir), 1);
    /* A target that cannot be renamed over (a folder): the old content is
     * untouched, the temporary file gone, errno says why. */
    struct strbuf sub = STRBUF_INIT;
    strbuf_addf(&sub, "%s/sub", dir);
    CHECK(mkdir(sub.buf, 0700) == 0);
    strbuf_addstr(&sub, "/x");
    CHECK(mkdir(sub.buf, 0700) == 0);
    errno = 0;
    CHECK(write_file_atomic(sub.buf, "data", 4, 0600) < 0);
    CHECK(errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST);
    strbuf_reset(&text);
    strbuf_addf(&text, "%s/sub", dir);
    CHECK_U64(test_dir_entries(text.buf), 1);
    rmdir(sub.buf);
    rmdir(text.buf);
    unlink(path.buf);
    rmdir(dir);
    strbuf_release(&path);
    strbuf_release(&text);
    strbuf_release(&sub);
}

int main(void)
{
    RUN(test_signals_held_until_released);
    RUN(test_atomic_write_leaves_whole_file_only);
    return test_summary();
}
