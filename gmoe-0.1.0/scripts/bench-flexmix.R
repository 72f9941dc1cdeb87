# bench-flexmix.R -- the flexmix side of scripts/bench-flexmix.sh.
#
# Fits a softmax-gated Gaussian mixture of k linear experts to one CSV file
# with R's flexmix (FLXMRglm experts, FLXPmultinom(~ x) concomitant gate),
# from S random starts (flexmix's own random initialization, seeds
# seed + 0 .. seed + S - 1), keeping the best, and prints one line:
#
#   seconds cpu iterations loglik total_iterations failed_starts components
#
#   seconds           wall time of all S starts (the fits only: R start-up
#                     and reading the CSV are not counted)
#   cpu               CPU time (user + system) of the same
#   iterations        EM iterations of the best start
#   loglik            log-likelihood of the best start
#   total_iterations  EM iterations summed over all starts
#   failed_starts     starts that stopped with an error
#   components        experts left in the best fit (flexmix drops an expert
#                     whose prior falls below minprior)
#
# Usage: Rscript bench-flexmix.R --data FILE --k K [--starts S] [--seed N]
#            [--tol T] [--max-iter M] [--minprior P] [-y NAME]
# The covariates are every column but the response (default: the last).
# Stopping rule: flexmix's, |dL| / (|L| + 0.1) < tol (default 1e-6, the
# flexmix default), at most max-iter iterations (default 1000, mixfit's).
# Run it single-threaded (OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 ...);
# the driver does.

usage <- function(msg) {
    if (!is.null(msg)) cat("bench-flexmix.R: ", msg, "\n", sep = "", file = stderr())
    cat("usage: Rscript bench-flexmix.R --data FILE --k K [--starts S] [--seed N]\n",
        "           [--tol T] [--max-iter M] [--minprior P] [-y NAME]\n",
        file = stderr(), sep = "")
    quit(save = "no", status = 2)
}

parse_args <- function(argv) {
    opt <- list(data = NULL, k = NULL, starts = 5L, seed = 1L, tol = 1e-6,
                max_iter = 1000L, minprior = 0, y = NULL)
    num <- function(name, value, integer = FALSE, lo = -Inf) {
        v <- suppressWarnings(as.numeric(value))
        if (is.na(v) || !is.finite(v) || v < lo || (integer && v != round(v)))
            usage(sprintf("option %s: bad value '%s'", name, value))
        if (integer) as.integer(v) else v
    }
    i <- 1L
    while (i <= length(argv)) {
        a <- argv[i]
        if (i == length(argv)) usage(sprintf("option %s needs a value", a))
        v <- argv[i + 1L]
        switch(a,
               "--data" = { opt$data <- v },
               "--k" = { opt$k <- num(a, v, TRUE, 1) },
               "--starts" = { opt$starts <- num(a, v, TRUE, 1) },
               "--seed" = { opt$seed <- num(a, v, TRUE, 0) },
               "--tol" = { opt$tol <- num(a, v, FALSE, 0) },
               "--max-iter" = { opt$max_iter <- num(a, v, TRUE, 1) },
               "--minprior" = { opt$minprior <- num(a, v, FALSE, 0) },
               "-y" = { opt$y <- v },
               usage(sprintf("unknown option '%s'", a)))
        i <- i + 2L
    }
    if (is.null(opt$data)) usage("--data is required")
    if (is.null(opt$k)) usage("--k is required")
    opt
}

opt <- parse_args(commandArgs(trailingOnly = TRUE))
suppressPackageStartupMessages(library(flexmix))

d <- tryCatch(read.csv(opt$data, check.names = FALSE),
              error = function(e) {
                  cat("bench-flexmix.R: ", opt$data, ": ", conditionMessage(e), "\n",
                      sep = "", file = stderr())
                  quit(save = "no", status = 1)
              })
yname <- if (is.null(opt$y)) names(d)[ncol(d)] else opt$y
if (!yname %in% names(d)) usage(sprintf("no column '%s' in %s", yname, opt$data))
xnames <- setdiff(names(d), yname)
# Backquoted so that any column name makes a valid formula.
bq <- function(s) paste0("`", s, "`")
rhs <- paste(bq(xnames), collapse = " + ")
f_expert <- as.formula(paste(bq(yname), "~", rhs))
f_gate <- as.formula(paste("~", rhs))

control <- list(tolerance = opt$tol, iter.max = opt$max_iter,
                minprior = opt$minprior, verbose = 0)

best <- NULL
total_iter <- 0L
failed <- 0L
t0 <- proc.time()
for (r in seq_len(opt$starts)) {
    set.seed(opt$seed + r - 1L)
    fit <- tryCatch(flexmix(f_expert, data = d, k = opt$k, model = FLXMRglm(),
                            concomitant = FLXPmultinom(f_gate), control = control),
                    error = function(e) NULL)
    if (is.null(fit)) { failed <- failed + 1L; next }
    total_iter <- total_iter + fit@iter
    if (is.null(best) || fit@logLik > best@logLik) best <- fit
}
dt <- proc.time() - t0
seconds <- dt[["elapsed"]]
cpu <- dt[["user.self"]] + dt[["sys.self"]]

if (is.null(best)) {
    cat("bench-flexmix.R: every start failed\n", file = stderr())
    cat(sprintf("%.3f %.3f NA NA %d %d 0\n", seconds, cpu, total_iter, failed))
    quit(save = "no", status = 1)
}
cat(sprintf("%.3f %.3f %d %.10g %d %d %d\n", seconds, cpu, best@iter, best@logLik,
            total_iter, failed, best@k))
