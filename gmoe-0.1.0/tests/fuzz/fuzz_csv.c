/* fuzz_csv.c -- libFuzzer target: the CSV reader and the data checks.
 *
 * The input is a CSV file.  It is read (gmoe_table_read), turned into a
 * data set with the default columns (response last, optional) and, when
 * it has a response, checked as a fit of k = 2 experts would check it.
 * Any outcome is fine except a crash, a sanitizer report, a leak, or an
 * error without a message. */
#define _GNU_SOURCE /* memfd_create, in fuzz_file.h */
#include <stdint.h>
#include <stdlib.h>

#include "gmoe.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require_message(int status, const gmoe_err *err)
{
    if (status != GMOE_OK && err->msg[0] == '\0')
        abort(); /* every error must say what is wrong */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    gmoe_table *t = NULL;
    gmoe_err err;
    gmoe_err_clear(&err);
    int st = gmoe_table_read(path, &t, &err);
    require_message(st, &err);
    if (st != GMOE_OK)
        return 0;
    gmoe_data *d = NULL;
    gmoe_err_clear(&err);
    st = gmoe_data_from_table(t, NULL, NULL, 0, 1, &d, &err);
    require_message(st, &err);
    if (st == GMOE_OK && d->y && d->d > 0) {
        gmoe_err_clear(&err);
        require_message(gmoe_data_check_fit(d, 2, &err), &err);
    }
    gmoe_data_free(d);
    gmoe_table_free(t);
    return 0;
}
