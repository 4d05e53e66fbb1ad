/* Kernel facts: the command line, the release, the TTM page limit in effect
 * and the memory the OS has. */
#include "util/common.h"

#include <ctype.h>
#include <errno.h>
#include <unistd.h>

#include "host/probe.h"
#include "host/sysroot.h"
#include "util/text.h"

/* /proc/cmdline is at most a few KiB (COMMAND_LINE_SIZE is 2048 on x86 and
 * 4096 elsewhere); allow more so an odd boot loader is not cut short. */
#define CMDLINE_MAX (64 * 1024)

/* Splits the command line the way the kernel's next_arg() does: white space
 * separates parameters except inside double quotes; the first '=' splits key
 * and value; quotes around a value or a whole parameter are removed.
 * Parameters after a lone "--" belong to init, not the kernel. */
void parse_cmdline(struct facts_kernel *k, const char *text, size_t len)
{
    size_t i = 0;
    k->params_known = true;
    while (i < len) {
        while (i < len && (isspace((unsigned char)text[i]) || text[i] == '\0'))
            i++;
        if (i >= len)
            break;
        size_t start = i;
        bool in_quote = false;
        size_t equals = SIZE_MAX;
        for (; i < len && text[i] != '\0'; i++) {
            if (isspace((unsigned char)text[i]) && !in_quote)
                break;
            if (equals == SIZE_MAX && text[i] == '=')
                equals = i;
            if (text[i] == '"')
                in_quote = !in_quote;
        }
        size_t end = i;
        const char *key = text + start;
        size_t key_len = (equals == SIZE_MAX ? end : equals) - start;
        const char *value = "";
        size_t value_len = 0;
        if (equals != SIZE_MAX) {
            value = text + equals + 1;
            value_len = end - equals - 1;
        }
        if (key_len == 2 && !memcmp(key, "--", 2) && equals == SIZE_MAX)
            break;
        /* A quote opening the whole parameter, or the value. */
        if (key_len && key[0] == '"') {
            key++;
            key_len--;
            if (equals == SIZE_MAX && key_len && key[key_len - 1] == '"')
                key_len--;
        }
        if (value_len && value[0] == '"') {
            value++;
            value_len--;
        }
        if (value_len && value[value_len - 1] == '"')
            value_len--;
        if (key_len)
            facts_add_param(k, key, key_len, value, value_len);
    }
}

static void read_cmdline(struct facts_kernel *k)
{
    struct strbuf sb = STRBUF_INIT;
    struct hb_error err = HB_ERROR_INIT;
    if (sysroot_read("/proc/cmdline", CMDLINE_MAX, &sb, &err) == 0) {
        strbuf_rtrim(&sb);
        /* A kernel always has a command line (at least the boot image or
         * the root device), and never one of binary junk: either means the
         * file is not what it should be, so the line stays unknown rather
         * than proving anything by what it lacks. */
        if (sb.len && text_is_clean(sb.buf, sb.len)) {
            k->cmdline = xstrdup(sb.buf);
            parse_cmdline(k, sb.buf, sb.len);
        }
    }
    hb_error_release(&err);
    strbuf_release(&sb);
}

static void read_ttm_limit(struct facts_kernel *k)
{
    uint64_t pages;
    /* amdgpu-dkms ships its own TTM (amdttm): when it is loaded, its limit
     * is the one amdgpu obeys and ttm.pages_limit does nothing. A value of
     * 0 means the module has not computed its default yet: unknown. */
    if (sysroot_read_u64("/sys/module/amdttm/parameters/pages_limit", &pages) && pages) {
        k->ttm_pages_limit = OPT_U64(pages);
        k->ttm_module = xstrdup("amdttm");
    } else if (sysroot_read_u64("/sys/module/ttm/parameters/pages_limit", &pages) && pages) {
        k->ttm_pages_limit = OPT_U64(pages);
        k->ttm_module = xstrdup("ttm");
    }
}

void probe_kernel(struct facts *f)
{
    struct strbuf sb = STRBUF_INIT;
    if (sysroot_read_value("/proc/sys/kernel/osrelease", &sb) && sb.len)
        f->kernel.release = xstrdup(sb.buf);
    strbuf_release(&sb);
    read_cmdline(&f->kernel);
    read_ttm_limit(&f->kernel);
}

bool meminfo_get(const char *text, const char *key, uint64_t *out_bytes)
{
    size_t key_len = strlen(key);
    for (const char *line = text; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, key, key_len) || line[key_len] != ':')
            continue;
        const char *p = line + key_len + 1;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!isdigit((unsigned char)*p))
            return false;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno)
            return false;
        while (*end == ' ')
            end++;
        uint64_t unit = 1;
        if (!strncmp(end, "kB", 2))
            unit = 1024;
        if (v > UINT64_MAX / unit)
            return false;
        *out_bytes = v * unit;
        return true;
    }
    return false;
}

void probe_memory(struct facts *f)
{
    struct strbuf sb = STRBUF_INIT;
    struct hb_error err = HB_ERROR_INIT;
    uint64_t v;
    if (sysroot_read("/proc/meminfo", 64 * 1024, &sb, &err) == 0) {
        sb.len = strlen(sb.buf);
        if (meminfo_get(sb.buf, "MemTotal", &v) && v)
            f->memory.total_bytes = OPT_U64(v);
        if (meminfo_get(sb.buf, "MemAvailable", &v))
            f->memory.available_bytes = OPT_U64(v);
    }
    hb_error_release(&err);
    strbuf_release(&sb);
    /* The page size is the running kernel's; a fixture tree cannot change
     * it, and every host halobox targets uses 4 KiB pages anyway. */
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0)
        f->memory.page_size = OPT_U64((uint64_t)page);
}
