/* check_io.c -- tests of the CSV reader, data selection and checks, and
 * JSON model files. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gmoe.h"
#include "io.h"
#include "check_util.h"

#ifndef TEST_DATADIR
#define TEST_DATADIR "data"
#endif
#define DATA(f) TEST_DATADIR "/" f

/* status and err->code are `code`, and the message contains `needle`. */
#define ck_assert_err(status, e, want, needle)                                              \
    do {                                                                                     \
        ck_assert_msg((status) == (want), "status %d (%s), want %d; message: %s", (status), \
                      gmoe_strerror(status), (want), (e).msg);                               \
        ck_assert_int_eq((e).code, (want));                                                  \
        ck_assert_msg(strstr((e).msg, (needle)) != NULL, "message \"%s\" lacks \"%s\"",      \
                      (e).msg, (needle));                                                    \
    } while (0)

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* ================================================================ CSV */

START_TEST(csv_happy_path)
{
    gmoe_table *t = NULL;
    gmoe_err e;
    gmoe_err_clear(&e);
    int s = gmoe_table_read(DATA("good_crlf.csv"), &t, &e);
    ck_assert_msg(s == GMOE_OK, "%s", e.msg);
    ck_assert_uint_eq(t->ncol, 4);
    ck_assert_uint_eq(t->nrow, 3);
    ck_assert_str_eq(t->names[0], "id");
    ck_assert_str_eq(t->names[1], "x 1");
    ck_assert_str_eq(t->names[2], "x2");
    ck_assert_str_eq(t->names[3], "y");
    ck_assert_int_eq(gmoe_table_column(t, "x 1"), 1);
    ck_assert_int_eq(gmoe_table_column(t, "nope"), -1);
    /* the id column is not numeric: recorded, not refused */
    ck_assert_uint_eq(t->bad_line[0], 2);
    ck_assert_str_eq(t->bad_text[0], "a,b");
    ck_assert(isnan(t->cells[0]));
    for (size_t j = 1; j < 4; j++) {
        ck_assert_uint_eq(t->bad_line[j], 0);
        ck_assert_ptr_null(t->bad_text[j]);
    }
    double want[3][3] = {{1.5, 2, 3}, {-2e3, 0.25, 4}, {7, 1e-300, 5}};
    for (size_t r = 0; r < 3; r++)
        for (size_t j = 0; j < 3; j++)
            ck_assert(same_double(t->cells[r * 4 + j + 1], want[r][j]));
    gmoe_table_free(t);
}
END_TEST

START_TEST(csv_bom_and_no_final_newline)
{
    gmoe_table *t = NULL;
    gmoe_err e;
    ck_assert_int_eq(gmoe_table_read(DATA("bom.csv"), &t, &e), GMOE_OK);
    ck_assert_str_eq(t->names[0], "x");
    ck_assert_uint_eq(t->nrow, 2);
    ck_assert(t->cells[3] == 4.0);
    gmoe_table_free(t);
}
END_TEST

START_TEST(csv_numbers)
{
    gmoe_table *t = NULL;
    gmoe_err e;
    ck_assert_int_eq(gmoe_table_read(DATA("numbers.csv"), &t, &e), GMOE_OK);
    ck_assert_uint_eq(t->bad_line[0], 2); /* no hexadecimal */
    ck_assert_str_eq(t->bad_text[0], "0x10");
    ck_assert_uint_eq(t->bad_line[1], 0); /* underflow is not an error */
    ck_assert(t->cells[1] == 0.0);
    ck_assert(t->cells[2] == 5.0); /* blanks and tabs around a number */
    ck_assert_uint_eq(t->bad_line[3], 2);
    ck_assert(isnan(t->cells[3]));
    ck_assert(t->cells[4] == 2.5e-320);
    gmoe_table_free(t);
}
END_TEST

/* The decimals gmoe_io_decimal converts are strtod's doubles, bit for bit:
 * random ones of 1 to 19 digits at every place of the point and with
 * exponents, halfway cases between doubles (a tie, and a digit past it
 * either way), and it leaves to strtod what it does not convert. */
static uint64_t lcg_next(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return *state >> 11;
}

static void check_decimal(const char *text)
{
    double fast = NAN, slow = strtod(text, NULL);
    if (gmoe_io_decimal(text, strlen(text), '.', &fast))
        ck_assert_msg(same_double(fast, slow), "\"%s\": %.17g, strtod %.17g", text, fast, slow);
}

START_TEST(decimal_as_strtod)
{
    uint64_t st = 12345;
    char buf[64];
    size_t taken = 0;
    for (int c = 0; c < 400000; c++) {
        int ndig = 1 + (int)(lcg_next(&st) % 19), point = (int)(lcg_next(&st) % (unsigned)(ndig + 1));
        size_t len = 0;
        if (lcg_next(&st) % 4 == 0)
            buf[len++] = '-';
        for (int i = 0; i < ndig; i++) {
            if (i == point)
                buf[len++] = '.';
            buf[len++] = (char)('0' + lcg_next(&st) % 10);
        }
        if (lcg_next(&st) % 3 == 0)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "e%d", (int)(lcg_next(&st) % 41) - 20);
        buf[len] = '\0';
        check_decimal(buf);
        double v;
        taken += gmoe_io_decimal(buf, len, '.', &v);
    }
    ck_assert_uint_gt(taken, 300000); /* most of them taken, not left to strtod */
    /* ties and near-ties: the midpoint of two neighbouring doubles (exact
     * in a long double's 64-bit mantissa), rounded to 16 to 20 digits
     * (just below or above it), and written in full when it is an integer */
    for (int c = 0; c < 20000; c++) {
        long double mant = (long double)((lcg_next(&st) >> 1) | (1ULL << 52)) * 2 + 1;
        int e = (int)(lcg_next(&st) % 120) - 100;
        long double mid = ldexpl(mant, e - 1);
        for (int cut = 15; cut <= 19; cut++) {
            snprintf(buf, sizeof buf, "%.*Le", cut, mid);
            check_decimal(buf);
        }
        if (e >= 1 && e <= 11) {
            snprintf(buf, sizeof buf, "%.0Lf", mid);
            check_decimal(buf);
        }
    }
    const char *fixed[] = {"9007199254740993", "9007199254740995", "18446744073709551615", "0.1",
                           "0.30000000000000004", "4503599627370496.5", "4503599627370497.5",
                           "1.7976931348623157e308", "2.2250738585072014e-308", "-0", "+.5", "5.",
                           "1e19", "1e-19", "9999999999999999999e19", "1e-38", "123456789012345678e-19"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        check_decimal(fixed[i]);
    const char *left[] = {"1e", "1e+", ".", "-", "0x10", "inf", "1,5", "1.5.", "12345678901234567890",
                          "1e-20", "1 ", "1e100000"};
    for (size_t i = 0; i < sizeof left / sizeof *left; i++) {
        double v = 7.0;
        ck_assert_msg(!gmoe_io_decimal(left[i], strlen(left[i]), '.', &v) && v == 7.0, "\"%s\"", left[i]);
    }
    double v;
    ck_assert(gmoe_io_decimal("2,5", 3, ',', &v) && v == 2.5);
    ck_assert(!gmoe_io_decimal("2.5", 3, ',', &v));
}
END_TEST

static const struct {
    const char *file, *where, *what;
} csv_errors[] = {
    {"empty.csv", "empty.csv:1:1: ", "empty file"},
    {"header_only.csv", "header_only.csv:2:1: ", "no data rows"},
    {"ragged_short.csv", "ragged_short.csv:3:4: ", "row has 2 fields, header has 3"},
    {"ragged_long.csv", "ragged_long.csv:3:5: ", "row has 3 fields, header has 2"},
    {"ragged_multiline.csv", "ragged_multiline.csv:4:4: ", "row has 2 fields, header has 3"},
    {"empty_name.csv", "empty_name.csv:1:3: ", "empty column name (column 2)"},
    {"dup_name.csv", "dup_name.csv:1:5: ", "duplicate column name \"a\" (columns 1 and 3)"},
    {"unterminated.csv", "unterminated.csv:2:3: ", "unterminated quoted field"},
    {"after_quote.csv", "after_quote.csv:2:4: ", "after a closing quote"},
    {"quote_in_field.csv", "quote_in_field.csv:2:4: ", "quote inside an unquoted field"},
    {"blank_middle.csv", "blank_middle.csv:3:1: ", "blank line inside the data"},
    {"bare_cr.csv", "bare_cr.csv:1:4: ", "carriage return not followed by a line feed"},
    {"utf8_ragged.csv", "utf8_ragged.csv:2:6: ", "row has 2 fields, header has 3"}, /* characters, not bytes */
};

START_TEST(csv_format_errors)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TEST_DATADIR, csv_errors[_i].file);
    gmoe_table *t = (gmoe_table *)1;
    gmoe_err e;
    int s = gmoe_table_read(path, &t, &e);
    ck_assert_ptr_null(t);
    ck_assert_err(s, e, GMOE_EFORMAT, csv_errors[_i].where);
    ck_assert_err(s, e, GMOE_EFORMAT, csv_errors[_i].what);
    ck_assert_err(s, e, GMOE_EFORMAT, path); /* the file as given */
}
END_TEST

START_TEST(csv_missing_file)
{
    gmoe_table *t = NULL;
    gmoe_err e;
    int s = gmoe_table_read(DATA("no-such-file.csv"), &t, &e);
    ck_assert_err(s, e, GMOE_EIO, "no-such-file.csv: ");
    ck_assert_ptr_null(t);
    s = gmoe_table_read(TEST_DATADIR, &t, &e); /* a directory */
    ck_assert_err(s, e, GMOE_EIO, TEST_DATADIR);
}
END_TEST

/* ================================================================ data */

static gmoe_table *bad_cells(void)
{
    gmoe_table *t = NULL;
    gmoe_err e;
    ck_assert_int_eq(gmoe_table_read(DATA("bad_cells.csv"), &t, &e), GMOE_OK);
    return t;
}

START_TEST(data_select_ok)
{
    gmoe_table *t = bad_cells();
    gmoe_data *d = NULL;
    gmoe_err e;
    const char *xs[] = {"x1"};
    /* the non-numeric id column is not selected, so it is harmless */
    int s = gmoe_data_from_table(t, "y", xs, 1, 0, &d, &e);
    ck_assert_msg(s == GMOE_OK, "%s", e.msg);
    ck_assert_uint_eq(d->n, 4);
    ck_assert_uint_eq(d->d, 1);
    ck_assert_str_eq(d->xnames[0], "x1");
    ck_assert_str_eq(d->yname, "y");
    ck_assert(d->x[3] == 4 && d->y[3] == 8);
    gmoe_data_free(d);
    /* a response that may be absent */
    s = gmoe_data_from_table(t, "z", xs, 1, 1, &d, &e);
    ck_assert_int_eq(s, GMOE_OK);
    ck_assert_ptr_null(d->y);
    ck_assert_ptr_null(d->yname);
    gmoe_data_free(d);
    /* yname NULL: the last column; optional response selected as covariate: none */
    const char *xy[] = {"x1", "y"};
    ck_assert_int_eq(gmoe_data_from_table(t, NULL, xy, 2, 1, &d, &e), GMOE_OK);
    ck_assert_ptr_null(d->y);
    ck_assert_uint_eq(d->d, 2);
    gmoe_data_free(d);
    ck_assert_int_eq(gmoe_data_from_table(t, NULL, xs, 1, 0, &d, &e), GMOE_OK);
    ck_assert_str_eq(d->yname, "y");
    gmoe_data_free(d);
    gmoe_table_free(t);
}
END_TEST

static const struct {
    const char *x1, *x2, *msg;
} data_errors[] = {
    {"x2", NULL, "bad_cells.csv:3: column \"x2\": \"abc\" is not a number"},
    {"x3", NULL, "bad_cells.csv:3: column \"x3\": non-finite value \"inf\""},
    {"x4", NULL, "bad_cells.csv:2: column \"x4\": \"1e999\" is out of the range of a double"},
    {"x5", NULL, "bad_cells.csv:4: column \"x5\": missing value"},
    {"x3", "x4", "bad_cells.csv:2: column \"x4\""}, /* the first bad line wins */
    {"foo", NULL, "bad_cells.csv: no column named \"foo\" (columns: id, x1, x2, x3, x4, x5, y)"},
    {"x1", "y", "bad_cells.csv: column \"y\" is both the response and a covariate"},
    {"x1", "x1", "bad_cells.csv: column \"x1\" is selected twice"},
};

START_TEST(data_select_errors)
{
    gmoe_table *t = bad_cells();
    gmoe_data *d = (gmoe_data *)1;
    gmoe_err e;
    const char *xs[] = {data_errors[_i].x1, data_errors[_i].x2};
    int s = gmoe_data_from_table(t, "y", xs, xs[1] ? 2 : 1, 0, &d, &e);
    ck_assert_err(s, e, GMOE_EDATA, data_errors[_i].msg);
    ck_assert_ptr_null(d);
    gmoe_table_free(t);
}
END_TEST

START_TEST(data_select_defaults_errors)
{
    gmoe_table *t = bad_cells();
    gmoe_data *d = NULL;
    gmoe_err e;
    /* every other column, including the id column */
    int s = gmoe_data_from_table(t, NULL, NULL, 0, 0, &d, &e);
    ck_assert_err(s, e, GMOE_EDATA, "bad_cells.csv:2: column \"id\": \"a\" is not a number");
    s = gmoe_data_from_table(t, "yy", NULL, 0, 0, &d, &e);
    ck_assert_err(s, e, GMOE_EDATA, "no column named \"yy\"");
    gmoe_table_free(t);
}
END_TEST

/* A data set from columns given as functions of the row index. */
static gmoe_data *make_data(size_t n, size_t d, double (*f)(size_t r, size_t j), int named)
{
    gmoe_data *data = calloc(1, sizeof *data);
    data->n = n;
    data->d = d;
    data->x = malloc(n * d * sizeof(double));
    data->y = malloc(n * sizeof(double));
    for (size_t r = 0; r < n; r++) {
        for (size_t j = 0; j < d; j++)
            data->x[r * d + j] = f(r, j);
        data->y[r] = sin((double)r);
    }
    if (named) {
        data->xnames = calloc(d, sizeof(char *));
        for (size_t j = 0; j < d; j++) {
            data->xnames[j] = malloc(24);
            snprintf(data->xnames[j], 24, "x%zu", j + 1);
        }
        data->yname = malloc(2);
        strcpy(data->yname, "y");
    }
    return data;
}

static double f_good(size_t r, size_t j) { return cos((double)(r * (j + 2))) * pow(10.0, (double)j * 3); }
static double f_const(size_t r, size_t j) { return j == 1 ? 3.0 : (double)r; }
/* x3 = 2e6 x1 - x2, with x2 and x3 a million times larger than x1 (the
 * test is scale-free); x4 unrelated */
static double f_collinear(size_t r, size_t j)
{
    double x1 = cos((double)r), x2 = 1e6 * sin(3.0 * (double)r), x4 = cos(7.0 * (double)r * (double)r);
    return j == 0 ? x1 : j == 1 ? x2 : j == 2 ? 2e6 * x1 - x2 : x4;
}
/* x2 = 5 - 3 x1: collinear only together with the intercept */
static double f_affine(size_t r, size_t j) { return j == 0 ? (double)r : 5.0 - 3.0 * (double)r; }

START_TEST(data_check_fit)
{
    gmoe_err e;
    gmoe_data *d = make_data(40, 3, f_good, 1);
    ck_assert_msg(gmoe_data_check_fit(d, 3, &e) == GMOE_OK, "%s", e.msg);
    int s = gmoe_data_check_fit(d, 9, &e); /* needs (3 + 2) * 9 = 45 rows */
    ck_assert_err(s, e, GMOE_EDATA, "need at least (d + 2) * k = 45 rows, the data have 40");
    gmoe_data_free(d);

    d = make_data(40, 3, f_const, 1);
    s = gmoe_data_check_fit(d, 2, &e);
    ck_assert_err(s, e, GMOE_EDATA, "covariate \"x2\" is constant (every row is 3)");
    gmoe_data_free(d);

    d = make_data(40, 4, f_collinear, 1);
    s = gmoe_data_check_fit(d, 2, &e);
    ck_assert_err(s, e, GMOE_EDATA, "covariates are collinear");
    ck_assert_err(s, e, GMOE_EDATA, "\"x1\", \"x2\", \"x3\" (");
    gmoe_data_free(d);

    d = make_data(40, 2, f_affine, 0);
    s = gmoe_data_check_fit(d, 2, &e);
    ck_assert_err(s, e, GMOE_EDATA, "collinear (with the intercept): 1, 2");
    gmoe_data_free(d);

    d = make_data(40, 2, f_good, 1);
    d->x[17] = NAN;
    s = gmoe_data_check_fit(d, 2, &e);
    ck_assert_err(s, e, GMOE_EDATA, "row 9: covariate \"x2\" is not finite");
    for (size_t r = 0; r < d->n; r++)
        d->x[2 * r + 1] = f_good(r, 1), d->y[r] = 2.5;
    s = gmoe_data_check_fit(d, 2, &e);
    ck_assert_err(s, e, GMOE_EDATA, "the response \"y\" is constant");
    free(d->y);
    d->y = NULL;
    s = gmoe_data_check_fit(d, 2, &e);
    ck_assert_err(s, e, GMOE_EDATA, "no response");
    gmoe_data_free(d);
}
END_TEST

/* ================================================================ models */

/* A softmax model with awkward numbers everywhere but the pinned gate. */
static gmoe_model *awkward(void)
{
    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, 3, 2);
    const double v[] = {0.1, 1.0 / 3.0, 1e-300, -8, -0.0, 5e-324, DBL_MAX, -DBL_MIN,
                        1e22, 123456789.123456789, 3.141592653589793, 9007199254740993.0, -2.0 / 3.0, 1e300};
    size_t nv = sizeof v / sizeof *v, p = 0;
    for (size_t i = 0; i < 2; i++) {
        m->beta0[i] = v[p++ % nv];
        m->beta1[i * 2] = v[p++ % nv];
        m->beta1[i * 2 + 1] = v[p++ % nv];
    }
    for (size_t i = 0; i < 3; i++) {
        m->a[i * 2] = v[p++ % nv];
        m->a[i * 2 + 1] = v[p++ % nv];
        m->b[i] = v[p++ % nv];
    }
    m->sigma2[0] = 1.0 / 3.0;
    m->sigma2[1] = 1e-300;
    m->sigma2[2] = DBL_MAX;
    const char *xn[] = {"x \"quoted\"", "\xC3\xA9t\xC3\xA9"}; /* "été" */
    gmoe_model_set_names(m, xn, "y\\back");
    m->has_fit = 1;
    m->fit.loglik = -1.0 / 7.0;
    m->fit.aic = NAN; /* written as null */
    m->fit.bic = 0.1;
    m->fit.icl = -1e-300;
    m->fit.npar = 13;
    m->fit.iterations = 1000;
    m->fit.converged = 0;
    m->fit.stop = GMOE_STOP_MAXITER;
    m->fit.n = 100000;
    m->fit.seed = (uint64_t)INT64_MAX;
    m->fit.restarts = 10;
    m->fit.best_restart = 9;
    return m;
}

static int same_vec(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

static void assert_same_model(const gmoe_model *a, const gmoe_model *b)
{
    size_t k = a->k, d = a->d;
    ck_assert_int_eq(a->family, b->family);
    ck_assert_uint_eq(a->k, b->k);
    ck_assert_uint_eq(a->d, b->d);
    ck_assert(same_vec(a->beta0, b->beta0, k));
    ck_assert(same_vec(a->beta1, b->beta1, k * d));
    ck_assert(same_vec(a->a, b->a, k * d));
    ck_assert(same_vec(a->b, b->b, k));
    ck_assert(same_vec(a->sigma2, b->sigma2, k));
    ck_assert(same_double(a->tau, b->tau));
    ck_assert_uint_eq(a->top_k, b->top_k);
    ck_assert_int_eq(a->select, b->select);
    ck_assert_int_eq(a->act, b->act);
    ck_assert_int_eq(a->bias, b->bias);
    ck_assert_int_eq(a->tau_estimated, b->tau_estimated);
    ck_assert_int_eq(!a->xnames, !b->xnames);
    for (size_t j = 0; a->xnames && j < d; j++)
        ck_assert_str_eq(a->xnames[j], b->xnames[j]);
    ck_assert_int_eq(!a->yname, !b->yname);
    if (a->yname)
        ck_assert_str_eq(a->yname, b->yname);
    ck_assert_int_eq(a->has_fit, b->has_fit);
    if (a->has_fit) {
        const gmoe_fit_info *f = &a->fit, *g = &b->fit;
        ck_assert(same_double(f->loglik, g->loglik) || (isnan(f->loglik) && isnan(g->loglik)));
        ck_assert(same_double(f->aic, g->aic) || (isnan(f->aic) && isnan(g->aic)));
        ck_assert(same_double(f->bic, g->bic) || (isnan(f->bic) && isnan(g->bic)));
        ck_assert(same_double(f->icl, g->icl) || (isnan(f->icl) && isnan(g->icl)));
        ck_assert_uint_eq(f->npar, g->npar);
        ck_assert_uint_eq(f->iterations, g->iterations);
        ck_assert_int_eq(f->converged, g->converged);
        ck_assert_int_eq(f->stop, g->stop);
        ck_assert_uint_eq(f->n, g->n);
        ck_assert(f->seed == g->seed);
        ck_assert_uint_eq(f->restarts, g->restarts);
        ck_assert_uint_eq(f->best_restart, g->best_restart);
    }
}

START_TEST(model_round_trip_string)
{
    gmoe_err e;
    gmoe_model *m = awkward(), *back = NULL;
    ck_assert_msg(gmoe_model_check(m, &e) == GMOE_OK, "%s", e.msg);
    char *s = gmoe_model_to_json(m, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    ck_assert_msg(gmoe_model_from_json(s, "awkward.json", &back, &e) == GMOE_OK, "%s\n%s", e.msg, s);
    assert_same_model(m, back);
    char *s2 = gmoe_model_to_json(back, &e);
    ck_assert_str_eq(s, s2); /* writing is deterministic */
    ck_assert(strstr(s, "0.1,") || strstr(s, "0.1]")); /* shortest digits, not 0.10000000000000001 */
    ck_assert(strstr(s, "\"aic\": null"));
    free(s);
    free(s2);
    gmoe_model_free(m);
    gmoe_model_free(back);
}
END_TEST

START_TEST(model_round_trip_file)
{
    gmoe_err e;
    gmoe_model *m = NULL, *back = NULL;
    ck_assert_int_eq(gmoe_model_read(DATA("model_softmax.json"), &m, &e), GMOE_OK);
    ck_assert(m->beta1[0] == 25 && m->sigma2[1] == 0.16 && m->fit.seed == 7 && m->fit.converged);
    ck_assert_str_eq(m->xnames[0], "x");
    char path[64];
    snprintf(path, sizeof path, "check_io-%ld.json", (long)getpid());
    FILE *f = fopen(path, "w"); /* an old file the write must replace */
    fputs("old", f);
    fclose(f);
    ck_assert_msg(gmoe_model_write(path, m, &e) == GMOE_OK, "%s", e.msg);
    ck_assert_msg(gmoe_model_read(path, &back, &e) == GMOE_OK, "%s", e.msg);
    assert_same_model(m, back);
    gmoe_model_free(back);
    /* a failed write leaves the old file and no temporary file */
    m->sigma2[0] = INFINITY;
    int s = gmoe_model_write(path, m, &e);
    ck_assert_err(s, e, GMOE_EINVAL, "expert 1: a parameter is not finite");
    ck_assert_int_eq(gmoe_model_read(path, &back, &e), GMOE_OK);
    gmoe_model_free(back);
    m->sigma2[0] = 0.09;
    s = gmoe_model_write("no-such-dir/x.json", m, &e);
    ck_assert_err(s, e, GMOE_EIO, "no-such-dir/x.json: cannot create a temporary file");
    DIR *dir = opendir(".");
    struct dirent *ent;
    while ((ent = readdir(dir)))
        ck_assert_msg(!strstr(ent->d_name, ".tmp"), "left behind: %s", ent->d_name);
    closedir(dir);
    unlink(path);
    gmoe_model_free(m);
}
END_TEST

START_TEST(model_write_stdout)
{
    gmoe_err e;
    gmoe_model *m = awkward(), *back = NULL;
    char path[64];
    snprintf(path, sizeof path, "check_io-%ld-stdout.json", (long)getpid());
    fflush(stdout);
    int saved = dup(1), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    close(fd);
    int s = gmoe_model_write("-", m, &e);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    ck_assert_msg(s == GMOE_OK, "%s", e.msg);
    ck_assert_msg(gmoe_model_read(path, &back, &e) == GMOE_OK, "%s", e.msg);
    assert_same_model(m, back);
    unlink(path);
    gmoe_model_free(m);
    gmoe_model_free(back);
}
END_TEST

/* A target that exists and is not a regular file is written in place, not
 * replaced by a renamed temporary file (as root, "-o /dev/null" once
 * replaced /dev/null).  A fifo shows both: the text arrives through it and
 * it is still a fifo afterwards.  A directory is refused, nothing left. */
START_TEST(write_atomic_special_files)
{
    gmoe_err e;
    char fifo[64];
    snprintf(fifo, sizeof fifo, "check_io-%ld.fifo", (long)getpid());
    unlink(fifo);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    /* our own non-blocking reader lets the writer open the fifo; the text
     * is far smaller than a pipe buffer, so the write cannot block */
    int rd = open(fifo, O_RDONLY | O_NONBLOCK);
    ck_assert_int_ge(rd, 0);
    const char text[] = "x,y\n1,2\n";
    int s = gmoe_io_write_atomic(fifo, text, strlen(text), &e);
    ck_assert_msg(s == GMOE_OK, "%s", e.msg);
    char got[64] = "";
    ssize_t n = read(rd, got, sizeof got - 1);
    close(rd);
    ck_assert_int_eq(n, (ssize_t)strlen(text));
    ck_assert_str_eq(got, text);
    struct stat st;
    ck_assert_int_eq(stat(fifo, &st), 0);
    ck_assert_msg(S_ISFIFO(st.st_mode), "the fifo was replaced");
    unlink(fifo);

    char dir[64];
    snprintf(dir, sizeof dir, "check_io-%ld.dir", (long)getpid());
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    s = gmoe_io_write_atomic(dir, text, strlen(text), &e);
    ck_assert_err(s, e, GMOE_EIO, dir);
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(rmdir(dir), 0);
    DIR *d = opendir(".");
    struct dirent *ent;
    while ((ent = readdir(d)))
        ck_assert_msg(!strstr(ent->d_name, ".tmp"), "left behind: %s", ent->d_name);
    closedir(d);
}
END_TEST

START_TEST(model_write_refuses)
{
    gmoe_err e;
    gmoe_model *m = awkward();
    m->fit.seed = (uint64_t)INT64_MAX + 1;
    char *s = gmoe_model_to_json(m, &e);
    ck_assert_ptr_null(s);
    ck_assert_err(GMOE_EINVAL, e, GMOE_EINVAL, "cannot write seed 9223372036854775808");
    m->fit.seed = 1;
    m->beta1[1] = NAN;
    ck_assert_ptr_null(gmoe_model_to_json(m, &e));
    ck_assert_err(GMOE_EINVAL, e, GMOE_EINVAL, "expert 1: a parameter is not finite");
    gmoe_model_free(m);
}
END_TEST

/* The other families: every key written and read back.  Their gating
 * code may not be in the library yet, in which case gmoe_model_check
 * (called last when reading) says so. */
START_TEST(model_round_trip_families)
{
    gmoe_err e;
    gmoe_family fam[] = {GMOE_TOPK, GMOE_TEMPERATURE, GMOE_ACTIVATION};
    for (size_t f = 0; f < 3; f++) {
        gmoe_model *m = gmoe_model_alloc(fam[f], 3, 1), *back = NULL;
        m->beta0[0] = 0.5;
        m->beta1[0] = -1.0 / 3.0;
        m->beta1[2] = fam[f] == GMOE_ACTIVATION ? 0.25 : 0.0; /* activation pins beta0 only */
        /* each family's own options (a file holds only those; the
         * others keep their defaults) */
        if (fam[f] != GMOE_TOPK) {
            m->tau = 0.7;
            m->tau_estimated = 1;
        } else {
            m->top_k = 2;
            m->select = GMOE_SELECT_LOGIT;
        }
        if (fam[f] == GMOE_ACTIVATION) {
            m->act = GMOE_ACT_SOFTSIGN;
            m->bias = GMOE_BIAS_INSIDE;
        }
        char *s = gmoe_model_to_json(m, &e);
        ck_assert_msg(s != NULL, "%s", e.msg);
        int has_tau = fam[f] != GMOE_TOPK;
        ck_assert_int_eq(strstr(s, "\"tau\": 0.7") != NULL, has_tau);
        ck_assert_int_eq(strstr(s, "\"activation\": \"softsign\"") != NULL, fam[f] == GMOE_ACTIVATION);
        ck_assert_int_eq(strstr(s, "\"top_k\": 2") != NULL, fam[f] == GMOE_TOPK);
        int st = gmoe_model_from_json(s, "fam.json", &back, &e);
        if (st == GMOE_OK) {
            assert_same_model(m, back);
        } else {
            ck_assert_err(st, e, GMOE_ENOTSUP, "fam.json: ");
            ck_assert_ptr_null(back);
        }
        free(s);
        gmoe_model_free(m);
        gmoe_model_free(back);
    }
}
END_TEST

#define E1 "{\"beta0\": 1, \"beta1\": [2], \"a\": [3], \"b\": 4, \"sigma2\": 5}"
#define E2 "{\"beta0\": 0, \"beta1\": [0], \"a\": [3], \"b\": 4, \"sigma2\": 5}"
#define SM "{\"family\": \"softmax\", "

static const struct {
    const char *json;
    int code;
    const char *msg;
} json_errors[] = {
    {SM "\"experts\": [" E1 ", " E2 "], \"sigmaa\": 1}", GMOE_EFORMAT, "m.json: unknown key \"sigmaa\""},
    {SM "\"experts\": [" E1 ", {\"beta0\": 0, \"beta1\": [0], \"a\": [3], \"b\": 4, \"sigma2\": \"5\"}]}",
     GMOE_EFORMAT, "m.json: expert 2: \"sigma2\" must be a number"},
    {SM "\"experts\": [" E1 ", {\"beta0\": 0, \"beta1\": [0], \"a\": [3], \"b\": 4, \"sigam2\": 5}]}",
     GMOE_EFORMAT, "m.json: expert 2: unknown key \"sigam2\""},
    {SM "\"experts\": [" E1 ", {\"beta0\": 0, \"beta1\": [0], \"a\": [3], \"sigma2\": 5}]}", GMOE_EFORMAT,
     "m.json: expert 2: missing \"b\""},
    {SM "\"experts\": [" E1 ", {\"beta0\": 0, \"beta1\": [0, 0], \"a\": [3], \"b\": 4, \"sigma2\": 5}]}",
     GMOE_EFORMAT, "m.json: expert 2: \"beta1\" must be an array of d = 1 number"},
    {SM "\"experts\": [" E1 ", {\"beta0\": 0, \"beta1\": [0], \"a\": [true], \"b\": 4, \"sigma2\": 5}]}",
     GMOE_EFORMAT, "m.json: expert 2: \"a\" entry 1 must be a number"},
    {SM "\"experts\": [{\"beta0\": 0, \"beta1\": [], \"a\": [], \"b\": 4, \"sigma2\": 5}]}", GMOE_EFORMAT,
     "m.json: expert 1: \"beta1\" must be a non-empty array"},
    {SM "\"k\": 3, \"experts\": [" E1 ", " E2 "]}", GMOE_EFORMAT, "m.json: \"k\" is 3 but there are 2 experts"},
    {SM "\"d\": 2, \"experts\": [" E1 ", " E2 "]}", GMOE_EFORMAT, "m.json: \"d\" is 2 but expert 1"},
    {SM "\"k\": -1, \"experts\": [" E1 ", " E2 "]}", GMOE_EFORMAT, "m.json: \"k\" must be an integer"},
    {"{\"experts\": [" E1 ", " E2 "]}", GMOE_EFORMAT, "m.json: missing \"family\""},
    {SM "\"k\": 2}", GMOE_EFORMAT, "m.json: missing \"experts\""},
    {"{\"family\": \"sofmax\", \"experts\": [" E1 "]}", GMOE_EFORMAT, "m.json: \"family\" must be one of"},
    {SM "\"tau\": 1, \"experts\": [" E1 ", " E2 "]}", GMOE_EFORMAT,
     "m.json: \"tau\" is not a key of family \"softmax\""},
    {"{\"family\": \"topk\", \"experts\": [" E1 ", " E2 "]}", GMOE_EFORMAT, "m.json: missing \"top_k\""},
    {"{\"family\": \"temperature\", \"tau\": \"1\", \"experts\": [" E1 ", " E2 "]}", GMOE_EFORMAT,
     "m.json: \"tau\" must be a number"},
    {"{\"family\": \"activation\", \"tau\": 1, \"activation\": \"relu\", \"experts\": [" E1 ", " E2 "]}",
     GMOE_EFORMAT, "m.json: \"activation\" must be one of"},
    {SM "\"x_names\": [\"a\", \"b\"], \"experts\": [" E1 ", " E2 "]}", GMOE_EFORMAT,
     "m.json: \"x_names\" must be an array of d = 1 string"},
    {SM "\"y_name\": 3, \"experts\": [" E1 ", " E2 "]}", GMOE_EFORMAT, "m.json: \"y_name\" must be a string"},
    {SM "\"experts\": [" E1 ", " E2 "], \"fit\": {\"loglik\": 1}}", GMOE_EFORMAT, "m.json: fit: missing \"aic\""},
    {SM "\"experts\": [" E1 ", " E2 "], \"fit\": {\"loglik\": 1, \"bogus\": 2}}", GMOE_EFORMAT,
     "m.json: fit: unknown key \"bogus\""},
    {SM "\"experts\": [" E1 ", " E2 "], \"fit\": {\"loglik\": 1, \"aic\": 1, \"bic\": 1, \"icl\": 1, "
        "\"npar\": 5, \"iterations\": 3, \"converged\": true, \"stop\": \"tolerance\", \"n\": 9, "
        "\"seed\": -4, \"restarts\": 1, \"best_restart\": 0}}",
     GMOE_EFORMAT, "m.json: fit: \"seed\" must be an integer from 0 to 9223372036854775807"},
    {SM "\"experts\": [" E1 ", " E2 "], \"fit\": {\"loglik\": 1, \"aic\": 1, \"bic\": 1, \"icl\": 1, "
        "\"npar\": 5, \"iterations\": 3, \"converged\": true, \"stop\": \"max-iterations\", \"n\": 9, "
        "\"seed\": 4, \"restarts\": 1, \"best_restart\": 0}}",
     GMOE_EFORMAT, "m.json: fit: \"converged\" is true but \"stop\" is \"max-iterations\""},
    /* rules of gmoe_model_check, prefixed with the source name */
    {SM "\"experts\": [" E1 ", {\"beta0\": 0, \"beta1\": [0], \"a\": [3], \"b\": 4, \"sigma2\": -1}]}",
     GMOE_EFORMAT, "m.json: expert 2: sigma2 must be finite and > 0"},
    {SM "\"experts\": [" E1 ", " E1 "]}", GMOE_EFORMAT, "m.json: the last expert's gate must be pinned"},
    /* jansson's parser: position and message */
    {SM "\"experts\": [" E1 ", " E2 "], \"family\": \"softmax\"}", GMOE_EFORMAT, "m.json:1:"},
    {"[1, 2]", GMOE_EFORMAT, "m.json: the top level must be an object"},
    {"", GMOE_EFORMAT, "m.json:"},
};

START_TEST(model_json_errors)
{
    gmoe_err e;
    gmoe_model *m = (gmoe_model *)1;
    int s = gmoe_model_from_json(json_errors[_i].json, "m.json", &m, &e);
    ck_assert_err(s, e, json_errors[_i].code, json_errors[_i].msg);
    ck_assert_ptr_null(m);
}
END_TEST

START_TEST(model_json_accepts)
{
    gmoe_err e;
    gmoe_model *m = NULL;
    /* integers and reals are both numbers; an integral real is a count */
    int s = gmoe_model_from_json(SM "\"k\": 2.0, \"d\": 1, \"experts\": [" E1 ", "
                                    "{\"beta0\": 0.0, \"beta1\": [-0.0], \"a\": [3.5], \"b\": 4, \"sigma2\": 5e-1}]}",
                                 NULL, &m, &e);
    ck_assert_msg(s == GMOE_OK, "%s", e.msg);
    ck_assert(m->k == 2 && m->d == 1 && m->a[1] == 3.5 && m->sigma2[1] == 0.5 && !m->has_fit);
    ck_assert_ptr_null(m->xnames);
    ck_assert_ptr_null(m->yname);
    gmoe_model_free(m);
}
END_TEST

START_TEST(model_file_errors)
{
    gmoe_err e;
    gmoe_model *m = NULL;
    int s = gmoe_model_read(DATA("model_syntax.json"), &m, &e);
    ck_assert_err(s, e, GMOE_EFORMAT, "model_syntax.json:3:");
    ck_assert_ptr_null(m);
    s = gmoe_model_read(DATA("no-such-model.json"), &m, &e);
    ck_assert_err(s, e, GMOE_EIO, "no-such-model.json: ");
}
END_TEST

static Suite *io_suite(void)
{
    Suite *s = suite_create("io");
    TCase *tc = tcase_create("csv");
    tcase_add_test(tc, csv_happy_path);
    tcase_add_test(tc, csv_bom_and_no_final_newline);
    tcase_add_test(tc, csv_numbers);
    tcase_add_test(tc, decimal_as_strtod);
    tcase_add_loop_test(tc, csv_format_errors, 0, sizeof csv_errors / sizeof *csv_errors);
    tcase_add_test(tc, csv_missing_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("data");
    tcase_add_test(tc, data_select_ok);
    tcase_add_loop_test(tc, data_select_errors, 0, sizeof data_errors / sizeof *data_errors);
    tcase_add_test(tc, data_select_defaults_errors);
    tcase_add_test(tc, data_check_fit);
    suite_add_tcase(s, tc);
    tc = tcase_create("model");
    tcase_add_test(tc, model_round_trip_string);
    tcase_add_test(tc, model_round_trip_file);
    tcase_add_test(tc, model_write_stdout);
    tcase_add_test(tc, model_write_refuses);
    tcase_add_test(tc, write_atomic_special_files);
    tcase_add_test(tc, model_round_trip_families);
    tcase_add_loop_test(tc, model_json_errors, 0, sizeof json_errors / sizeof *json_errors);
    tcase_add_test(tc, model_json_accepts);
    tcase_add_test(tc, model_file_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(io_suite());
}
