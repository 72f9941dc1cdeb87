## gmoe.R -- Gaussian mixtures of experts from R, through libgmoe's .C entry
## points (lib/gmoe_r.h; manual: gmoe-r(7)).
##
##   source("/usr/local/share/gmoe/R/gmoe.R")      # after `make install`
##   fit <- gmoe_fit(x, y, k = 2)
##   fit; summary(fit); coef(fit); logLik(fit); AIC(fit); BIC(fit)
##   predict(fit, newdata); plot(fit)
##
## The library is found, in this order, at the path in the environment
## variable GMOE_LIB (e.g. lib/.libs/libgmoe.so of a build tree), in the
## libdir this file was installed with, in pkg-config's libdir for gmoe, and
## in the standard library directories.  Every error of the C side becomes
## an R error of class "gmoe_error" carrying the message and the status code.
##
## Seeds are the library's own: the same seed gives the same numbers as
## `mixfit --seed`, whatever R's set.seed() or the thread count.

.gmoe <- new.env(parent = emptyenv())
.gmoe_errmsg_len <- 512L                 # GMOE_ERRMSG_LEN in gmoe.h
.gmoe_installed_libdir <- "@GMOE_LIBDIR@"  # filled in by `make install`
.gmoe_info_names <- c("loglik", "aic", "bic", "icl", "npar", "iterations",
                      "converged", "stop_code", "n", "seed", "restarts",
                      "best_restart")     # enum gmoe_r_info in gmoe_r.h

## ------------------------------------------------------------ loading

gmoe_find_library <- function() {
    so <- paste0("libgmoe", .Platform$dynlib.ext)
    env <- Sys.getenv("GMOE_LIB")
    if (nzchar(env)) {
        if (!file.exists(env))
            stop("GMOE_LIB is set to '", env, "', which does not exist", call. = FALSE)
        return(normalizePath(env))
    }
    dirs <- character()
    if (!startsWith(.gmoe_installed_libdir, "@"))
        dirs <- .gmoe_installed_libdir
    if (nzchar(Sys.which("pkg-config"))) {
        pc <- suppressWarnings(tryCatch(
            system2("pkg-config", c("--variable=libdir", "gmoe"),
                    stdout = TRUE, stderr = FALSE),
            error = function(e) character()))
        if (length(pc) == 1L && nzchar(pc))
            dirs <- c(dirs, pc)
    }
    dirs <- c(dirs, "/usr/local/lib", Sys.glob("/usr/local/lib/*-linux-gnu"),
              "/usr/lib", Sys.glob("/usr/lib/*-linux-gnu"), "/usr/lib64")
    cand <- file.path(dirs, so)
    hit <- cand[file.exists(cand)]
    if (!length(hit))
        stop("libgmoe not found (looked for ", paste(cand, collapse = ", "),
             "); install gmoe or set GMOE_LIB to the path of ", so, call. = FALSE)
    hit[[1L]]
}

gmoe_load <- function(path = gmoe_find_library()) {
    if (!is.null(.gmoe$dll) && identical(.gmoe$path, path))
        return(invisible(path))
    dll <- dyn.load(path, local = TRUE, now = TRUE)
    if (!is.loaded("gmoe_r_fit", PACKAGE = dll[["name"]])) {
        dyn.unload(path)
        stop(path, " has no R entry points (gmoe_r_fit): a libgmoe older than this gmoe.R?",
             call. = FALSE)
    }
    .gmoe$dll <- dll
    .gmoe$path <- path
    .gmoe$sym <- new.env(parent = emptyenv())
    invisible(path)
}

## Calls entry point `.entry` with the arguments in `...` (named), adding the
## status and message buffer; a non-zero status becomes a "gmoe_error".
.gmoe_call <- function(.entry, ...) {   # not `name`: `n = ` would match it
    if (is.null(.gmoe$dll))
        gmoe_load()
    sym <- get0(.entry, envir = .gmoe$sym, inherits = FALSE)
    if (is.null(sym)) {
        sym <- getNativeSymbolInfo(.entry, .gmoe$dll)
        assign(.entry, sym, envir = .gmoe$sym)
    }
    out <- .C(sym, ..., status = 0L,
              msg = strrep(" ", .gmoe_errmsg_len - 1L), NAOK = TRUE)
    if (out$status != 0L) {
        cond <- structure(class = c("gmoe_error", "error", "condition"),
                          list(message = out$msg, call = sys.call(-1L),
                               status = out$status))
        stop(cond)
    }
    out
}

## ------------------------------------------------------------ arguments

## A single whole number as an R integer.  NA is passed on for the C side
## to refuse; fractions and huge values are refused here because
## as.integer() would change them silently.
.gmoe_int <- function(v, what) {
    if (is.logical(v) && length(v) == 1L && is.na(v))
        return(NA_integer_)
    if (!is.numeric(v) || length(v) != 1L)
        stop(what, " must be a single number", call. = FALSE)
    if (!is.na(v) && (v != round(v) || abs(v) > .Machine$integer.max))
        stop(what, " must be a whole number (got ", format(v), ")", call. = FALSE)
    as.integer(v)
}

.gmoe_dbl <- function(v, what) {
    if (is.logical(v) && length(v) == 1L && is.na(v))
        return(NA_real_)
    if (!is.numeric(v) || length(v) != 1L)
        stop(what, " must be a single number", call. = FALSE)
    as.double(v)
}

.gmoe_str <- function(v, what) {
    if (!is.character(v) || length(v) != 1L)
        stop(what, " must be a single string", call. = FALSE)
    v
}

## Covariates as a double matrix n x d (a vector is one covariate).
.gmoe_x <- function(x, what = "x") {
    if (is.data.frame(x)) {
        ok <- vapply(x, is.numeric, logical(1L))
        if (!all(ok))
            stop(what, ": column(s) ", paste(names(x)[!ok], collapse = ", "),
                 " are not numeric", call. = FALSE)
        x <- as.matrix(x)
    }
    if (is.null(dim(x))) {
        if (!is.numeric(x))
            stop(what, " must be a numeric vector, matrix or data frame", call. = FALSE)
        x <- matrix(x, ncol = 1L)
    }
    if (!is.numeric(x) || length(dim(x)) != 2L)
        stop(what, " must be a numeric vector, matrix or data frame", call. = FALSE)
    storage.mode(x) <- "double"
    x
}

.gmoe_xnames <- function(x, d) {
    nm <- colnames(x)
    if (is.null(nm) || anyNA(nm) || any(!nzchar(nm)))
        nm <- if (d == 1L) "x" else paste0("x", seq_len(d))
    nm
}

## ------------------------------------------------------------ models

## The three vectors of a packed model (gmoe_r.h), after checking that the
## object's parts have the shapes its k and d say.
.gmoe_pack <- function(m, what = "model") {
    if (!inherits(m, "gmoe"))
        stop(what, " must be a \"gmoe\" object (from gmoe_fit, gmoe_model or gmoe_read_model)",
             call. = FALSE)
    k <- m$k; d <- m$d
    ## With a bad k or d the C side refuses the model and says why.
    if (isTRUE(k >= 1 && d >= 1)) {
        shape <- function(v, len, name) {
            if (!is.numeric(v) || length(v) != len)
                stop(what, ": ", name, " must be numeric of length ", len, call. = FALSE)
        }
        shape(m$beta0, k, "beta0"); shape(m$b, k, "b"); shape(m$sigma2, k, "sigma2")
        shape(m$beta1, k * d, "beta1"); shape(m$a, k * d, "a"); shape(m$tau, 1L, "tau")
    }
    mpar <- as.double(c(m$beta0, m$beta1, m$a, m$b, m$sigma2, m$tau))
    list(mnames = c(m$family, m$select, m$activation, m$bias),
         mints = c(as.integer(k), as.integer(d), as.integer(m$top_k),
                   as.integer(isTRUE(m$tau_estimated))),
         mpar = mpar, mlen = length(mpar))
}

## A "gmoe" object from a packed model.
.gmoe_unpack <- function(mnames, mints, mpar, xnames, yname) {
    k <- mints[[1L]]; d <- mints[[2L]]
    take <- function(from, len) mpar[from + seq_len(len)]
    ex <- paste("expert", seq_len(k))
    mat <- function(v) matrix(v, k, d, dimnames = list(ex, xnames))
    structure(class = "gmoe", list(
        family = mnames[[1L]], k = k, d = d,
        beta0 = setNames(take(0L, k), ex),
        beta1 = mat(take(k, k * d)),
        a = mat(take(k + k * d, k * d)),
        b = setNames(take(k + 2L * k * d, k), ex),
        sigma2 = setNames(take(2L * k + 2L * k * d, k), ex),
        tau = mpar[[length(mpar)]],
        top_k = mints[[3L]], select = mnames[[2L]],
        activation = mnames[[3L]], bias = mnames[[4L]],
        tau_estimated = mints[[4L]] == 1L,
        xnames = xnames, yname = yname))
}

.gmoe_set_info <- function(m, info, stop) {
    info <- setNames(as.list(info), .gmoe_info_names)
    for (f in names(info))
        m[[f]] <- info[[f]]
    m$converged <- info$converged == 1
    m$stop <- stop
    m$has_fit <- TRUE
    m
}

## A model built by hand, e.g. the true model of a simulation study.
## beta1 and a are k x d matrices (or vectors of length k when d = 1); the
## gate of the last expert must be pinned as the family requires (softmax,
## topk, temperature: beta0 and beta1 zero; activation: beta0 zero).
gmoe_model <- function(beta0, beta1, a, b, sigma2, gating = "softmax", tau = 1,
                       top_k = length(b), select = "slope", activation = "tanh",
                       bias = "outside", xnames = NULL, yname = "y") {
    k <- length(b)
    if (k < 1L)
        stop("b must have one entry per expert", call. = FALSE)
    as_kd <- function(v, name) {
        if (!is.numeric(v))
            stop(name, " must be numeric", call. = FALSE)
        if (is.null(dim(v))) {
            if (length(v) != k)
                stop(name, ": a vector must have one entry per expert (", k,
                     "); use a k x d matrix for d > 1", call. = FALSE)
            v <- matrix(v, k, 1L)
        }
        if (nrow(v) != k)
            stop(name, " must have k = ", k, " rows", call. = FALSE)
        v
    }
    beta1 <- as_kd(beta1, "beta1"); a <- as_kd(a, "a")
    d <- ncol(beta1)
    if (ncol(a) != d)
        stop("beta1 and a must have the same number of columns", call. = FALSE)
    if (is.null(xnames))
        xnames <- .gmoe_xnames(beta1, d)
    if (length(xnames) != d)
        stop("xnames must have d = ", d, " entries", call. = FALSE)
    m <- .gmoe_unpack(c(.gmoe_str(gating, "gating"), .gmoe_str(select, "select"),
                        .gmoe_str(activation, "activation"), .gmoe_str(bias, "bias")),
                      c(k, d, .gmoe_int(top_k, "top_k"), 0L),
                      c(as.double(beta0), as.double(beta1), as.double(a), as.double(b),
                        as.double(sigma2), .gmoe_dbl(tau, "tau")),
                      xnames, yname)
    if (length(beta0) != k || length(sigma2) != k)
        stop("beta0, b and sigma2 must have one entry per expert", call. = FALSE)
    m$has_fit <- FALSE
    p <- .gmoe_pack(m)
    .gmoe_call("gmoe_r_model_check", mnames = p$mnames, mints = p$mints,
               mpar = p$mpar, mlen = p$mlen)
    m
}

## ------------------------------------------------------------ fitting

## Fits a k-expert mixture of experts by maximum likelihood (EM with
## restarts).  x: numeric vector, matrix or data frame (n x d); y: numeric
## vector (n).  Or x a formula and y a data frame: gmoe_fit(y ~ u + v, df, k).
## A vector k (e.g. 1:4) fits each and keeps the best by `criterion`, with
## the table in $selection.  See gmoe-r(7) for every option.
gmoe_fit <- function(x, y, k, gating = "softmax", restarts = if (is.null(init)) 10 else 1,
                     seed = 1, tol = NULL, tol_rule = "per-obs", max_iter = 1000,
                     threads = 0, accel = "squarem", accel_warmup = 10, top_k = k, select = "slope",
                     tau = 1, tau_mode = "fixed", activation = "tanh", bias = "outside",
                     init = NULL, var_floor = 1e-6, min_weight = -1,
                     gate_max_iter = 300, gate_tol = 1e-12, criterion = c("bic", "aic", "icl"),
                     keep_data = TRUE) {
    cl <- match.call()
    yname <- if (is.name(cl$y)) as.character(cl$y) else "y"
    if (inherits(x, "formula")) {
        ## gmoe_fit(y ~ u + v, data, k): the covariates of the formula's
        ## design matrix, without its intercept (every expert and gate has one).
        if (missing(y) || !is.data.frame(y))
            stop("with a formula, give the data frame as the second argument", call. = FALSE)
        mf <- model.frame(x, data = y, na.action = na.pass)
        yname <- names(mf)[[1L]]
        mm <- model.matrix(attr(mf, "terms"), mf)
        x <- mm[, colnames(mm) != "(Intercept)", drop = FALSE]
        y <- model.response(mf)
    }
    x <- .gmoe_x(x)
    n <- nrow(x); d <- ncol(x)
    if (!is.numeric(y) || !is.null(dim(y)) && ncol(as.matrix(y)) != 1L)
        stop("y must be a numeric vector", call. = FALSE)
    y <- as.double(y)
    if (length(y) != n)
        stop("x has ", n, " rows but y has ", length(y), " values", call. = FALSE)
    xnames <- .gmoe_xnames(x, d)
    criterion <- match.arg(criterion)
    default_top_k <- missing(top_k)
    if (is.null(tol)) tol <- 0

    fit_k <- function(k) {
        k <- .gmoe_int(k, "k")
        if (default_top_k) top_k <- k
        kk <- if (is.na(k) || k < 1L) 0L else k   # the C side refuses k < 1
        shell <- structure(class = "gmoe", list(
            family = .gmoe_str(gating, "gating"), k = k, d = d,
            beta0 = double(kk), beta1 = double(kk * d), a = double(kk * d),
            b = double(kk), sigma2 = rep(1, kk), tau = .gmoe_dbl(tau, "tau"),
            top_k = .gmoe_int(top_k, "top_k"), select = .gmoe_str(select, "select"),
            activation = .gmoe_str(activation, "activation"),
            bias = .gmoe_str(bias, "bias"), tau_estimated = FALSE))
        has_init <- 0L
        if (!is.null(init)) {
            if (!inherits(init, "gmoe"))
                stop("init must be a \"gmoe\" object (a fit or gmoe_model())", call. = FALSE)
            if (!identical(init$k, k) || !identical(as.integer(init$d), d) ||
                !identical(init$family, shell$family))
                stop("init (", init$family, ", k = ", init$k, ", d = ", init$d,
                     ") does not match the fit (", shell$family, ", k = ", k, ", d = ", d, ")",
                     call. = FALSE)
            for (f in c("beta0", "beta1", "a", "b", "sigma2"))
                shell[[f]] <- init[[f]]
            has_init <- 1L
        }
        p <- .gmoe_pack(shell)
        out <- .gmoe_call("gmoe_r_fit",
            mnames = p$mnames, mints = p$mints, mpar = p$mpar, mlen = p$mlen,
            has_init = has_init, n = n, x = x, len_x = length(x), y = y, len_y = length(y),
            onames = c(.gmoe_str(tol_rule, "tol_rule"), .gmoe_str(accel, "accel"),
                       .gmoe_str(tau_mode, "tau_mode")),
            oints = c(.gmoe_int(restarts, "restarts"), .gmoe_int(max_iter, "max_iter"),
                      .gmoe_int(threads, "threads"), .gmoe_int(gate_max_iter, "gate_max_iter"),
                      .gmoe_int(accel_warmup, "accel_warmup")),
            odbl = c(.gmoe_dbl(tol, "tol"), .gmoe_dbl(seed, "seed"),
                     .gmoe_dbl(var_floor, "var_floor"), .gmoe_dbl(min_weight, "min_weight"),
                     .gmoe_dbl(gate_tol, "gate_tol")),
            out_par = double(p$mlen), out_tau_estimated = 0L,
            info = double(length(.gmoe_info_names)), stop = strrep(" ", 31L))
        m <- .gmoe_unpack(p$mnames, p$mints, out$out_par, xnames, yname)
        m$tau_estimated <- out$out_tau_estimated == 1L
        .gmoe_set_info(m, out$info, out$stop)
    }

    if (!(is.numeric(k) || identical(k, NA)) || length(k) < 1L)   # NA: refused by the C side
        stop("k must be a number, or a vector of numbers to choose from", call. = FALSE)
    if (length(k) == 1L) {
        m <- fit_k(k)
    } else {
        ## As `mixfit -k LO:HI`: every k with the same options and seed, the
        ## lowest criterion kept (ties to the smaller k); a k whose fit fails
        ## numerically is reported in the table and skipped.
        if (!is.null(init))
            stop("init fixes k: give a single k with init", call. = FALSE)
        k <- sort(unique(k))
        fits <- lapply(k, function(kk) tryCatch(fit_k(kk), gmoe_error = function(e) {
            if (!e$status %in% c(6L, 8L))      # GMOE_ESING, GMOE_ENUMERIC
                stop(e)
            conditionMessage(e)
        }))
        ok <- vapply(fits, inherits, logical(1L), "gmoe")
        if (!any(ok))
            stop("every fit failed: ", paste(unlist(fits[!ok]), collapse = "; "), call. = FALSE)
        field <- function(f) vapply(fits, function(m) if (inherits(m, "gmoe")) as.double(m[[f]]) else NA_real_, 0)
        sel <- data.frame(k = k, loglik = field("loglik"), npar = field("npar"),
                          aic = field("aic"), bic = field("bic"), icl = field("icl"),
                          iterations = field("iterations"), converged = field("converged") == 1,
                          error = vapply(fits, function(f) if (is.character(f)) f else "", ""))
        best <- which.min(sel[[criterion]])
        m <- fits[[best]]
        m$selection <- sel
        m$criterion <- criterion
    }
    m$call <- cl
    if (keep_data) {
        m$x <- x
        m$y <- y
    }
    m
}

## ------------------------------------------------------------ methods

coef.gmoe <- function(object, ...) {
    k <- object$k
    cf <- cbind(object$beta0, object$beta1, object$b, object$a, object$sigma2)
    colnames(cf) <- c("gate.(Intercept)", paste0("gate.", object$xnames),
                      "expert.(Intercept)", paste0("expert.", object$xnames), "sigma2")
    rownames(cf) <- paste("expert", seq_len(k))
    cf
}

.gmoe_header <- function(x) {
    opts <- switch(x$family,
        topk = sprintf(", top_k = %d, select = %s", x$top_k, x$select),
        temperature = sprintf(", tau = %.6g%s", x$tau, if (x$tau_estimated) " (estimated)" else ""),
        activation = sprintf(", %s, bias %s, tau = %.6g%s", x$activation, x$bias, x$tau,
                             if (x$tau_estimated) " (estimated)" else ""),
        "")
    sprintf("Gaussian mixture of experts: %s gate%s, k = %d, d = %d", x$family, opts, x$k, x$d)
}

print.gmoe <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
    cat(.gmoe_header(x), "\n", sep = "")
    if (isTRUE(x$has_fit)) {
        cat(sprintf("n = %g, log-likelihood = %.*g, AIC = %.*g, BIC = %.*g\n",
                    x$n, digits + 3L, x$loglik, digits + 3L, x$aic, digits + 3L, x$bic))
        if (!isTRUE(x$converged))
            cat("EM did not converge (stopped: ", x$stop, ")\n", sep = "")
    }
    if (!is.null(x$selection)) {
        cat("k chosen by ", toupper(x$criterion), " (lower is better):\n", sep = "")
        sel <- x$selection
        sel$error <- NULL
        sel$chosen <- ifelse(sel$k == x$k, "*", "")
        print(sel, digits = digits + 3L, row.names = FALSE)
    }
    cat("\n")
    print(coef(x), digits = digits)
    invisible(x)
}

summary.gmoe <- function(object, ...) {
    s <- list(header = .gmoe_header(object), coefficients = coef(object),
              has_fit = isTRUE(object$has_fit))
    if (s$has_fit)
        s$fit <- object[c("n", "loglik", "npar", "aic", "bic", "icl", "iterations",
                          "converged", "stop", "seed", "restarts", "best_restart")]
    if (!is.null(object$x)) {
        g <- predict(object, object$x, type = "gate")
        s$weights <- setNames(colMeans(g), paste("expert", seq_len(object$k)))
    }
    structure(s, class = "summary.gmoe")
}

print.summary.gmoe <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
    cat(x$header, "\n\n", sep = "")
    print(x$coefficients, digits = digits)
    if (!is.null(x$weights)) {
        cat("\nMean gate probability (share of the data):\n")
        print(x$weights, digits = digits)
    }
    if (x$has_fit) {
        f <- x$fit
        cat(sprintf("\nn = %g   log-likelihood = %.10g   free parameters = %g\n",
                    f$n, f$loglik, f$npar))
        cat(sprintf("AIC = %.10g   BIC = %.10g   ICL = %.10g\n", f$aic, f$bic, f$icl))
        cat(sprintf("EM: %s after %g iterations (%s); best of %g restarts (restart %g), seed %.0f\n",
                    if (f$converged) "converged" else "NOT converged", f$iterations,
                    f$stop, f$restarts, f$best_restart + 1, f$seed))
    }
    invisible(x)
}

logLik.gmoe <- function(object, ...) {
    if (!isTRUE(object$has_fit))
        stop("this model has no fit; use gmoe_loglik(model, x, y)", call. = FALSE)
    structure(object$loglik, df = object$npar, nobs = object$n, class = "logLik")
}

nobs.gmoe <- function(object, ...) object$n

## stats::AIC and stats::BIC work through logLik(); these return the same
## numbers as the library's (fit$aic, fit$bic) and exist so that the
## methods are listed for the class.
AIC.gmoe <- function(object, ..., k = 2) {
    if (length(list(...)))
        return(NextMethod())
    ll <- logLik(object)
    -2 * as.numeric(ll) + k * attr(ll, "df")
}

BIC.gmoe <- function(object, ...) {
    if (length(list(...)))
        return(NextMethod())
    ll <- logLik(object)
    -2 * as.numeric(ll) + log(attr(ll, "nobs")) * attr(ll, "df")
}

## Covariates for prediction: a data frame is matched by column name when
## it has the model's names, else taken in order.
.gmoe_newx <- function(object, newdata) {
    if (is.data.frame(newdata) && all(object$xnames %in% names(newdata)))
        newdata <- newdata[object$xnames]
    x <- .gmoe_x(newdata, "newdata")
    if (ncol(x) != object$d)
        stop("newdata has ", ncol(x), " covariate columns, the model ", object$d,
             call. = FALSE)
    x
}

## type "all": a data frame of the predictive mean and variance, the most
## probable expert under the gate and the gate probabilities gate.1..k;
## "mean", "var", "expert": a vector; "gate": an n x k matrix.
predict.gmoe <- function(object, newdata, type = c("all", "mean", "var", "gate", "expert"), ...) {
    type <- match.arg(type)
    if (missing(newdata)) {
        if (is.null(object$x))
            stop("no newdata and no data kept in the fit", call. = FALSE)
        newdata <- object$x
    }
    x <- .gmoe_newx(object, newdata)
    n <- nrow(x); k <- object$k
    p <- .gmoe_pack(object)
    out <- .gmoe_call("gmoe_r_predict", mnames = p$mnames, mints = p$mints,
                      mpar = p$mpar, mlen = p$mlen, n = n, x = x, len_x = length(x),
                      mean = double(n), var = double(n), gate = double(n * k),
                      best = integer(n))
    gate <- matrix(out$gate, n, k, dimnames = list(NULL, paste0("gate.", seq_len(k))))
    switch(type,
           mean = out$mean, var = out$var, expert = out$best, gate = gate,
           data.frame(mean = out$mean, var = out$var, expert = out$best, gate))
}

fitted.gmoe <- function(object, ...) predict(object, type = "mean")

## Log-likelihood of a model on data (x, y): the total (bit-identical for
## any number of threads), log p(y_i | x_i) per row and the
## responsibilities (n x k).
gmoe_loglik <- function(model, x, y, threads = 0) {
    x <- .gmoe_newx(model, x)
    n <- nrow(x); k <- model$k
    y <- as.double(y)
    p <- .gmoe_pack(model)
    out <- .gmoe_call("gmoe_r_loglik", mnames = p$mnames, mints = p$mints,
                      mpar = p$mpar, mlen = p$mlen, n = n, x = x, len_x = length(x),
                      y = y, len_y = length(y), threads = .gmoe_int(threads, "threads"),
                      loglik = 0, logdens = double(n), resp = double(n * k))
    list(loglik = out$loglik, logdens = out$logdens, resp = matrix(out$resp, n, k))
}

## Data with the fitted expert lines (top) and the gate probabilities
## (bottom) against covariate `which`; other covariates are held at their
## mean in the kept data (0 without data).
plot.gmoe <- function(x, which = 1L, data = NULL, ngrid = 200L, col = NULL, ...) {
    m <- x
    if (is.null(data) && !is.null(m$x))
        data <- list(x = m$x, y = m$y)
    j <- if (is.character(which)) match(which, m$xnames) else as.integer(which)
    if (is.na(j) || j < 1L || j > m$d)
        stop("which must name or number one of the ", m$d, " covariates", call. = FALSE)
    if (is.null(col))
        col <- c("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02")
    col <- rep_len(col, m$k)
    base <- if (!is.null(data)) colMeans(.gmoe_x(data$x)) else rep(0, m$d)
    rng <- if (!is.null(data)) range(.gmoe_x(data$x)[, j]) else c(0, 1)
    grid <- matrix(base, ngrid, m$d, byrow = TRUE)
    grid[, j] <- seq(rng[1L], rng[2L], length.out = ngrid)
    pr <- predict(m, grid)
    means <- sapply(seq_len(m$k), function(i) grid %*% m$a[i, ] + m$b[[i]])
    old <- par(mfrow = c(2L, 1L), mar = c(4, 4, 2, 1))
    on.exit(par(old))
    xl <- m$xnames[[j]]
    ylim <- range(means, if (!is.null(data)) data$y)
    plot(NA, xlim = rng, ylim = ylim, xlab = xl, ylab = m$yname,
         main = sprintf("%s gate, k = %d%s", m$family, m$k,
                        if (m$d > 1L) " (other covariates at their means)" else ""), ...)
    if (!is.null(data)) {
        g <- gmoe_loglik(m, data$x, data$y)$resp
        points(.gmoe_x(data$x)[, j], data$y, pch = 16, cex = 0.4,
               col = adjustcolor(col[max.col(g, ties.method = "first")], 0.5))
    }
    matlines(grid[, j], means, col = col, lty = 2, lwd = 1.5)
    lines(grid[, j], pr$mean, lwd = 2)
    matplot(grid[, j], as.matrix(pr[paste0("gate.", seq_len(m$k))]), type = "l",
            lty = 1, lwd = 2, col = col, ylim = c(0, 1), xlab = xl,
            ylab = "gate probability", main = "gate")
    ## One legend for both panels, where gate curves rarely are.
    legend("right", bg = "white", lty = 1, lwd = 2, col = c(col, "black"), cex = 0.8,
           legend = c(paste("expert", seq_len(m$k)), "predictive mean"))
    invisible(m)
}

## ------------------------------------------------------------ losses

## Voronoi loss of a fitted model against the true one (shared MODELS.md
## section 2, mixloss(1)): D1 when k equals the truth's k, D2 when larger
## (kind = "auto"), minimized over the gate translation unless translate
## = FALSE.  rbar: rbar[c] for a cell of c atoms (default rbar(2) = 4,
## rbar(3) = 6).
gmoe_loss <- function(fit, truth, kind = "auto", translate = TRUE, rbar = NULL) {
    pf <- .gmoe_pack(fit, "fit"); pt <- .gmoe_pack(truth, "truth")
    if (!is.logical(translate) || length(translate) != 1L || is.na(translate))
        stop("translate must be TRUE or FALSE", call. = FALSE)
    if (is.null(rbar)) rbar <- double()
    if (!is.numeric(rbar))
        stop("rbar must be numeric", call. = FALSE)
    ks <- truth$k
    out <- .gmoe_call("gmoe_r_loss",
        fnames = pf$mnames, fints = pf$mints, fpar = pf$mpar, flen = pf$mlen,
        tnames = pt$mnames, tints = pt$mints, tpar = pt$mpar, tlen = pt$mlen,
        kind = .gmoe_str(kind, "kind"), translate = as.integer(translate),
        rbar = as.double(rbar), len_rbar = length(rbar),
        res = double(3L), kind_out = 0L, t1 = double(fit$d), cell = integer(fit$k),
        cell_size = integer(ks), errs = double(ks * 6L))
    structure(class = "gmoe_loss", list(
        loss = out$res[[1L]], untranslated = out$res[[2L]],
        kind = c("D1", "D2")[out$kind_out], t0 = out$res[[3L]], t1 = out$t1,
        cell = out$cell, cell_size = out$cell_size,
        errors = matrix(out$errs, ks, 6L, dimnames = list(
            paste("true expert", seq_len(ks)),
            c("beta1", "a", "b", "sigma2", "tau", "mass")))))
}

print.gmoe_loss <- function(x, ...) {
    cat(sprintf("Voronoi loss %s = %.6g (untranslated %.6g; gate translation t0 = %.6g, t1 = %s)\n",
                x$kind, x$loss, x$untranslated, x$t0, paste(format(x$t1, digits = 6), collapse = ", ")))
    cat("cells (true expert of each fitted expert):", x$cell, "\n")
    invisible(x)
}

## ------------------------------------------------------------ simulation

## n rows from a model: covariates from `design` ("uniform" on [lo, hi],
## "normal", "grid": covariate 1 evenly spaced on [lo, hi]) or given as x,
## then y.  The seed is the library's (a whole number in [0, 2^53]), so
## the draws do not follow R's set.seed() and are the same on every run.
## Returns a data frame of the covariates and y, with the expert that
## produced each row in attribute "expert".
gmoe_simulate <- function(model, n, seed, design = "uniform", lo = NULL, hi = NULL, x = NULL) {
    if (missing(seed))
        stop("seed is required (the library's own seed: R's set.seed() does not apply)",
             call. = FALSE)
    p <- .gmoe_pack(model)
    d <- model$d
    if (!is.null(x)) {
        x <- .gmoe_newx(model, x)
        if (missing(n)) n <- nrow(x)
        design <- "given"
    }
    n <- .gmoe_int(n, "n")
    if (is.null(x))
        x <- double(if (!is.na(n) && n > 0L) n * d else 0L)
    if (is.null(lo) != is.null(hi))
        stop("give both lo and hi, or neither", call. = FALSE)
    if (is.null(lo)) lo <- hi <- double()
    if (!is.numeric(lo) || !is.numeric(hi) || length(lo) != length(hi))
        stop("lo and hi must be numeric vectors of the same length", call. = FALSE)
    nn <- if (is.na(n) || n < 1L) 0L else n
    out <- .gmoe_call("gmoe_r_simulate", mnames = p$mnames, mints = p$mints,
                      mpar = p$mpar, mlen = p$mlen, n = n,
                      design = .gmoe_str(design, "design"),
                      lo = as.double(lo), hi = as.double(hi), len_range = length(lo),
                      seed = .gmoe_dbl(seed, "seed"), x = as.double(x), len_x = length(x),
                      y = double(nn), z = integer(nn))
    df <- as.data.frame(matrix(out$x, n, d, dimnames = list(NULL, model$xnames)))
    df[[model$yname]] <- out$y
    attr(df, "expert") <- out$z
    df
}

## ------------------------------------------------------------ model files

## The command-line tools' JSON model files, read and written by the
## library itself (exact round trip).
gmoe_read_model <- function(path) {
    path <- path.expand(.gmoe_str(path, "path"))
    dims <- .gmoe_call("gmoe_r_model_dims", path = path, dims = integer(4L))$dims
    k <- dims[[1L]]; d <- dims[[2L]]
    buf <- strrep(" ", max(dims[[4L]], 1L))
    mlen <- as.integer(k * (2L * d + 3L) + 1L)
    out <- .gmoe_call("gmoe_r_model_read", path = path, mnames = rep(strrep(" ", 31L), 4L),
                      mints = c(k, d, 0L, 0L), mpar = double(mlen), mlen = mlen,
                      info = rep(NA_real_, length(.gmoe_info_names)),
                      stop = strrep(" ", 31L), xnames = rep(buf, d), yname = buf)
    xnames <- out$xnames
    if (any(!nzchar(xnames)))
        xnames <- .gmoe_xnames(NULL, d)
    m <- .gmoe_unpack(out$mnames, out$mints, out$mpar, xnames,
                      if (nzchar(out$yname)) out$yname else "y")
    m$has_fit <- FALSE
    if (dims[[3L]] == 1L)
        m <- .gmoe_set_info(m, out$info, out$stop)
    m
}

gmoe_write_model <- function(model, path) {
    p <- .gmoe_pack(model)
    path <- path.expand(.gmoe_str(path, "path"))
    fit <- isTRUE(model$has_fit)
    info <- if (fit) as.double(unlist(model[.gmoe_info_names]))
            else double(length(.gmoe_info_names))
    if (length(info) != length(.gmoe_info_names))
        stop("model: incomplete fit information", call. = FALSE)
    xn <- if (is.null(model$xnames)) character() else as.character(model$xnames)
    .gmoe_call("gmoe_r_model_write", path = path, mnames = p$mnames, mints = p$mints,
               mpar = p$mpar, mlen = p$mlen, n_names = length(xn), xnames = xn,
               yname = if (is.null(model$yname)) "" else as.character(model$yname),
               has_fit = as.integer(fit), info = info)
    invisible(path)
}
