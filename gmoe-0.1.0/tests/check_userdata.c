/* check_userdata.c -- users' own files through the library (issue 15):
 * gmoe_table_read_csv with a separator (given or sniffed) and a decimal
 * comma, gmoe_data_select with dropped rows and factors, and the
 * "factors" key of model files. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gmoe.h"
#include "check_util.h"

#ifndef TEST_DATADIR
#define TEST_DATADIR "data"
#endif
#define DATA(f) TEST_DATADIR "/" f

static gmoe_table *read_csv(const char *path, char sep, char decimal, const char *text_column)
{
    gmoe_csv_options o;
    gmoe_csv_options_default(&o);
    o.sep = sep;
    o.decimal = decimal;
    o.text_columns = &text_column;
    o.ntext = text_column ? 1 : 0;
    gmoe_table *t = NULL;
    gmoe_err e;
    gmoe_err_clear(&e);
    ck_assert_msg(gmoe_table_read_csv(path, &o, &t, &e) == GMOE_OK, "%s", e.msg);
    return t;
}

START_TEST(separators_and_decimal_comma)
{
    gmoe_table *comma = read_csv(DATA("ud_comma.csv"), ',', '.', NULL);
    gmoe_table *semi = read_csv(DATA("ud_semicolon.csv"), ';', ',', NULL);
    gmoe_table *tab = read_csv(DATA("ud_tab.csv"), 0, '.', NULL); /* sniffed */
    gmoe_table *semi2 = read_csv(DATA("ud_semicolon.csv"), 0, ',', NULL);
    ck_assert_int_eq(tab->sep, '\t');
    ck_assert_int_eq(semi2->sep, ';');
    ck_assert_int_eq(comma->ncol, 3);
    ck_assert_uint_eq(comma->nrow, 15);
    for (size_t i = 0; i < comma->nrow * comma->ncol; i++) {
        if (i % 3 == 1)
            continue; /* the text column */
        ck_assert(comma->cells[i] == semi->cells[i] && comma->cells[i] == tab->cells[i]);
        ck_assert(comma->cells[i] == semi2->cells[i]);
    }
    ck_assert_double_eq(semi->cells[0], 0.648);
    gmoe_table_free(comma);
    gmoe_table_free(semi);
    gmoe_table_free(tab);
    gmoe_table_free(semi2);
}
END_TEST

START_TEST(csv_options_checked)
{
    gmoe_csv_options o;
    gmoe_csv_options_default(&o);
    ck_assert_ptr_null(gmoe_csv_options_check(&o));
    o.decimal = ',';
    ck_assert_ptr_nonnull(strstr(gmoe_csv_options_check(&o), "sep: "));
    o.sep = ';';
    ck_assert_ptr_null(gmoe_csv_options_check(&o));
    o.decimal = 'x';
    ck_assert_ptr_nonnull(strstr(gmoe_csv_options_check(&o), "decimal: "));
    o.decimal = '.';
    o.sep = '"';
    ck_assert_ptr_nonnull(gmoe_csv_options_check(&o));
    o.sep = '7';
    ck_assert_ptr_nonnull(gmoe_csv_options_check(&o));
}
END_TEST

START_TEST(missing_values_dropped)
{
    gmoe_table *t = read_csv(DATA("ud_na.csv"), ',', '.', NULL);
    ck_assert_uint_eq(t->na_line[0], 4); /* NA */
    ck_assert_uint_eq(t->bad_line[0], 0); /* missing is not bad */
    ck_assert_uint_eq(t->na_line[2], 10); /* NaN */
    const char *x[] = {"x"};
    gmoe_select_options o = {.yname = "y", .xnames = x, .nx = 1};
    gmoe_data *d = NULL;
    gmoe_err e;
    gmoe_err_clear(&e);
    ck_assert_int_eq(gmoe_data_select(t, &o, &d, &e), GMOE_EDATA);
    ck_assert_ptr_nonnull(strstr(e.msg, "ud_na.csv:4: column \"x\": missing value"));
    o.na_drop = 1;
    ck_assert_msg(gmoe_data_select(t, &o, &d, &e) == GMOE_OK, "%s", e.msg);
    ck_assert_uint_eq(d->n, 11);
    ck_assert_uint_eq(d->dropped, 4);
    ck_assert_uint_eq(d->n_na_columns, 2);
    ck_assert_str_eq(d->na_columns[0], "x");
    ck_assert_uint_eq(d->na_counts[0], 2);
    ck_assert_str_eq(d->na_columns[1], "y");
    ck_assert_uint_eq(d->na_counts[1], 2);
    for (size_t r = 0; r < d->n; r++)
        ck_assert(isfinite(d->x[r]) && isfinite(d->y[r]));
    gmoe_data_free(d);
    gmoe_table_free(t);
}
END_TEST

/* The ud_*.csv rows cycle ctl, trt, alt. */
START_TEST(factor_coded)
{
    gmoe_table *t = read_csv(DATA("ud_comma.csv"), ',', '.', "group");
    gmoe_factor_request q = {.name = "group", .ref = _i ? "ctl" : NULL};
    gmoe_select_options o = {.factors = &q, .nfactors = 1};
    gmoe_data *d = NULL;
    gmoe_err e;
    gmoe_err_clear(&e);
    ck_assert_msg(gmoe_data_select(t, &o, &d, &e) == GMOE_OK, "%s", e.msg);
    ck_assert_uint_eq(d->d, 3);
    ck_assert_uint_eq(d->nfactors, 1);
    ck_assert_str_eq(d->factors[0].levels[0], _i ? "ctl" : "alt");
    ck_assert_str_eq(d->xnames[1], _i ? "group=alt" : "group=ctl");
    ck_assert_str_eq(d->xnames[2], "group=trt");
    const char *row_level[] = {"ctl", "trt", "alt"};
    for (size_t r = 0; r < d->n; r++)
        for (size_t l = 1; l < 3; l++)
            ck_assert(d->x[r * 3 + l] == (strcmp(row_level[r % 3], d->factors[0].levels[l]) == 0 ? 1.0 : 0.0));
    ck_assert(d->x[0] == t->cells[0]);
    gmoe_data_free(d);
    gmoe_table_free(t);
}
END_TEST

START_TEST(factor_fixed_levels)
{
    gmoe_table *t = read_csv(DATA("ud_unseen.csv"), ',', '.', "group");
    const char *levels[] = {"alt", "ctl", "trt"};
    gmoe_factor_request q = {.name = "group", .levels = levels, .nlevels = 3};
    const char *x[] = {"x", "group"};
    gmoe_select_options o = {.xnames = x, .nx = 2, .factors = &q, .nfactors = 1};
    gmoe_data *d = NULL;
    gmoe_err e;
    gmoe_err_clear(&e);
    ck_assert_int_eq(gmoe_data_select(t, &o, &d, &e), GMOE_EDATA);
    ck_assert_ptr_nonnull(strstr(e.msg, "ud_unseen.csv:6: column 2 (\"group\"): level \"placebo\""));
    /* fixed levels out of order cannot be searched */
    const char *unsorted[] = {"alt", "trt", "ctl"};
    q.levels = unsorted;
    ck_assert_int_eq(gmoe_data_select(t, &o, &d, &e), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "in strcmp order"));
    q.levels = levels;
    /* a factor column that was not read as text is a caller's error */
    gmoe_table *numeric = read_csv(DATA("ud_comma.csv"), ',', '.', NULL);
    ck_assert_int_eq(gmoe_data_select(numeric, &o, &d, &e), GMOE_EINVAL);
    gmoe_table_free(numeric);
    gmoe_table_free(t);
}
END_TEST

static const char *const model_text =
    "{\"family\": \"softmax\", \"k\": 1, \"d\": 3, \"x_names\": [\"x\", \"g=b\", \"g=c\"],"
    " \"factors\": [{\"column\": \"g\", \"levels\": [%s]}],"
    " \"experts\": [{\"beta0\": 0, \"beta1\": [0, 0, 0], \"a\": [1, 2, 3], \"b\": 0, \"sigma2\": 1}]}";

START_TEST(model_factors)
{
    char text[1024];
    gmoe_model *m = NULL, *back = NULL;
    gmoe_err e;
    gmoe_err_clear(&e);
    snprintf(text, sizeof text, model_text, "\"a\", \"b\", \"c\"");
    ck_assert_msg(gmoe_model_from_json(text, "m", &m, &e) == GMOE_OK, "%s", e.msg);
    ck_assert_uint_eq(m->nfactors, 1);
    ck_assert_str_eq(m->factors[0].name, "g");
    ck_assert_uint_eq(m->factors[0].nlevels, 3);
    char *json = gmoe_model_to_json(m, &e);
    ck_assert_ptr_nonnull(json);
    ck_assert_int_eq(gmoe_model_from_json(json, "back", &back, &e), GMOE_OK);
    ck_assert_str_eq(back->factors[0].levels[2], "c");
    gmoe_model *copy = gmoe_model_clone(back);
    ck_assert_str_eq(copy->factors[0].levels[1], "b");
    free(json);
    gmoe_model_free(copy);
    gmoe_model_free(back);
    gmoe_model_free(m);
    /* levels out of order, a level without its indicator, too few */
    const char *bad[] = {"\"a\", \"c\", \"b\"", "\"a\", \"b\", \"d\"", "\"a\""};
    const char *why[] = {"strcmp order", "no covariate \"g=d\"", "at least 2 strings"};
    for (int i = 0; i < 3; i++) {
        snprintf(text, sizeof text, model_text, bad[i]);
        ck_assert_int_eq(gmoe_model_from_json(text, "m", &m, &e), GMOE_EFORMAT);
        ck_assert_msg(strstr(e.msg, why[i]) != NULL, "%s", e.msg);
    }
}
END_TEST

static Suite *userdata_suite(void)
{
    Suite *s = suite_create("userdata");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, separators_and_decimal_comma);
    tcase_add_test(tc, csv_options_checked);
    tcase_add_test(tc, missing_values_dropped);
    tcase_add_loop_test(tc, factor_coded, 0, 2);
    tcase_add_test(tc, factor_fixed_levels);
    tcase_add_test(tc, model_factors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(userdata_suite());
}
