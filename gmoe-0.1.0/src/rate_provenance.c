/* rate_provenance.c -- see rate_provenance.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

#include "build_info.h"
#include "rate_provenance.h"

void rate_host_and_time(char *host, size_t host_size, char *when, size_t when_size)
{
    if (gethostname(host, host_size) != 0)
        snprintf(host, host_size, "unknown");
    host[host_size - 1] = '\0';
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(when, when_size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(when, when_size, "unknown");
}

/* The "model name" line of /proc/cpuinfo, or "unknown". */
static void cpu_model(char *buf, size_t size)
{
    snprintf(buf, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            colon += 1 + (colon[1] == ' ');
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(buf, size, "%s", colon);
            break;
        }
    }
    fclose(f);
}

/* The processor features that select code paths with other roundings:
 * the AVX2 clones of the hot loops (lib/vector_math.h) and the FMA and
 * AVX-512 variants glibc's libm and libmvec choose at run time. */
static json_t *cpu_features(void)
{
    json_t *o = json_object();
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    json_object_set_new(o, "avx2", json_boolean(__builtin_cpu_supports("avx2")));
    json_object_set_new(o, "fma", json_boolean(__builtin_cpu_supports("fma")));
    json_object_set_new(o, "avx512f", json_boolean(__builtin_cpu_supports("avx512f")));
#endif
    return o;
}

json_t *rate_provenance(void)
{
    json_t *p = json_object();
    if (!p)
        return NULL;
    char cpu[256], host[256], when[32];
    cpu_model(cpu, sizeof cpu);
    rate_host_and_time(host, sizeof host, when, sizeof when);
#ifdef GMOE_VECTOR_MATH
    int vector_math = 1;
#else
    int vector_math = 0;
#endif
    json_object_set_new(p, "commit", json_string(GMOE_BUILD_COMMIT));
    json_object_set_new(p, "dirty", json_string(GMOE_BUILD_DIRTY));
    json_object_set_new(p, "configure", json_string(GMOE_BUILD_CONFIGURE));
    json_object_set_new(p, "vector_math", json_boolean(vector_math));
    json_object_set_new(p, "compiler", json_string(GMOE_BUILD_CC " " __VERSION__));
    json_object_set_new(p, "cflags", json_string(GMOE_BUILD_CFLAGS));
#ifdef __GLIBC__
    json_object_set_new(p, "libc", json_string(gnu_get_libc_version()));
#else
    json_object_set_new(p, "libc", json_string("unknown"));
#endif
    json_object_set_new(p, "cpu", json_string(cpu));
    json_object_set_new(p, "cpu_features", cpu_features());
    json_object_set_new(p, "host", json_string(host));
    json_object_set_new(p, "started", json_string(when));
    return p;
}

const char *rate_provenance_difference(json_t *a, json_t *b)
{
    static const char *const keys[] = {"commit", "dirty", "vector_math", "compiler", "cflags", "libc", "cpu_features"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_equal(json_object_get(a, keys[i]), json_object_get(b, keys[i])))
            return keys[i];
    return NULL;
}
