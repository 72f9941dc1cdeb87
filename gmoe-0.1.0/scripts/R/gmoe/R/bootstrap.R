## bootstrap.R -- bootstrap standard errors and percentile intervals of a
## fit (the library's gmoe_bootstrap, as mixfit --bootstrap).

gmoe_bootstrap <- function(fit, B, type = c("nonparametric", "parametric"), threads = 0) {
    type <- match.arg(type)
    B <- .gmoe_int(B, "B")
    if (is.na(B)) # the range is the library's (C side)
        stop("B (bootstrap replicates) must be a whole number", call. = FALSE)
    p <- .gmoe_pack(fit, "fit")
    kept <- .gmoe_kept(fit)
    o <- fit$options
    if (is.null(o))
        stop("fit has no EM options: give a fit from gmoe_fit", call. = FALSE)
    len <- length(p$mpar)                     # bounds the number of free parameters
    xn <- c(fit$xnames, if (isTRUE(fit$gate_own)) fit$gxnames)   # the C side's xnames
    width <- max(nchar(xn, type = "bytes")) + 32L
    out <- .gmoe_call(C_gmoe_r_bootstrap, mnames = p$mnames, mints = p$mints, mpar = p$mpar,
        xnames = as.character(xn), n = nrow(kept$x), x = cbind(kept$x, kept$gx),
        y = as.double(kept$y), w = kept$w, onames = .gmoe_onames(o), oints = .gmoe_oints(o),
        odbl = .gmoe_odbl(o), type = type, replicates = B,
        threads = .gmoe_int(threads, "threads"), seed = .gmoe_dbl(o$seed, "seed"), ok = 0L,
        p = 0L, names = rep(strrep(" ", width), len), se = double(len), lower = double(len),
        upper = double(len))
    np <- seq_len(out$p)
    nm <- out$names[np]
    res <- data.frame(estimate = unname(coef(fit)[nm]), se = out$se[np],
                      lower = out$lower[np], upper = out$upper[np], row.names = nm)
    attr(res, "replicates") <- B
    attr(res, "ok") <- out$ok
    attr(res, "type") <- type
    res
}
