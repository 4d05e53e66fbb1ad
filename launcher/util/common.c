#include "common.h"

static void oom(size_t size)
{
    fprintf(stderr, "halobox: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        oom(strlen(s) + 1);
    return p;
}

char *xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (!p)
        oom(n + 1);
    return p;
}

char *xstrdup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void *xgrow(void *array, size_t need, size_t *alloc, size_t elem_size)
{
    if (need <= *alloc)
        return array;
    size_t n = *alloc ? *alloc : 4;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem_size)
            oom(SIZE_MAX);
        n *= 2;
    }
    *alloc = n;
    return xrealloc(array, n * elem_size);
}

bool str_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

double round_scaled(double v, double scale)
{
    double q = v * scale;
    if (!(q > -9007199254740992.0 && q < 9007199254740992.0))
        return v;
    long long n = (long long)(q < 0 ? q - 0.5 : q + 0.5);
    return (double)n / scale;
}
