/* check_r_entry.c -- the .C entry points of lib/r_entry.c, called as R
 * would call them but without R: the column-major/row-major conversions
 * and the packed model layout against the library's own functions (exact
 * equality: the same arithmetic on the same numbers), argument checks,
 * and the message buffer that must never be overrun.  tests/test_r.R
 * covers the R side. */
#include <check.h>
#include <gsl/gsl_errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gmoe.h"
#include "gmoe_r.h"
#include "check_util.h"

/* A message buffer as R passes it: GMOE_ERRMSG_LEN - 1 spaces. */
typedef struct {
    char text[GMOE_ERRMSG_LEN];
    char *p;
} msgbuf;

static char **msg_init(msgbuf *b)
{
    memset(b->text, ' ', GMOE_ERRMSG_LEN - 1);
    b->text[GMOE_ERRMSG_LEN - 1] = '\0';
    b->p = b->text;
    return &b->p;
}

static char *mnames[4] = {"softmax", "slope", "tanh", "outside"};

/* k = 3, d = 2 softmax model with distinct entries, so that a transposed
 * matrix or a shifted block would change the numbers. */
static gmoe_model *model32(void)
{
    const double beta0[3] = {-1, 0.5, 0}, beta1[6] = {2, -1, -3, 0.5, 0, 0};
    const double a[6] = {1, 2, -1, 0.5, 3, -2}, b[3] = {0, 1, -2}, s2[3] = {0.5, 1, 2};
    return check_model_with(GMOE_SOFTMAX, 3, 2, beta0, beta1, a, b, s2);
}

/* The packed layout of gmoe_r.h, written out independently of r_entry.c. */
static void pack(const gmoe_model *m, double *p)
{
    size_t k = m->k, d = m->d;
    for (size_t i = 0; i < k; i++) {
        p[i] = m->beta0[i];
        for (size_t j = 0; j < d; j++) {
            p[k + i + k * j] = m->beta1[i * d + j];
            p[k + k * d + i + k * j] = m->a[i * d + j];
        }
        p[k + 2 * k * d + i] = m->b[i];
        p[2 * k + 2 * k * d + i] = m->sigma2[i];
    }
    p[3 * k + 2 * k * d] = m->tau;
}

/* Row-major n x d to column-major. */
static void to_colmajor(const double *x, size_t n, size_t d, double *xc)
{
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++)
            xc[r + n * j] = x[r * d + j];
}

START_TEST(predict_and_loglik_layout)
{
    gmoe_model *m = model32();
    double par[22];
    pack(m, par);
    int mints[4] = {3, 2, 3, 0}, n = 4, threads = 1, status;
    const double x[8] = {0.1, 0.2, -1, 2, 0.7, -0.3, 1.5, 1.5}; /* row-major */
    const double y[4] = {0.3, -1, 2, 4};
    double xc[8], mean[4], var[4], gate[12], logdens[4], resp[12], ll;
    int best[4];
    to_colmajor(x, 4, 2, xc);
    msgbuf mb;
    int plens[9] = {4, 4, 22, 1, 8, 4, 4, 12, 4};
    gmoe_r_predict(mnames, mints, par, &n, xc, mean, var, gate, best, plens, &status,
                   msg_init(&mb));
    ck_assert_msg(status == 0, "%s", mb.text);
    int llens[11] = {4, 4, 22, 1, 8, 4, 0, 1, 1, 4, 12};
    gmoe_r_loglik(mnames, mints, par, &n, xc, (double *)y, NULL, &threads, &ll, logdens, resp, llens,
                  &status, msg_init(&mb));
    ck_assert_msg(status == 0, "%s", mb.text);
    double total = 0;
    for (size_t r = 0; r < 4; r++) {
        double mu, v, g[3], rr[3];
        size_t bi;
        gmoe_predict(m, x + 2 * r, &mu, &v, g, &bi);
        ck_assert(mean[r] == mu && var[r] == v && best[r] == (int)bi + 1);
        double ld = gmoe_responsibilities(m, x + 2 * r, y[r], rr);
        ck_assert(logdens[r] == ld);
        total += ld;
        for (size_t i = 0; i < 3; i++)
            ck_assert(gate[r + 4 * i] == g[i] && resp[r + 4 * i] == rr[i]);
    }
    /* The total is summed in blocks (one block here): the same sum. */
    ck_assert(ll == total);
    gmoe_model_free(m);
}
END_TEST

/* N rows from model32 (x normal, seeds 5 and 6): x row-major, xc as R
 * passes it (column-major), y. */
static void data32(const gmoe_model *truth, size_t N, double **x, double **xc, double **y)
{
    size_t d = truth->d;
    *x = malloc(N * d * sizeof(double));
    *xc = malloc(N * d * sizeof(double));
    *y = malloc(N * sizeof(double));
    ck_assert(*x && *xc && *y);
    ck_assert_int_eq(gmoe_simulate_design(GMOE_DESIGN_NORMAL, N, d, NULL, NULL, 5, *x, NULL), 0);
    ck_assert_int_eq(gmoe_simulate_y(truth, *x, N, 6, *y, NULL, NULL), 0);
    to_colmajor(*x, N, d, *xc);
}

START_TEST(fit_equals_library_fit)
{
    /* Data from model32 (n = 600), fitted with k = 3 through the entry
     * point and through gmoe_fit: the same fit, bit for bit. */
    gmoe_model *truth = model32();
    size_t N = 600, d = 2, k = 3;
    double *x, *xc, *y;
    data32(truth, N, &x, &xc, &y);

    gmoe_model *m = gmoe_model_alloc(GMOE_SOFTMAX, k, d);
    gmoe_data data = {N, d, x, y, NULL, NULL};
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    opt.restarts = 3;
    opt.seed = 42;
    gmoe_err err;
    ck_assert_int_eq(gmoe_fit(&data, m, NULL, &opt, &err), 0);

    double par[22] = {0}, out[22], info[GMOE_R_NINFO], want[22];
    par[21] = 1; /* tau */
    int mints[4] = {3, 2, 3, 0}, has_init = 0, n = (int)N, tau_est = -1, status;
    int lens[15] = {4, 4, 22, 1, 1, (int)(N * d), (int)N, 0, 3, 5, 5, 22, 1, GMOE_R_NINFO, 1};
    char *onames[3] = {"per-obs", "squarem", "fixed"};
    int oints[5] = {3, 1000, 0, 300, 10};
    double odbl[5] = {0, 42, 1e-6, -1, 1e-12};
    char stopbuf[32] = "                               ", *stop = stopbuf;
    msgbuf mb;
    gmoe_r_fit(mnames, mints, par, &has_init, &n, xc, y, NULL, onames, oints, odbl, out, &tau_est,
               info, &stop, lens, &status, msg_init(&mb));
    ck_assert_msg(status == 0, "%s", mb.text);
    pack(m, want);
    for (size_t i = 0; i < 22; i++)
        ck_assert_msg(out[i] == want[i], "entry %zu: %.17g vs %.17g", i, out[i], want[i]);
    ck_assert(info[GMOE_R_LOGLIK] == m->fit.loglik && info[GMOE_R_BIC] == m->fit.bic);
    ck_assert(info[GMOE_R_NPAR] == (double)m->fit.npar && info[GMOE_R_SEED] == 42);
    ck_assert(info[GMOE_R_RESTARTS] == 3 && info[GMOE_R_N] == (double)N);
    ck_assert_str_eq(stopbuf, gmoe_stop_name(m->fit.stop));
    ck_assert_int_eq(tau_est, 0);

    /* Starting from the fit itself (one run) stays at that maximum. */
    has_init = 1;
    oints[0] = 1;
    double out2[22];
    gmoe_r_fit(mnames, mints, want, &has_init, &n, xc, y, NULL, onames, oints, odbl, out2, &tau_est,
               info, &stop, lens, &status, msg_init(&mb));
    ck_assert_msg(status == 0, "%s", mb.text);
    ck_assert_msg(info[GMOE_R_LOGLIK] >= m->fit.loglik - 1e-9 * N,
                  "from the fit: %.17g < %.17g", info[GMOE_R_LOGLIK], m->fit.loglik);
    free(x);
    free(xc);
    free(y);
    gmoe_model_free(m);
    gmoe_model_free(truth);
}
END_TEST

/* gmoe_r_predict on the 3 rows of refusals' model (k = 2, d = 1), which
 * must refuse them with GMOE_EINVAL; returns its message (in mb). */
static const char *predict_refusal(int *mints, double *par, int mlen, double *x, int len_x, msgbuf *mb)
{
    int n = 3, status, best[3];
    double mean[3], var[3], gate[6];
    int lens[9] = {4, 4, mlen, 1, len_x, 3, 3, 6, 3};
    gmoe_r_predict(mnames, mints, par, &n, x, mean, var, gate, best, lens, &status, msg_init(mb));
    ck_assert_int_eq(status, GMOE_EINVAL);
    return mb->text;
}

START_TEST(refusals)
{
    double par[11] = {-8, 0, 25, 0, -20, 20, 15, -5, 0.09, 0.16, 1};
    int mints[4] = {2, 1, 2, 0}, mlen = 11, n = 3, len_x = 3, status;
    int mlens[3] = {4, 4, 11};
    double x[3] = {0, 0.5, 1};
    msgbuf mb;

    mints[0] = INT_MIN; /* R's NA_integer_ */
    ck_assert_str_eq(predict_refusal(mints, par, mlen, x, len_x, &mb),
                     "k (number of experts) must be an integer >= 1 (got NA)");
    mints[0] = 2;
    ck_assert_str_eq(predict_refusal(mints, par, mlen, x, 2, &mb), "x has length 2, expected 3");
    x[1] = NAN;
    ck_assert_str_eq(predict_refusal(mints, par, mlen, x, len_x, &mb),
                     "x[2, 1] is NA or NaN: only finite numbers are allowed");
    x[1] = 0.5;
    ck_assert_str_eq(predict_refusal(mints, par, 10, x, len_x, &mb), "parameter vector has length 10, expected 11");

    par[1] = 0.5; /* unpinned reference gate */
    gmoe_r_model_check(mnames, mints, par, mlens, &status, msg_init(&mb));
    ck_assert_int_eq(status, GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(mb.text, "pinned"));
    par[1] = 0;

    /* Seeds: whole numbers in [0, 2^53]. */
    double y[3], seed;
    int z[3];
    char *design[1] = {"uniform"};
    int slens[11] = {4, 4, 11, 1, 1, 0, 0, 1, 3, 3, 3};
    const double bad[] = {-1, 0.5, 9007199254740994.0, INFINITY, NAN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        seed = bad[i];
        gmoe_r_simulate(mnames, mints, par, &n, design, NULL, NULL, &seed, x, y, z, slens,
                        &status, msg_init(&mb));
        ck_assert_msg(status == GMOE_EINVAL && strstr(mb.text, "seed must be a whole number"),
                      "seed %g: status %d, %s", bad[i], status, mb.text);
    }
    seed = 9007199254740992.0;
    gmoe_r_simulate(mnames, mints, par, &n, design, NULL, NULL, &seed, x, y, z, slens,
                    &status, msg_init(&mb));
    ck_assert_msg(status == 0, "seed 2^53: %s", mb.text);
    for (size_t r = 0; r < 3; r++)
        ck_assert(z[r] == 1 || z[r] == 2);
}
END_TEST

START_TEST(message_buffer_not_overrun)
{
    /* R's buffer is as long as the string it passed: 8 characters here,
     * followed by canary bytes that must survive. */
    char buf[16];
    memcpy(buf, "        \0XXXXXX", 16);
    char *msg = buf;
    char *bad[4] = {"nope", "slope", "tanh", "outside"};
    double par[11] = {0};
    int mints[4] = {2, 1, 2, 0}, lens[3] = {4, 4, 11}, status;
    gmoe_r_model_check(bad, mints, par, lens, &status, &msg);
    ck_assert_int_eq(status, GMOE_EINVAL);
    ck_assert_str_eq(buf, "unknown ");
    ck_assert(memcmp(buf + 9, "XXXXXX", 6) == 0);
}
END_TEST

/* The fit information as gmoe_r.h lays it out, written out independently
 * of r_args.c. */
static void info_of(const gmoe_fit_info *f, double *info)
{
    const double v[GMOE_R_NINFO] = {f->loglik, f->aic, f->bic, f->icl, (double)f->npar,
                                    (double)f->iterations, f->converged, (double)f->stop,
                                    (double)f->n, (double)f->seed, (double)f->restarts,
                                    (double)f->best_restart, f->grad_norm, f->hessian_nd};
    memcpy(info, v, sizeof v);
}

/* gmoe_r_notes gives gmoe_fit_notes's notes of m (k = 3, d = 2) on data
 * (xc: its covariates by column), and refuses too little room. */
static void notes_equal_library(gmoe_model *m, gmoe_data *data, double *xc)
{
    size_t d = 2;
    int n = (int)data->n, status, mints[4] = {3, 2, 3, 0};
    gmoe_err err;
    msgbuf mb;
    double want[22], info[GMOE_R_NINFO];
    /* m with a near-duplicate of expert 1, stopped (stalled) */
    m->a[2 * d] = m->a[0], m->a[2 * d + 1] = m->a[1], m->b[2] = m->b[0], m->sigma2[2] = m->sigma2[0];
    m->fit.stop = GMOE_STOP_STALLED;
    ck_assert_int_eq(gmoe_fit_notes(m, data, &err), 0);
    ck_assert_uint_ge(m->notes->n, 2);
    enum { CAP = 3 + 3 + 3 * 2 + 2 };
    char cb[CAP][32], mbuf[CAP][GMOE_NOTE_LEN], *codes[CAP], *msgs[CAP];
    int experts[2 * CAP], covs[CAP], count = -1;
    double values[CAP];
    for (int i = 0; i < CAP; i++) {
        snprintf(cb[i], sizeof cb[i], "%31s", "");
        snprintf(mbuf[i], sizeof mbuf[i], "%*s", GMOE_NOTE_LEN - 1, "");
        codes[i] = cb[i];
        msgs[i] = mbuf[i];
    }
    pack(m, want);
    info_of(&m->fit, info);
    int nlens[13] = {4, 4, 22, GMOE_R_NINFO, 1, (int)(data->n * d), 0, CAP, 2 * CAP, CAP, CAP, CAP, 1};
    gmoe_r_notes(mnames, mints, want, info, &n, xc, NULL, codes, experts, covs, values, msgs, &count,
                 nlens, &status, msg_init(&mb));
    ck_assert_msg(status == 0, "%s", mb.text);
    ck_assert_int_eq(count, (int)m->notes->n);
    for (size_t i = 0; i < m->notes->n; i++) {
        const gmoe_fit_note *nt = &m->notes->note[i];
        ck_assert_str_eq(cb[i], gmoe_note_name(nt->code));
        ck_assert_str_eq(mbuf[i], nt->message);
        ck_assert(experts[2 * i] == (int)nt->expert1 && experts[2 * i + 1] == (int)nt->expert2);
        ck_assert(covs[i] == (int)nt->covariate);
        ck_assert(values[i] == nt->value || (isnan(values[i]) && isnan(nt->value)));
    }
    ck_assert_str_eq(cb[m->notes->n - 1], "not-converged");
    /* too little room is an error, not a cut list */
    nlens[7] = 1, nlens[8] = 2, nlens[9] = nlens[10] = nlens[11] = 1;
    gmoe_r_notes(mnames, mints, want, info, &n, xc, NULL, codes, experts, covs, values, msgs, &count,
                 nlens, &status, msg_init(&mb));
    ck_assert_int_eq(status, GMOE_EINVAL);

}

START_TEST(nested_fit_and_notes_equal_library)
{
    /* k = 3 from k = 2's split starts (gmoe_r_fit_nested) is gmoe_fit_nested's
     * fit bit for bit, and gmoe_r_notes gives gmoe_fit_notes's notes. */
    gmoe_model *truth = model32();
    size_t N = 600, d = 2;
    double *x, *xc, *y;
    data32(truth, N, &x, &xc, &y);
    gmoe_data data = {N, d, x, y, NULL, NULL};
    gmoe_em_options opt;
    gmoe_em_options_default(&opt);
    opt.restarts = 2;
    gmoe_err err;
    gmoe_model *sm = gmoe_model_alloc(GMOE_SOFTMAX, 2, d), *m = gmoe_model_alloc(GMOE_SOFTMAX, 3, d);
    ck_assert_int_eq(gmoe_fit(&data, sm, NULL, &opt, &err), 0);
    ck_assert_int_eq(gmoe_fit_nested(&data, m, sm, &opt, &err), 0);

    double spar[15], sinfo[GMOE_R_NINFO], par[22] = {0}, out[22], info[GMOE_R_NINFO], want[22];
    pack(sm, spar);
    info_of(&sm->fit, sinfo);
    par[21] = 1;
    int mints[4] = {3, 2, 3, 0}, sints[4] = {2, 2, 2, 0}, n = (int)N, tau_est = -1, status;
    int lens[17] = {4, 4, 22, 4, 15, GMOE_R_NINFO, 1, (int)(N * d), (int)N, 0, 3, 5, 5, 22, 1,
                    GMOE_R_NINFO, 1};
    char *onames[3] = {"per-obs", "squarem", "fixed"};
    int oints[5] = {2, 1000, 0, 300, 10};
    double odbl[5] = {0, 1, 1e-6, -1, 1e-12};
    char stopbuf[32] = "                               ", *stop = stopbuf;
    msgbuf mb;
    gmoe_r_fit_nested(mnames, mints, par, sints, spar, sinfo, &n, xc, y, NULL, onames, oints, odbl,
                      out, &tau_est, info, &stop, lens, &status, msg_init(&mb));
    ck_assert_msg(status == 0, "%s", mb.text);
    pack(m, want);
    for (size_t i = 0; i < 22; i++)
        ck_assert_msg(out[i] == want[i], "entry %zu: %.17g vs %.17g", i, out[i], want[i]);
    ck_assert(info[GMOE_R_LOGLIK] == m->fit.loglik && info[GMOE_R_GRAD_NORM] == m->fit.grad_norm);
    ck_assert(info[GMOE_R_HESSIAN_ND] == m->fit.hessian_nd);
    ck_assert(info[GMOE_R_RESTARTS] == (double)m->fit.restarts && m->fit.restarts == 2 + 2 * (2 + 2 * d)); /* 2 + 2 d split starts per expert (split.c) */

    /* a smaller fit of other data is refused by the library */
    sinfo[GMOE_R_N] = 599;
    gmoe_r_fit_nested(mnames, mints, par, sints, spar, sinfo, &n, xc, y, NULL, onames, oints, odbl,
                      out, &tau_est, info, &stop, lens, &status, msg_init(&mb));
    ck_assert_int_eq(status, GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(mb.text, "not fitted to these data"));

    notes_equal_library(m, &data, xc);
    free(x);
    free(xc);
    free(y);
    gmoe_model_free(sm);
    gmoe_model_free(m);
    gmoe_model_free(truth);
}
END_TEST

START_TEST(fit_splits)
{
    /* which fits have split starts; k checked first */
    msgbuf mb;
    int status;
    char *topk = "topk", *softmax = "softmax", *fam[1] = {softmax};
    int k = 3, splits = -1, slens[3] = {1, 1, 1};
    gmoe_r_fit_splits(fam, &k, &splits, slens, &status, msg_init(&mb));
    ck_assert(status == 0 && splits == 1);
    fam[0] = topk;
    gmoe_r_fit_splits(fam, &k, &splits, slens, &status, msg_init(&mb));
    ck_assert(status == 0 && splits == 0);
    k = 1001;
    gmoe_r_fit_splits(fam, &k, &splits, slens, &status, msg_init(&mb));
    ck_assert_int_eq(status, GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(mb.text, "k must be 1 to 1000 (got 1001)"));
}
END_TEST

START_TEST(model_file_round_trip)
{
    gmoe_model *m = model32();
    double par[22], back[22], info[GMOE_R_NINFO], info2[GMOE_R_NINFO];
    pack(m, par);
    for (int i = 0; i < GMOE_R_NINFO; i++)
        info[i] = i + 1; /* counts, codes and the seed must be whole numbers */
    info[GMOE_R_LOGLIK] = -123.456789012345678;
    info[GMOE_R_GRAD_NORM] = 3.0517578125e-05;
    info[GMOE_R_HESSIAN_ND] = 1;
    info[GMOE_R_STOP] = 1;
    info[GMOE_R_CONVERGED] = 1;
    char path[] = "/tmp/check_r_entry_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char *p = path, *xn[2] = {"u", "v"}, *yn = "w";
    int mints[4] = {3, 2, 3, 0}, has_fit = 1, status, dims[5];
    int wlens[8] = {1, 4, 4, 22, 2, 1, 1, GMOE_R_NINFO}, dlens[2] = {1, 5};
    int rlens[8] = {1, 4, 4, 22, GMOE_R_NINFO, 1, 2, 1};
    msgbuf mb;
    gmoe_r_model_write(&p, mnames, mints, par, xn, &yn, &has_fit, info, wlens, &status,
                       msg_init(&mb));
    ck_assert_msg(status == 0, "%s", mb.text);
    gmoe_r_model_dims(&p, dims, dlens, &status, msg_init(&mb));
    ck_assert_msg(status == 0, "%s", mb.text);
    ck_assert(dims[0] == 3 && dims[1] == 2 && dims[2] == 1 && dims[3] == 1 && dims[4] == -1);
    char nb[4][16], xb[2][2], yb[2], sb[32];
    char *names[4] = {nb[0], nb[1], nb[2], nb[3]}, *xnames[2] = {xb[0], xb[1]}, *yname = yb;
    char *stop = sb;
    for (int i = 0; i < 4; i++)
        snprintf(nb[i], sizeof nb[i], "%15s", "");
    snprintf(xb[0], 2, " ");
    snprintf(xb[1], 2, " ");
    snprintf(yb, 2, " ");
    snprintf(sb, sizeof sb, "%31s", "");
    int mints2[4] = {3, 2, 0, 0};
    gmoe_r_model_read(&p, names, mints2, back, info2, &stop, xnames, &yname, rlens, &status,
                      msg_init(&mb));
    ck_assert_msg(status == 0, "%s", mb.text);
    for (int i = 0; i < 22; i++)
        ck_assert(back[i] == par[i]);
    ck_assert(info2[GMOE_R_LOGLIK] == info[GMOE_R_LOGLIK] && info2[GMOE_R_SEED] == info[GMOE_R_SEED]);
    ck_assert(info2[GMOE_R_GRAD_NORM] == info[GMOE_R_GRAD_NORM] && info2[GMOE_R_HESSIAN_ND] == 1);
    ck_assert_str_eq(nb[0], "softmax");
    ck_assert_str_eq(xb[0], "u");
    ck_assert_str_eq(xb[1], "v");
    ck_assert_str_eq(yb, "w");
    ck_assert_str_eq(sb, "tolerance");
    ck_assert_int_eq(mints2[2], 3);
    unlink(path);
    gmoe_model_free(m);
}
END_TEST

/* Issue 16, fault 1: an R object missing parts packs short vectors (one
 * name where four are read).  Every length comes with the call and is
 * checked before an element is read: a clean refusal, under ASan too. */
START_TEST(short_vectors_refused)
{
    char *one[1] = {"softmax"};
    double par[11] = {-8, 0, 25, 0, -20, 20, 15, -5, 0.09, 0.16, 1};
    double x[3] = {0, 0.5, 1}, mean[3], var[3], gate[6];
    int mints[4] = {2, 1, 2, 0}, n = 3, status, best[3];
    msgbuf mb;
    int lens[9] = {1, 4, 11, 1, 3, 3, 3, 6, 3};
    gmoe_r_predict(one, mints, par, &n, x, mean, var, gate, best, lens, &status, msg_init(&mb));
    ck_assert_int_eq(status, GMOE_EINVAL);
    ck_assert_str_eq(mb.text, "model names (family, select, activation, bias) has length 1, expected 4");
    lens[0] = 4;
    lens[1] = 2;
    gmoe_r_predict(mnames, mints, par, &n, x, mean, var, gate, best, lens, &status, msg_init(&mb));
    ck_assert_str_eq(mb.text, "model integers (k, d, top_k, tau_estimated[, dg]) has length 2, expected 4");
    lens[1] = 4;
    lens[3] = 0; /* n = integer(0) */
    gmoe_r_predict(mnames, mints, par, &n, x, mean, var, gate, best, lens, &status, msg_init(&mb));
    ck_assert_str_eq(mb.text, "n has length 0, expected 1");
    lens[3] = 1;
    lens[7] = 3; /* an output too short for n x k */
    gmoe_r_predict(mnames, mints, par, &n, x, mean, var, gate, best, lens, &status, msg_init(&mb));
    ck_assert_str_eq(mb.text, "gate has length 3, expected 6");
    lens[7] = 6;
    gmoe_r_predict(mnames, mints, par, &n, x, mean, var, gate, best, lens, &status, msg_init(&mb));
    ck_assert_msg(status == 0, "%s", mb.text);

    /* A file name or design given as character(0). */
    int dims[4], dlens[2] = {0, 4};
    char *none[1] = {NULL};
    gmoe_r_model_dims(none, dims, dlens, &status, msg_init(&mb));
    ck_assert_str_eq(mb.text, "path has length 0, expected 1");
}
END_TEST

/* Issue 16, fault 2: k = 1e9 is refused against n before anything
 * k-long is allocated (the parameter vector R passed is short too). */
START_TEST(huge_k_refused_before_allocation)
{
    double par[11] = {0}, out[11], info[GMOE_R_NINFO], x[3] = {0, 0.5, 1}, y[3] = {1, 2, 3};
    par[10] = 1;
    int mints[4] = {1000000000, 1, 1000000000, 0}, has_init = 0, n = 3, tau_est, status;
    char *onames[3] = {"per-obs", "squarem", "fixed"};
    int oints[5] = {1, 1000, 1, 300, 10};
    double odbl[5] = {0, 1, 1e-6, -1, 1e-12};
    char stopbuf[32] = "                               ", *stop = stopbuf;
    int lens[15] = {4, 4, 11, 1, 1, 3, 3, 0, 3, 5, 5, 11, 1, GMOE_R_NINFO, 1};
    msgbuf mb;
    gmoe_r_fit(mnames, mints, par, &has_init, &n, x, y, NULL, onames, oints, odbl, out, &tau_est,
               info, &stop, lens, &status, msg_init(&mb));
    ck_assert_int_eq(status, GMOE_EINVAL);
    ck_assert_str_eq(mb.text, "k = 1000000000 experts for n = 3 rows: k must be at most n");
    /* k within n but the vector R passed too short for it. */
    mints[0] = mints[2] = 3;
    gmoe_r_fit(mnames, mints, par, &has_init, &n, x, y, NULL, onames, oints, odbl, out, &tau_est,
               info, &stop, lens, &status, msg_init(&mb));
    ck_assert_str_eq(mb.text, "parameter vector has length 11, expected 16");
}
END_TEST

static int interrupt_now(void)
{
    return 1;
}

/* The interrupt check stops a fit, which reports GMOE_R_INTERRUPTED;
 * without it the same call fits. */
START_TEST(fit_interrupted)
{
    size_t N = 200;
    double x[200], y[200], par[11] = {0}, out[11], info[GMOE_R_NINFO];
    par[10] = 1;
    for (size_t i = 0; i < N; i++) {
        x[i] = (double)i / (double)N;
        y[i] = (i % 2 ? 3.0 : -3.0) + x[i] + 0.01 * (double)(i % 7);
    }
    int mints[4] = {2, 1, 2, 0}, has_init = 0, n = (int)N, tau_est, status;
    char *onames[3] = {"per-obs", "none", "fixed"};
    int oints[5] = {2, 1000, 1, 300, 10};
    double odbl[5] = {0, 1, 1e-6, -1, 1e-12};
    char stopbuf[32] = "                               ", *stop = stopbuf;
    int lens[15] = {4, 4, 11, 1, 1, (int)N, (int)N, 0, 3, 5, 5, 11, 1, GMOE_R_NINFO, 1};
    msgbuf mb;
    gmoe_r_set_interrupt_check(interrupt_now);
    gmoe_r_fit(mnames, mints, par, &has_init, &n, x, y, NULL, onames, oints, odbl, out, &tau_est,
               info, &stop, lens, &status, msg_init(&mb));
    gmoe_r_set_interrupt_check(NULL);
    ck_assert_int_eq(status, GMOE_R_INTERRUPTED);
    ck_assert_str_eq(mb.text, "the fit was interrupted");
    gmoe_r_fit(mnames, mints, par, &has_init, &n, x, y, NULL, onames, oints, odbl, out, &tau_est,
               info, &stop, lens, &status, msg_init(&mb));
    ck_assert_msg(status == 0, "%s", mb.text);
}
END_TEST

/* The option names the entry points accept, both ways (lib/names.c). */
START_TEST(option_names_round_trip)
{
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(gmoe_tol_rule_from_name(gmoe_tol_rule_name((gmoe_tol_rule)i)), i);
        ck_assert_int_eq(gmoe_design_from_name(gmoe_design_name((gmoe_design)i)), i);
        ck_assert_int_eq(gmoe_loss_kind_from_name(gmoe_loss_kind_name((gmoe_loss_kind)i)), i);
    }
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(gmoe_accel_from_name(gmoe_accel_name((gmoe_accel)i)), i);
        ck_assert_int_eq(gmoe_tau_mode_from_name(gmoe_tau_mode_name((gmoe_tau_mode)i)), i);
    }
    ck_assert_str_eq(gmoe_tol_rule_name(GMOE_TOL_PER_OBS), "per-obs");
    ck_assert_str_eq(gmoe_accel_name(GMOE_ACCEL_SQUAREM), "squarem");
    ck_assert_str_eq(gmoe_loss_kind_name(GMOE_LOSS_D2), "D2");
    ck_assert_int_eq(gmoe_design_from_name("given"), -1); /* R-only, in r_entry.c */
    ck_assert_int_eq(gmoe_tol_rule_from_name(NULL), -1);
    ck_assert_int_eq(gmoe_accel_from_name("Squarem"), -1);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("r_entry");
    TCase *tc = tcase_create("entry points");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, predict_and_loglik_layout);
    tcase_add_test(tc, fit_equals_library_fit);
    tcase_add_test(tc, refusals);
    tcase_add_test(tc, message_buffer_not_overrun);
    tcase_add_test(tc, model_file_round_trip);
    tcase_add_test(tc, option_names_round_trip);
    tcase_add_test(tc, short_vectors_refused);
    tcase_add_test(tc, huge_k_refused_before_allocation);
    tcase_add_test(tc, fit_interrupted);
    tcase_add_test(tc, nested_fit_and_notes_equal_library);
    tcase_add_test(tc, fit_splits);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
