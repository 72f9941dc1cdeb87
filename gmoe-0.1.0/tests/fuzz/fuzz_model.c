/* fuzz_model.c -- libFuzzer target: the model-file reader, with a
 * write-read-write round trip.
 *
 * The input is a model file.  When it reads (gmoe_model_read), the model
 * must be valid (gmoe_model_check), be written (gmoe_model_to_json), read
 * back from that text, and be written again to the very same text: the
 * writer's %.17g numbers and key order make a model file a fixed point
 * after one trip.  Anything else (a crash, a sanitizer report, a leak, an
 * error without a message, a round trip that changes the text) aborts. */
#define _GNU_SOURCE /* memfd_create, in fuzz_file.h */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gmoe.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const gmoe_err *err)
{
    fprintf(stderr, "fuzz_model: %s: %s\n", what, err ? err->msg : "");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    gmoe_model *m = NULL, *again = NULL;
    gmoe_err err;
    gmoe_err_clear(&err);
    int st = gmoe_model_read(path, &m, &err);
    if (st != GMOE_OK) {
        if (err.msg[0] == '\0')
            fail("an error without a message", NULL);
        return 0;
    }
    if (gmoe_model_check(m, &err) != GMOE_OK)
        fail("a model that reads is not valid", &err);
    char *first = gmoe_model_to_json(m, &err);
    if (!first)
        fail("a model that reads cannot be written", &err);
    if (gmoe_model_from_json(first, "<written>", &again, &err) != GMOE_OK)
        fail("the written model does not read back", &err);
    char *second = gmoe_model_to_json(again, &err);
    if (!second)
        fail("the model read back cannot be written", &err);
    if (strcmp(first, second) != 0) {
        fprintf(stderr, "first:\n%s\nsecond:\n%s\n", first, second);
        fail("write-read-write changed the text", NULL);
    }
    free(first);
    free(second);
    gmoe_model_free(again);
    gmoe_model_free(m);
    return 0;
}
