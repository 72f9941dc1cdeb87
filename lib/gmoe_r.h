/* gmoe_r.h -- the .C entry points that scripts/R/gmoe.R calls (see
 * gmoe-r(7)).  Private to the library: C programs use gmoe.h; these exist
 * because R's .C passes nothing but pointers to copies of R vectors.
 *
 * Conventions shared with scripts/R/gmoe.R (change both together):
 *
 *   - Every entry point is void and ends with (int *status, char **msg):
 *     *status receives a gmoe_status (0 = GMOE_OK) and msg[0], a string
 *     that R preallocates (GMOE_ERRMSG_LEN - 1 spaces), receives the
 *     message, truncated to the length of the string R passed, so a short
 *     buffer is never overrun.  Nothing is printed, nothing exits; GSL's
 *     aborting error handler is switched off on entry.
 *   - R has no unsigned or 64-bit integers, so every vector comes with its
 *     length as R saw it (len_* arguments) and sizes are checked against
 *     them before any element is read.  Integers are R's int (NA is
 *     INT_MIN, refused like any out-of-range value); doubles are checked
 *     for NA/NaN/Inf wherever a finite number is needed.
 *   - Matrices are column-major as R stores them: x is n x d with
 *     x[i + n*j]; beta1 and a are k x d; gate and resp are n x k.
 *   - Expert and row indices returned to R are 1-based.
 *   - Seeds are doubles holding a whole number in [0, 2^53] (R's doubles
 *     represent every such integer exactly); they are the library's 64-bit
 *     seeds, so seed s here equals `--seed s` on the command line.  They
 *     have nothing to do with R's set.seed().
 *
 * A model crosses the boundary as three vectors ("packed model"):
 *   mnames[4] = family, select, activation, bias   (names as in model files)
 *   mints[4]  = k, d, top_k, tau_estimated (0/1)
 *   mpar[len] = beta0 (k), beta1 (k x d), a (k x d), b (k), sigma2 (k), tau
 *               len = k * (2 d + 3) + 1, checked through *mlen.
 * Fit information crosses as a double vector of GMOE_R_NINFO entries in
 * the order of enum gmoe_r_info.
 */
#ifndef GMOE_R_H
#define GMOE_R_H

enum gmoe_r_info {
    GMOE_R_LOGLIK, GMOE_R_AIC, GMOE_R_BIC, GMOE_R_ICL, GMOE_R_NPAR,
    GMOE_R_ITERATIONS, GMOE_R_CONVERGED, GMOE_R_STOP, GMOE_R_N,
    GMOE_R_SEED, GMOE_R_RESTARTS, GMOE_R_BEST_RESTART,
    GMOE_R_NINFO
};

/* Checks a packed model (gmoe_model_check): family known and implemented,
 * sizes, finite parameters, sigma2 > 0, pinned gate entries zero, tau > 0,
 * 1 <= top_k <= k. */
void gmoe_r_model_check(char **mnames, int *mints, double *mpar, int *mlen,
                        int *status, char **msg);

/* Fits a model by EM (gmoe_fit).
 *   mnames, mints, mpar, mlen: the packed model.  Its family, k, d,
 *       top_k, select, activation, bias and tau (the last entry of mpar)
 *       define what is fitted; tau_estimated is ignored (see tau_mode).
 *       When *has_init is 1 the parameters of mpar are the starting values
 *       of the first run (then restarts - 1 random starts follow).
 *   n, x (n x d, len_x), y (len_y): the data.
 *   onames[3] = tol rule ("per-obs", "relative", "absolute"), acceleration
 *       ("squarem", "none"), tau mode ("fixed", "estimate").
 *   oints[5]  = restarts, max_iter, threads (0 = OpenMP default),
 *       gate_max_iter, accel_warmup.
 *   odbl[5]   = tol (0 = the rule's default), seed, var_floor, min_weight
 *       (< 0: d + 2), gate_tol.
 *   Out: out_par (the fitted packed model's mpar, length *mlen),
 *       out_tau_estimated, info (GMOE_R_NINFO), stop (name buffer). */
void gmoe_r_fit(char **mnames, int *mints, double *mpar, int *mlen, int *has_init,
                int *n, double *x, int *len_x, double *y, int *len_y,
                char **onames, int *oints, double *odbl,
                double *out_par, int *out_tau_estimated, double *info, char **stop,
                int *status, char **msg);

/* Predictive mean and variance (n), gate probabilities (n x k) and the
 * most probable expert under the gate (n, 1-based) at the rows of x. */
void gmoe_r_predict(char **mnames, int *mints, double *mpar, int *mlen,
                    int *n, double *x, int *len_x,
                    double *mean, double *var, double *gate, int *best,
                    int *status, char **msg);

/* Total log-likelihood (gmoe_loglik, bit-identical for any *threads),
 * log p(y_i | x_i) per row (n) and responsibilities (n x k). */
void gmoe_r_loglik(char **mnames, int *mints, double *mpar, int *mlen,
                   int *n, double *x, int *len_x, double *y, int *len_y,
                   int *threads, double *loglik, double *logdens, double *resp,
                   int *status, char **msg);

/* Voronoi loss of a fitted model against a true one (gmoe_voronoi_loss).
 *   kind[0] = "auto", "D1" or "D2"; *translate 0/1; rbar (len_rbar <=
 *   GMOE_RBAR_MAX entries, rbar[c] for a cell of c atoms, 0 = unknown;
 *   len_rbar 0 keeps the defaults rbar(2) = 4, rbar(3) = 6).
 *   Out: res[3] = loss, untranslated loss, t0; kind_out (1 = D1, 2 = D2);
 *   t1 (d); cell (k, 1-based true atom of each fitted expert); cell_size
 *   (k*); errs (k* x 6: beta1, a, b, sigma2, tau, mass). */
void gmoe_r_loss(char **fnames, int *fints, double *fpar, int *flen,
                 char **tnames, int *tints, double *tpar, int *tlen,
                 char **kind, int *translate, double *rbar, int *len_rbar,
                 double *res, int *kind_out, double *t1, int *cell, int *cell_size,
                 double *errs, int *status, char **msg);

/* Simulates n rows from a model.  design[0] = "uniform", "normal", "grid"
 * (gmoe_simulate_design on [lo, hi], len_range = 0 for [0, 1] or d) or
 * "given" (x is read, not drawn).  The design uses the seed
 * gmoe_seed_derive(seed, 0) and the response gmoe_seed_derive(seed, 1).
 * Out: x (n x d, unless given), y (n), z (n, 1-based expert). */
void gmoe_r_simulate(char **mnames, int *mints, double *mpar, int *mlen,
                     int *n, char **design, double *lo, double *hi, int *len_range,
                     double *seed, double *x, int *len_x, double *y, int *z,
                     int *status, char **msg);

/* Model files (the command-line tools' JSON).  gmoe_r_model_dims reads
 * `path` and returns dims[4] = k, d, has_fit, the longest column name (so
 * R can allocate name buffers); gmoe_r_model_read reads it again into
 * the packed model (mints[0..1] must hold k and d from dims), info,
 * the stop reason's name, xnames (d buffers) and yname (1 buffer; ""
 * when the file has none).  A seed above 2^53 comes back rounded. */
void gmoe_r_model_dims(char **path, int *dims, int *status, char **msg);
void gmoe_r_model_read(char **path, char **mnames, int *mints, double *mpar, int *mlen,
                       double *info, char **stop, char **xnames, char **yname,
                       int *status, char **msg);

/* Writes a packed model to `path` atomically (gmoe_model_write), with
 * column names when *n_names (the length of xnames) is d rather than 0
 * (yname "" for none), and fit information when *has_fit. */
void gmoe_r_model_write(char **path, char **mnames, int *mints, double *mpar, int *mlen,
                        int *n_names, char **xnames, char **yname,
                        int *has_fit, double *info, int *status, char **msg);

#endif
