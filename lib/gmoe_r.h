/* gmoe_r.h -- the .C entry points of the R package gmoe (scripts/R/gmoe,
 * whose src/init.c registers them; see gmoe-r(7)).  Installed with gmoe.h
 * for that package only: C programs use gmoe.h.  They exist because R's .C
 * passes nothing but pointers to copies of R vectors.
 *
 * Conventions shared with the package's R/call.R (change both together):
 *
 *   - Every entry point is void and ends with (int *lens, int *status,
 *     char **msg).  lens holds the length of every argument before it, in
 *     order, as R saw it (the package's one call helper computes it with
 *     lengths(), so no caller writes a length by hand); each entry point
 *     checks every vector's length against lens before reading or writing
 *     an element, so an object with a missing or short part is an error,
 *     never a read past its end.
 *   - *status receives a gmoe_status (0 = GMOE_OK, GMOE_R_INTERRUPTED when
 *     the user interrupted a fit) and msg[0], a string that R preallocates,
 *     the message, truncated to the length of the string R passed, so a
 *     short buffer is never overrun.  Nothing is printed, nothing exits;
 *     GSL's aborting error handler is switched off on entry.
 *   - Output string buffers (stop, names) are preallocated strings whose
 *     length is their capacity.
 *   - Integers are R's int (NA is INT_MIN, refused like any out-of-range
 *     value); doubles are checked for NA/NaN/Inf wherever a finite number
 *     is needed.  Sizes (k, n, d) are checked against the data and the
 *     lengths before anything is allocated.
 *   - Matrices are column-major as R stores them: x is n x d with
 *     x[i + n*j]; beta1 and a are k x d; gate and resp are n x k.
 *   - Expert and row indices returned to R are 1-based.
 *   - Seeds are doubles holding a whole number in [0, 2^53] (R's doubles
 *     represent every such integer exactly); they are the library's 64-bit
 *     seeds, so seed s here equals `--seed s` on the command line.
 *
 * A model crosses the boundary as three vectors ("packed model"):
 *   mnames[4] = family, select, activation, bias   (names as in model files)
 *   mints[4]  = k, d, top_k, tau_estimated (0/1)
 *   mpar      = beta0 (k), beta1 (k x d), a (k x d), b (k), sigma2 (k), tau:
 *               k * (2 d + 3) + 1 entries.
 * A gate with covariates of its own (gate_own): mints[5] ends with dg >= 0,
 * beta1 is k x dg (k * (d + dg + 3) + 1 entries), d may be 0 (experts
 * without covariates), and every x the entry points take (fit, predict,
 * loglik, simulate, covariance, bootstrap) holds the
 * experts' d columns followed by the gate's dg (n x (d + dg)).
 * Fit information crosses as a double vector of GMOE_R_NINFO entries in
 * the order of enum gmoe_r_info.
 */
#ifndef GMOE_R_H
#define GMOE_R_H

/* The status of a fit stopped by the interrupt check (not a gmoe_status:
 * nothing went wrong). */
#define GMOE_R_INTERRUPTED 100

enum gmoe_r_info {
    GMOE_R_LOGLIK, GMOE_R_AIC, GMOE_R_BIC, GMOE_R_ICL, GMOE_R_NPAR,
    GMOE_R_ITERATIONS, GMOE_R_CONVERGED, GMOE_R_STOP, GMOE_R_N,
    GMOE_R_SEED, GMOE_R_RESTARTS, GMOE_R_BEST_RESTART,
    GMOE_R_GRAD_NORM,   /* the final test (issue 11): NaN when not computed */
    GMOE_R_HESSIAN_ND,  /* 1: negative definite there, 0: not (NaN read as 0) */
    GMOE_R_FLOOR_GAIN,  /* a higher run at the variance floor set aside (NaN read as 0) */
    GMOE_R_VARIANCE_FLOOR, /* the variances' floor the fit used (NaN read as 0: not known) */
    GMOE_R_SPURIOUS_EXPERT, /* the kept run's spurious expert, 1-based (NaN read as 0: none) */
    GMOE_R_SPURIOUS_ROWS, GMOE_R_SPURIOUS_RATIO, /* its effective rows and variance ratio */
    GMOE_R_SPURIOUS_ROWS_FACTOR, GMOE_R_SPURIOUS_RATIO_MAX, /* the rule's constants (NaN read as 0) */
    GMOE_R_NINFO
};

/* Installs the function that gmoe_r_fit calls between EM iterations: when
 * it returns non-zero the fit stops and reports GMOE_R_INTERRUPTED.  The R
 * package installs one that asks R whether the user pressed Ctrl-C
 * (without leaving the C code: the library's memory is freed normally).
 * NULL removes it.  Not thread-safe: set it once, when the package loads. */
void gmoe_r_set_interrupt_check(int (*check)(void));

/* Checks a packed model (gmoe_model_check): family known and implemented,
 * sizes, finite parameters, sigma2 > 0, pinned gate entries zero, tau > 0,
 * 1 <= top_k <= k.  lens: 3. */
void gmoe_r_model_check(char **mnames, int *mints, double *mpar,
                        int *lens, int *status, char **msg);

/* Fits a model by EM (gmoe_fit).
 *   mnames, mints, mpar: the packed model.  Its family, k, d, top_k,
 *       select, activation, bias and tau (the last entry of mpar) define
 *       what is fitted; tau_estimated is ignored (see tau mode).  When
 *       *has_init is 1 the parameters of mpar are the starting values of
 *       the first run (then restarts - 1 random starts follow).  k must be
 *       at most n (checked before the model is allocated).
 *   n, x (n x d), y (n): the data; w (n, or length 0 for none): case
 *       weights (gmoe_data.w: finite, >= 0, not all zero).
 *   onames[3] = tol rule ("per-obs", "relative", "absolute"), acceleration
 *       ("squarem", "none"), tau mode ("fixed", "estimate").
 *   oints[5]  = restarts, max_iter, threads (0 = OpenMP default),
 *       gate_max_iter, accel_warmup.
 *   odbl[5]   = tol (0 = the rule's default), seed, var_floor, min_weight
 *       (< 0: d + 2), gate_tol.
 *   Out: out_par (the fitted packed model's mpar), out_tau_estimated[1],
 *       info (GMOE_R_NINFO), stop (a name buffer).  lens: 15. */
void gmoe_r_fit(char **mnames, int *mints, double *mpar, int *has_init,
                int *n, double *x, double *y, double *w,
                char **onames, int *oints, double *odbl,
                double *out_par, int *out_tau_estimated, double *info, char **stop,
                int *lens, int *status, char **msg);

/* Predictive mean and variance (n), gate probabilities (n x k) and the
 * most probable expert under the gate (n, 1-based) at the rows of x
 * (n x d).  lens: 9. */
void gmoe_r_predict(char **mnames, int *mints, double *mpar, int *n, double *x,
                    double *mean, double *var, double *gate, int *best,
                    int *lens, int *status, char **msg);

/* Total log-likelihood (gmoe_loglik, bit-identical for any *threads; with
 * case weights w (n, or length 0) sum w log p), log p(y_i | x_i) per row
 * (n, unweighted) and responsibilities (n x k).  lens: 11. */
void gmoe_r_loglik(char **mnames, int *mints, double *mpar, int *n, double *x, double *y,
                   double *w, int *threads, double *loglik, double *logdens, double *resp,
                   int *lens, int *status, char **msg);

/* Voronoi loss of a fitted model (f*) against a true one (t*)
 * (gmoe_voronoi_loss).  kind[0] = "auto", "D1" or "D2"; *translate 0/1;
 * rbar (at most GMOE_RBAR_MAX entries, rbar[c] for a cell of c atoms,
 * 0 = unknown; no entries keeps the defaults rbar(2) = 4, rbar(3) = 6).
 *   Out: res[3] = loss, untranslated loss, t0; kind_out[1] (1 = D1,
 *   2 = D2); t1 (d); cell (k, 1-based true atom of each fitted expert);
 *   cell_size (k*); errs (k* x 6: beta1, a, b, sigma2, tau, mass).
 *   lens: 15. */
void gmoe_r_loss(char **fnames, int *fints, double *fpar,
                 char **tnames, int *tints, double *tpar,
                 char **kind, int *translate, double *rbar,
                 double *res, int *kind_out, double *t1, int *cell, int *cell_size,
                 double *errs, int *lens, int *status, char **msg);

/* Simulates n rows from a model.  design[0] = "uniform", "normal", "grid"
 * (gmoe_simulate_design on [lo, hi]: lo and hi both empty for [0, 1], or
 * both of length d) or "given" (x is read, not drawn).  The design uses
 * the seed gmoe_seed_derive(seed, 0) and the response
 * gmoe_seed_derive(seed, 1).  Out: x (n x d, unless given), y (n),
 * z (n, 1-based expert).  A model whose gate has covariates of its own
 * takes x as n x (d + dg), the gate's columns last, with design "given"
 * (a design only for a constant gate, dg = 0).  lens: 11. */
void gmoe_r_simulate(char **mnames, int *mints, double *mpar, int *n, char **design,
                     double *lo, double *hi, double *seed, double *x, double *y, int *z,
                     int *lens, int *status, char **msg);

/* Covariance of the free parameters at a model on data (gmoe_covariance):
 * kind[0] "observed" (inverse observed information) or "sandwich".
 * xnames (d) name the covariates in the parameter names.  cov and names
 * are sized for the packed length L = k (2 d + 3) + 1 (L x L doubles, L
 * name buffers), which bounds the number p of free parameters; out: *p,
 * cov's first p x p entries (row-major) and names[0..p-1]
 * (gmoe_param_name: "beta0[1]", "beta1[1,x]", "a[2,x]", "b[2]",
 * "sigma2[2]", "tau").  w: case weights as in gmoe_r_fit.  lens: 12. */
void gmoe_r_covariance(char **mnames, int *mints, double *mpar, char **xnames, int *n,
                       double *x, double *y, double *w, char **kind, int *p, double *cov, char **names,
                       int *lens, int *status, char **msg);

/* Bootstrap of a fit (gmoe_bootstrap): *replicates (B >= 2) data sets,
 * type[0] "nonparametric" (rows resampled) or "parametric" (responses
 * drawn from the fit), each refitted from the fit with the EM options
 * onames, oints, odbl of gmoe_r_fit, replicate r with seed
 * gmoe_seed_derive(*seed, r), on *threads threads (the same numbers for
 * any count).  names, se, lower and upper are sized for the packed length
 * L = k (2 d + 3) + 1; out: *ok (replicates whose fit succeeded), *p,
 * the free parameters' names and bootstrap standard errors and
 * percentile 95% intervals (first p entries).  w: case weights as in
 * gmoe_r_fit.  lens: 21. */
void gmoe_r_bootstrap(char **mnames, int *mints, double *mpar, char **xnames, int *n,
                      double *x, double *y, double *w, char **onames, int *oints, double *odbl,
                      char **type, int *replicates, int *threads, double *seed, int *ok,
                      int *p, char **names, double *se, double *lower, double *upper,
                      int *lens, int *status, char **msg);

/* As gmoe_r_fit without has_init (no starting values), by gmoe_fit_auto:
 * a single k as mixfit -k K fits it (the lead-in of fits with 2 .. k - 1
 * experts and k's split starts only when its random starts do not
 * settle).  lens: 14. */
void gmoe_r_fit_auto(char **mnames, int *mints, double *mpar, int *n, double *x, double *y,
                     double *w, char **onames, int *oints, double *odbl, double *out_par,
                     int *out_tau_estimated, double *info, char **stop, int *lens, int *status,
                     char **msg);

/* Fits a model like gmoe_r_fit (the same arguments, without has_init:
 * no starting values) by gmoe_fit_nested: besides the random starts, split
 * starts from the smaller fit, a packed model with one expert fewer of the
 * same family and options (its names are mnames; sints, spar as mints,
 * mpar) and its fit information sinfo (GMOE_R_NINFO), fitted to the same
 * data.  GMOE_ENOTSUP for a family without splits.  lens: 17. */
void gmoe_r_fit_nested(char **mnames, int *mints, double *mpar, int *sints, double *spar,
                       double *sinfo, int *n, double *x, double *y, double *w,
                       char **onames, int *oints, double *odbl,
                       double *out_par, int *out_tau_estimated, double *info, char **stop,
                       int *lens, int *status, char **msg);

/* *splits = 1 when a fit of k[0] experts of the family named family[0]
 * has split starts from a fit with one expert fewer (GMOE_FAMILY_SPLITS
 * and k >= 2), else 0 (also for an unknown family, which the fit itself
 * names).  k is checked first as gmoe_r_fit checks it (gmoe_k_validate),
 * so that R refuses a bad k before fitting the smaller ones.  lens: 3. */
void gmoe_r_fit_splits(char **family, int *k, int *splits, int *lens, int *status, char **msg);

/* The notes of a fitted packed model on its data (gmoe_fit_notes): info
 * (GMOE_R_NINFO, or length 0 for a model without a fit: no stop note),
 * n, x (n x (d [+ dg])) and w (n, or length 0) as gmoe_r_fit takes them.
 * Out: *count notes, each its code's name (codes: preallocated strings),
 * experts (2 per note, 0: none), covariate (0: none), value (NaN: none)
 * and message (preallocated strings, GMOE_NOTE_LEN - 1 long holds any);
 * codes, experts / 2, covariates, values and messages have room for the
 * same number of notes, which must be at least k + k (k - 1) / 2 + k dg
 * + 2 (gmoe_fit_notes never gives more).  lens: 13. */
void gmoe_r_notes(char **mnames, int *mints, double *mpar, double *info, int *n, double *x,
                  double *w, char **codes, int *experts, int *covariates, double *values,
                  char **messages, int *count, int *lens, int *status, char **msg);

/* Model files (the command-line tools' JSON).  gmoe_r_model_dims reads
 * `path` and returns dims[5] = k, d, has_fit, the longest column name (so
 * R can allocate name buffers), dg (the gate's own covariates, -1 when the
 * gate reads x; lens: 2); gmoe_r_model_read reads it again into the
 * packed model (mints[0..1] must hold k and d from dims, and a fifth
 * integer dg when dims[4] >= 0), info, the stop reason's name, xnames
 * (d + dg buffers: the gate's own names last) and yname (1 buffer; ""
 * when the file has none; lens: 8).  A seed above 2^53 comes back
 * rounded. */
void gmoe_r_model_dims(char **path, int *dims, int *lens, int *status, char **msg);
void gmoe_r_model_read(char **path, char **mnames, int *mints, double *mpar,
                       double *info, char **stop, char **xnames, char **yname,
                       int *lens, int *status, char **msg);

/* Writes a packed model to `path` atomically (gmoe_model_write), with
 * column names when xnames has d (+ dg, the gate's own) entries rather than none (yname[0] ""
 * for none), and fit information (GMOE_R_NINFO) when *has_fit.  lens: 8. */
void gmoe_r_model_write(char **path, char **mnames, int *mints, double *mpar,
                        char **xnames, char **yname, int *has_fit, double *info,
                        int *lens, int *status, char **msg);

#endif
