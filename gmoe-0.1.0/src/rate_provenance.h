/* rate_provenance.h -- what made a mixrate run (mixrate(1), run.json's
 * "provenance"): the build (commit, dirty flag, configure arguments,
 * vector math, compiler) and the machine (processor features that change
 * the bits, C library), so that the run can be regenerated and a
 * difference explained. */
#ifndef GMOE_RATE_PROVENANCE_H
#define GMOE_RATE_PROVENANCE_H

#include <jansson.h>
#include <stddef.h>

/* A new JSON object (NULL when out of memory):
 *   commit, dirty ("yes", "no" or "unknown": tracked files differed from
 *   the commit when the tools were built), configure (the arguments),
 *   vector_math (libmvec's exp and log in the hot loops), compiler, cflags,
 *   libc (glibc version), cpu (model name), cpu_features (avx2, fma,
 *   avx512f: which vector code paths run), host, started (UTC). */
json_t *rate_provenance(void);

/* This machine's host name and the time now (UTC, ISO 8601), "unknown"
 * when not available. */
void rate_host_and_time(char *host, size_t host_size, char *when, size_t when_size);

/* The fields of a and b that decide the bits of the results (commit,
 * dirty, vector_math, compiler, cflags, libc, cpu_features): the name of
 * the first that differs, or NULL when they agree. */
const char *rate_provenance_difference(json_t *a, json_t *b);

#endif
