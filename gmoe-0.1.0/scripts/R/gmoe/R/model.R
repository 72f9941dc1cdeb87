## model.R -- "gmoe" objects and the packed model that crosses to C
## (gmoe_r.h): three vectors of names, integers and parameters.

## The three vectors of a packed model, after checking every part of the
## object that goes into them: a missing or malformed part is an R error
## naming it (and the C side checks the lengths again).
.gmoe_pack <- function(m, what = "model") {
    if (!inherits(m, "gmoe"))
        stop(what, " must be a \"gmoe\" object (from gmoe_fit, gmoe_model or gmoe_read_model)",
             call. = FALSE)
    part <- function(name, check, want) {
        v <- m[[name]]
        if (is.null(v))
            stop(what, ": $", name, " is missing", call. = FALSE)
        if (!check(v))
            stop(what, ": $", name, " must be ", want, call. = FALSE)
        v
    }
    one_string <- function(v) is.character(v) && length(v) == 1L && !is.na(v)
    whole <- function(v) is.numeric(v) && length(v) == 1L && !is.na(v) && v == round(v) &&
        v >= 1 && v <= .Machine$integer.max
    names <- vapply(c("family", "select", "activation", "bias"), part, "",
                    check = one_string, want = "a single string")
    count <- function(v) is.numeric(v) && length(v) == 1L && !is.na(v) && v == round(v) &&
        v >= 0 && v <= .Machine$integer.max
    k <- part("k", whole, "a whole number >= 1")
    own <- isTRUE(m$gate_own)     # the gate's own covariates: dg of them
    ## experts without covariates (d = 0) only beside a gate of its own
    d <- if (own) part("d", count, "a whole number >= 0") else part("d", whole, "a whole number >= 1")
    dg <- if (own) part("dg", count, "a whole number >= 0") else d
    top_k <- part("top_k", whole, "a whole number >= 1")
    tau_est <- part("tau_estimated", function(v) is.logical(v) && length(v) == 1L && !is.na(v),
                    "TRUE or FALSE")
    numeric_of <- function(len) function(v) is.numeric(v) && length(v) == len
    shape <- function(name, len) part(name, numeric_of(len), sprintf("numeric of length %d", len))
    pars <- list(shape("beta0", k), shape("beta1", k * dg), shape("a", k * d), shape("b", k),
                 shape("sigma2", k), shape("tau", 1L))
    list(mnames = unname(names),
         mints = as.integer(c(k, d, top_k, tau_est, if (own) dg)),
         mpar = as.double(unlist(pars, use.names = FALSE)))
}

## A "gmoe" object from a packed model (a fifth integer: dg, the gate's own
## covariates, named gxnames; beta1 is then k x dg).
.gmoe_unpack <- function(mnames, mints, mpar, xnames, yname, gxnames = NULL) {
    k <- mints[[1L]]; d <- mints[[2L]]
    own <- length(mints) == 5L
    dg <- if (own) mints[[5L]] else d
    take <- function(from, len) mpar[from + seq_len(len)]
    ex <- paste("expert", seq_len(k))
    mat <- function(v, cols, nm) matrix(v, k, cols, dimnames = list(ex, nm))
    m <- structure(class = "gmoe", list(
        family = mnames[[1L]], k = k, d = d,
        beta0 = setNames(take(0L, k), ex),
        beta1 = mat(take(k, k * dg), dg, if (own) gxnames else xnames),
        a = mat(take(k + k * dg, k * d), d, xnames),
        b = setNames(take(k + k * (d + dg), k), ex),
        sigma2 = setNames(take(2L * k + k * (d + dg), k), ex),
        tau = mpar[[length(mpar)]],
        top_k = mints[[3L]], select = mnames[[2L]],
        activation = mnames[[3L]], bias = mnames[[4L]],
        tau_estimated = mints[[4L]] == 1L,
        xnames = xnames, yname = yname))
    if (own) {
        m$gate_own <- TRUE
        m$dg <- dg
        m$gxnames <- if (is.null(gxnames)) character() else gxnames
    }
    m
}

## The entry points that do not take a gate with covariates of its own yet.
.gmoe_no_gate_x <- function(m, what) {
    if (isTRUE(m$gate_own))
        stop(what, "() does not support a gate with covariates of its own (gate = ~ ...) yet",
             call. = FALSE)
    invisible(TRUE)
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

gmoe_model <- function(beta0, beta1, a, b, sigma2, gating = "softmax", tau = 1,
                       top_k = length(b), select = "slope", activation = "tanh",
                       bias = "outside", xnames = NULL, yname = "y") {
    if (!is.numeric(b) || length(b) < 1L)
        stop("b must be numeric with one entry per expert", call. = FALSE)
    k <- length(b)
    as_kd <- function(v, name) {
        if (!is.numeric(v))
            stop(name, " must be numeric", call. = FALSE)
        if (is.null(dim(v))) {
            if (length(v) != k)
                stop(name, ": a vector must have one entry per expert (", k,
                     "); use a k x d matrix for d > 1", call. = FALSE)
            v <- matrix(v, k, 1L)
        }
        if (length(dim(v)) != 2L || nrow(v) != k)
            stop(name, " must have k = ", k, " rows", call. = FALSE)
        v
    }
    beta1 <- as_kd(beta1, "beta1"); a <- as_kd(a, "a")
    d <- ncol(beta1)
    if (ncol(a) != d)
        stop("beta1 and a must have the same number of columns", call. = FALSE)
    if (!is.numeric(beta0) || length(beta0) != k || !is.numeric(sigma2) || length(sigma2) != k)
        stop("beta0, b and sigma2 must be numeric with one entry per expert", call. = FALSE)
    if (is.null(xnames))
        xnames <- .gmoe_xnames(beta1, d)
    if (!is.character(xnames) || length(xnames) != d)
        stop("xnames must be a character vector of d = ", d, " names", call. = FALSE)
    m <- .gmoe_unpack(c(.gmoe_str(gating, "gating"), .gmoe_str(select, "select"),
                        .gmoe_str(activation, "activation"), .gmoe_str(bias, "bias")),
                      c(k, d, .gmoe_int(top_k, "top_k"), 0L),
                      c(as.double(beta0), as.double(beta1), as.double(a), as.double(b),
                        as.double(sigma2), .gmoe_dbl(tau, "tau")),
                      xnames, .gmoe_str(yname, "yname"))
    m$has_fit <- FALSE
    p <- .gmoe_pack(m)
    .gmoe_call(C_gmoe_r_model_check, mnames = p$mnames, mints = p$mints, mpar = p$mpar)
    m
}
