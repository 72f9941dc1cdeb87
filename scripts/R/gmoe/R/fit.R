## fit.R -- gmoe_fit: the formula interface (model frame, subset,
## na.action, weights, gate) and the matrix interface, which does the work.

gmoe_fit <- function(x, ...) UseMethod("gmoe_fit")

gmoe_fit.formula <- function(x, data = NULL, k, subset, weights, na.action, gate = NULL,
                             ..., keep_data = TRUE) {
    cl <- match.call()
    cl[[1L]] <- as.name("gmoe_fit")   # for update(): the generic, not this method
    if (missing(k))
        stop("k (the number of experts, or a vector of them to choose from) is required",
             call. = FALSE)
    if (!is.null(data) && !is.data.frame(data) && !is.list(data))
        stop("data must be a data frame", call. = FALSE)
    .gmoe_check_gate(gate)
    mf <- match.call(expand.dots = FALSE)
    mf <- mf[c(1L, match(c("x", "data", "subset", "weights", "na.action"), names(mf), 0L))]
    names(mf)[names(mf) == "x"] <- "formula"
    if (!is.null(gate)) {   # one model frame for both: the same rows drop
        both <- x
        both[[3L]] <- call("+", x[[3L]], gate[[2L]])
        mf$formula <- both
    }
    mf$drop.unused.levels <- TRUE
    mf[[1L]] <- quote(stats::model.frame)
    mf <- eval(mf, parent.frame())
    mt <- if (is.null(gate)) attr(mf, "terms") else terms(x, data = data)
    if (attr(mt, "response") == 0L)
        stop("the formula needs a response: y ~ x1 + x2", call. = FALSE)
    if (attr(mt, "intercept") == 0L)
        stop("a formula without intercept is not supported: every expert and gate has one",
             call. = FALSE)
    y <- model.response(mf)
    if (!is.numeric(y) || !is.null(dim(y)))
        stop("the response must be a numeric vector", call. = FALSE)
    mm <- model.matrix(mt, mf)
    xm <- mm[, colnames(mm) != "(Intercept)", drop = FALSE]
    if (ncol(xm) == 0L && is.null(gate))    # y ~ 1: experts without covariates, gate's own
        stop("the formula needs at least one covariate (y ~ x), or a gate formula ",
             "(y ~ 1, gate = ~ z: experts without covariates)", call. = FALSE)
    gt <- if (!is.null(gate)) delete.response(terms(gate, data = data))
    gx <- if (!is.null(gate)) .gmoe_gate_matrix(gt, mf)
    fit <- gmoe_fit.default(xm, y, k, weights = model.weights(mf), gate_x = gx, ...,
                            keep_data = keep_data, yname = deparse(mt[[2L]]))
    fit$call <- cl
    fit$terms <- mt
    fit$xlevels <- .getXlevels(mt, mf)
    fit$contrasts <- attr(mm, "contrasts")
    if (!is.null(gate)) {
        fit$gate_terms <- gt
        fit$gate_xlevels <- .getXlevels(gt, mf)
        fit$gate_contrasts <- attr(gx, "contrasts")
    }
    fit$na.action <- attr(mf, "na.action")
    fit
}

## gate = NULL (the gate reads the experts' covariates) or a one-sided
## formula of the gate's own covariates, with its intercept: ~ z1 + z2,
## or ~ 1 for a constant gate (a finite mixture of regressions).
.gmoe_check_gate <- function(gate) {
    if (is.null(gate))
        return(invisible(TRUE))
    if (!inherits(gate, "formula") || length(gate) != 2L)
        stop("gate must be a one-sided formula such as ~ z1 + z2 (or ~ 1 for a constant gate)",
             call. = FALSE)
    if (attr(terms(gate), "intercept") == 0L)
        stop("a gate formula without intercept is not supported: every gate has one",
             call. = FALSE)
    if (attr(terms(gate), "response") != 0L || length(attr(terms(gate), "offset")))
        stop("the gate formula takes covariates only (no response, no offset)", call. = FALSE)
    invisible(TRUE)
}

## The gate's covariates: its model matrix without the intercept column
## (n x dg, dg = 0 for ~ 1), as the experts' x.
.gmoe_gate_matrix <- function(gt, mf) {
    gm <- model.matrix(gt, mf)
    gx <- gm[, colnames(gm) != "(Intercept)", drop = FALSE]
    attr(gx, "assign") <- NULL
    attr(gx, "contrasts") <- attr(gm, "contrasts")
    gx
}

## The gate's own covariates of the matrix interface: NULL (the experts'),
## or a numeric matrix with n rows (0 columns: a constant gate).
.gmoe_gate_x <- function(gx, n) {
    if (is.null(gx))
        return(NULL)
    ctr <- attr(gx, "contrasts")
    gx <- if (is.matrix(gx) && ncol(gx) == 0L) matrix(double(0), nrow(gx), 0L)
          else .gmoe_x(gx, "gate_x")
    if (nrow(gx) != n)
        stop("gate_x has ", nrow(gx), " rows but x has ", n, call. = FALSE)
    if (ncol(gx) && is.null(colnames(gx)))
        colnames(gx) <- if (ncol(gx) == 1L) "z" else paste0("z", seq_len(ncol(gx)))
    attr(gx, "contrasts") <- ctr
    gx
}

## Case weights (frequency weights): NULL, or one finite number >= 0 per
## row, not all zero (the library checks the values and names the row);
## as the vector the C side takes (length 0: none).
.gmoe_weights <- function(w, n) {
    if (is.null(w))
        return(double(0))
    if (!is.numeric(w) || !is.null(dim(w)) || length(w) != n)
        stop("weights must be a numeric vector with one entry per row (", n, ")", call. = FALSE)
    as.double(w)
}

gmoe_fit.default <- function(x, y, k, weights = NULL, gate_x = NULL, gating = "softmax",
                             restarts = if (is.null(init)) 0 else 1, seed = 1, tol = NULL,
                             tol_rule = "per-obs", max_iter = 1000, threads = 0,
                             accel = "squarem", accel_warmup = 10, top_k = k, select = "slope",
                             tau = 1, tau_mode = "fixed", activation = "tanh",
                             bias = "outside", init = NULL, var_floor = 1e-6, min_weight = -1,
                             gate_max_iter = 300, gate_tol = 1e-12, split = TRUE,
                             criterion = c("bic", "aic", "icl"), keep_data = TRUE,
                             yname = NULL, ...) {
    cl <- match.call()
    cl[[1L]] <- as.name("gmoe_fit")
    if (length(list(...)))
        stop("unknown argument(s): ", paste(names(list(...)), collapse = ", "), call. = FALSE)
    if (missing(k))
        stop("k (the number of experts, or a vector of them to choose from) is required",
             call. = FALSE)
    if (is.null(yname))
        yname <- if (is.name(cl$y)) as.character(cl$y) else "y"
    x <- .gmoe_x(x)
    n <- nrow(x); d <- ncol(x)
    if (!is.numeric(y) || !is.null(dim(y)) && ncol(as.matrix(y)) != 1L)
        stop("y must be a numeric vector", call. = FALSE)
    y <- as.double(y)
    if (length(y) != n)
        stop("x has ", n, " rows but y has ", length(y), " values", call. = FALSE)
    w <- .gmoe_weights(weights, n)
    gx <- .gmoe_gate_x(gate_x, n)
    criterion <- match.arg(criterion)
    keep_data <- .gmoe_flag(keep_data, "keep_data")
    if (!(is.numeric(k) || identical(k, NA)) || length(k) < 1L)   # NA: refused by the C side
        stop("k must be a number, or a vector of numbers to choose from", call. = FALSE)
    opts <- list(gating = gating, restarts = restarts, seed = seed, tol = if (is.null(tol)) 0 else tol,
                 tol_rule = tol_rule, max_iter = max_iter, threads = threads, accel = accel,
                 accel_warmup = accel_warmup, top_k = if (missing(top_k)) NULL else top_k,
                 select = select, tau = tau, tau_mode = tau_mode, activation = activation,
                 bias = bias, var_floor = var_floor, min_weight = min_weight,
                 gate_max_iter = gate_max_iter, gate_tol = gate_tol,
                 split = .gmoe_flag(split, "split"))
    xnames <- .gmoe_xnames(x, d)
    m <- if (length(k) == 1L) .gmoe_fit_single(x, y, w, k, init, opts, xnames, yname, gx)
         else .gmoe_choose_k(x, y, w, k, init, opts, xnames, yname, criterion, gx)
    m$call <- cl
    m$options <- opts
    if (length(w))
        m$nobs <- sum(w)   # the n of BIC
    if (keep_data) {
        m$x <- x
        m$y <- y
        if (!is.null(gx))
            m$gx <- gx
        if (length(w))
            m$weights <- w
    }
    m
}

## One fit with k experts.  k is checked against n before anything
## k-long is built (gmoe_fit(x, y, k = 1e9) once allocated 24 GB).
## smaller: the fit with k - 1 experts whose split starts this fit also
## gets (gmoe_fit_nested), or NULL; lead: without smaller, by
## gmoe_fit_auto (the lead-in when needed).  The fit's notes
## (gmoe_fit_notes) are its $notes.
.gmoe_fit_k <- function(x, y, w, k, init, o, xnames, yname, gx = NULL, smaller = NULL,
                        lead = FALSE) {
    n <- nrow(x); d <- ncol(x)
    dg <- if (is.null(gx)) d else ncol(gx)
    k <- .gmoe_int(k, "k")
    if (!is.na(k) && k > n)
        stop("k = ", k, " experts for n = ", n, " rows: k must be at most n", call. = FALSE)
    top_k <- if (is.null(o$top_k)) k else o$top_k
    kk <- if (is.na(k) || k < 1L) 0L else k   # the C side refuses k < 1
    shell <- list(family = .gmoe_str(o$gating, "gating"), k = k, d = d,
                  beta0 = double(kk), beta1 = double(kk * dg), a = double(kk * d),
                  b = double(kk), sigma2 = rep(1, kk), tau = .gmoe_dbl(o$tau, "tau"),
                  top_k = .gmoe_int(top_k, "top_k"), select = .gmoe_str(o$select, "select"),
                  activation = .gmoe_str(o$activation, "activation"),
                  bias = .gmoe_str(o$bias, "bias"), tau_estimated = FALSE,
                  dg = if (!is.null(gx)) dg)
    has_init <- 0L
    if (!is.null(init)) {
        if (!inherits(init, "gmoe"))
            stop("init must be a \"gmoe\" object (a fit or gmoe_model())", call. = FALSE)
        if (!identical(as.integer(init$k), k) || !identical(as.integer(init$d), d) ||
            !identical(init$family, shell$family) ||
            !identical(isTRUE(init$gate_own), !is.null(gx)) ||
            !is.null(gx) && !identical(as.integer(init$dg), dg))
            stop("init (", format(init$family), ", k = ", format(init$k), ", d = ",
                 format(init$d), ") does not match the fit (", shell$family, ", k = ", k,
                 ", d = ", d, ")", call. = FALSE)
        for (f in c("beta0", "beta1", "a", "b", "sigma2"))
            shell[[f]] <- init[[f]]
        has_init <- 1L
    }
    p <- .gmoe_pack_shell(shell)
    model <- list(mnames = p$mnames, mints = p$mints, mpar = p$mpar)
    from <- if (lead && is.null(smaller) && is.null(init)) list(C_gmoe_r_fit_auto)
            else if (is.null(smaller)) list(C_gmoe_r_fit, has_init = has_init)
            else with(.gmoe_pack(smaller), list(C_gmoe_r_fit_nested, sints = mints, spar = mpar,
                                                sinfo = .gmoe_info_vector(smaller)))
    rest <- list(n = n, x = cbind(x, gx), y = y, w = w,
                 onames = .gmoe_onames(o), oints = .gmoe_oints(o), odbl = .gmoe_odbl(o),
                 out_par = double(length(p$mpar)), out_tau_estimated = 0L,
                 info = double(length(.gmoe_info_names)), stop = strrep(" ", 31L))
    out <- do.call(.gmoe_call, c(from[1L], model, from[-1L], rest))
    m <- .gmoe_unpack(p$mnames, p$mints, out$out_par, xnames, yname, colnames(gx))
    m$tau_estimated <- out$out_tau_estimated == 1L
    m <- .gmoe_set_info(m, out$info, out$stop)
    m$notes <- .gmoe_notes(m, x, w, gx)
    m
}

## The notes of fit m on its data (the library's gmoe_fit_notes): a data
## frame of code, the experts and gate covariate it is about (NA: none),
## value and message, one row per note (none: 0 rows).
.gmoe_notes <- function(m, x, w, gx = NULL) {
    dg <- if (is.null(gx)) m$d else ncol(gx)
    ## the most gmoe_fit_notes gives (gmoe.h; no factor levels: R codes its
    ## factors itself, so the library sees plain columns)
    cap <- 2L * m$k + m$k * (m$k - 1L) %/% 2L + m$k * dg + 4L
    p <- .gmoe_pack(m)
    out <- .gmoe_call(C_gmoe_r_notes, mnames = p$mnames, mints = p$mints, mpar = p$mpar,
                      info = .gmoe_info_vector(m), n = nrow(x), x = cbind(x, gx), w = w,
                      codes = rep(strrep(" ", 31L), cap), experts = integer(2L * cap),
                      covariates = integer(cap), values = double(cap),
                      messages = rep(strrep(" ", 255L), cap), count = 0L)
    i <- seq_len(out$count)
    none <- function(v) ifelse(v == 0L, NA_integer_, v)
    data.frame(code = out$codes[i], expert1 = none(out$experts[2L * i - 1L]),
               expert2 = none(out$experts[2L * i]), covariate = none(out$covariates[i]),
               value = ifelse(is.nan(out$values[i]), NA_real_, out$values[i]),
               message = out$messages[i], stringsAsFactors = FALSE)
}

## Whether fits of these options get split starts from the fit with one
## expert fewer (as mixfit without --no-split): not from init, not when
## only scored, not for a family without splits (GMOE_FAMILY_SPLITS).
## k (the largest of a vector) is checked here as the fit checks it, before
## any smaller fit is made.
.gmoe_splits <- function(o, init, k) {
    if (!isTRUE(o$split) || !is.null(init) || isTRUE(o$max_iter == 0) || !is.character(o$gating) ||
        length(o$gating) != 1L)
        return(FALSE)
    .gmoe_call(C_gmoe_r_fit_splits, family = o$gating, k = .gmoe_int(k, "k"), splits = 0L)$splits == 1L
}

## One k, as mixfit -k K: for K >= 3 with split starts the library's
## gmoe_fit_auto, which makes the fits with 2 .. K - 1 experts, each from
## the one before, and K's split starts only when K's random starts do not
## settle (not kept; a failure leaves K with random starts only).
.gmoe_fit_single <- function(x, y, w, k, init, o, xnames, yname, gx = NULL) {
    lead <- is.numeric(k) && length(k) == 1L && !is.na(k) && k == round(k) && k >= 3 &&
        k <= nrow(x) && .gmoe_splits(o, init, k)
    .gmoe_fit_k(x, y, w, k, init, o, xnames, yname, gx, lead = lead)
}

## .gmoe_fit_k without init, whose numerical failure (GMOE_ESING,
## GMOE_ENUMERIC) is returned as its message; other errors (and an
## interrupt) are raised.
.gmoe_try_fit <- function(x, y, w, k, o, xnames, yname, gx, smaller)
    tryCatch(.gmoe_fit_k(x, y, w, k, NULL, o, xnames, yname, gx, smaller),
             gmoe_error = function(e) {
        if (!e$status %in% c(6L, 8L))      # GMOE_ESING, GMOE_ENUMERIC
            stop(e)
        conditionMessage(e)
    })

## The EM options as gmoe_r_fit and gmoe_r_bootstrap take them.
.gmoe_onames <- function(o)
    c(.gmoe_str(o$tol_rule, "tol_rule"), .gmoe_str(o$accel, "accel"),
      .gmoe_str(o$tau_mode, "tau_mode"))
.gmoe_oints <- function(o)
    c(.gmoe_int(o$restarts, "restarts"), .gmoe_int(o$max_iter, "max_iter"),
      .gmoe_int(o$threads, "threads"), .gmoe_int(o$gate_max_iter, "gate_max_iter"),
      .gmoe_int(o$accel_warmup, "accel_warmup"))
.gmoe_odbl <- function(o)
    c(.gmoe_dbl(o$tol, "tol"), .gmoe_dbl(o$seed, "seed"), .gmoe_dbl(o$var_floor, "var_floor"),
      .gmoe_dbl(o$min_weight, "min_weight"), .gmoe_dbl(o$gate_tol, "gate_tol"))

## The packed vectors of a fit's starting shell: as .gmoe_pack, except
## that k, d and top_k may be NA or 0 for the C side to refuse with its
## own message.
.gmoe_pack_shell <- function(s) {
    list(mnames = c(s$family, s$select, s$activation, s$bias),
         mints = c(s$k, as.integer(s$d), s$top_k, 0L, as.integer(s$dg)),
         mpar = as.double(c(s$beta0, s$beta1, s$a, s$b, s$sigma2, s$tau)))
}

## As `mixfit -k LO:HI`: every k with the same options and seed, each k
## whose k - 1 is fitted just before it with split starts from that fit
## (unless split = FALSE), the lowest criterion kept (ties to the smaller
## k); a k whose fit fails numerically is reported in the table
## ($selection) and skipped.
.gmoe_choose_k <- function(x, y, w, k, init, opts, xnames, yname, criterion, gx = NULL) {
    if (!is.null(init))
        stop("init fixes k: give a single k with init", call. = FALSE)
    k <- sort(unique(k))
    split <- all(!is.na(k)) && .gmoe_splits(opts, NULL, max(k))
    fits <- vector("list", length(k))
    for (i in seq_along(k)) {
        prev <- if (split && i > 1L && k[i - 1L] == k[i] - 1 && inherits(fits[[i - 1L]], "gmoe"))
                    fits[[i - 1L]]
        fits[[i]] <- .gmoe_try_fit(x, y, w, k[i], opts, xnames, yname, gx, prev)
    }
    ok <- vapply(fits, inherits, logical(1L), "gmoe")
    if (!any(ok))
        stop("every fit failed: ", paste(unlist(fits[!ok]), collapse = "; "), call. = FALSE)
    field <- function(f)
        vapply(fits, function(m) if (inherits(m, "gmoe")) as.double(m[[f]]) else NA_real_, 0)
    sel <- data.frame(k = k, loglik = field("loglik"), npar = field("npar"),
                      aic = field("aic"), bic = field("bic"), icl = field("icl"),
                      iterations = field("iterations"), converged = field("converged") == 1,
                      error = vapply(fits, function(f) if (is.character(f)) f else "", ""))
    best <- which.min(sel[[criterion]])
    sel$chosen <- seq_along(k) == best
    m <- fits[[best]]
    m$selection <- sel
    m$criterion <- criterion
    m
}

gmoe_select_k <- function(x, ..., k = 1:4, criterion = c("bic", "aic", "icl")) {
    criterion <- match.arg(criterion)
    fit <- gmoe_fit(x, ..., k = k, criterion = criterion)
    sel <- fit$selection
    if (is.null(sel))
        sel <- data.frame(k = fit$k, loglik = fit$loglik, npar = fit$npar, aic = fit$aic,
                          bic = fit$bic, icl = fit$icl, iterations = fit$iterations,
                          converged = fit$converged, error = "", chosen = TRUE)
    attr(sel, "fit") <- fit
    sel
}
