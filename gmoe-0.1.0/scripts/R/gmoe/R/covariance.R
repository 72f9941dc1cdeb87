## covariance.R -- the covariance of the free parameters, from the library
## (gmoe_covariance through gmoe_r_covariance), at the fit's kept data.
.gmoe_covariance <- function(object, type = "observed") {
    p <- .gmoe_pack(object)
    kept <- .gmoe_kept(object)
    len <- length(p$mpar)                     # bounds the number of free parameters
    xn <- c(object$xnames, if (isTRUE(object$gate_own)) object$gxnames)   # the C side's xnames
    width <- max(nchar(xn, type = "bytes")) + 32L
    out <- .gmoe_call(C_gmoe_r_covariance, mnames = p$mnames, mints = p$mints, mpar = p$mpar,
                      xnames = as.character(xn), n = nrow(kept$x), x = cbind(kept$x, kept$gx),
                      y = as.double(kept$y), w = kept$w, kind = .gmoe_str(type, "type"), p = 0L,
                      cov = double(len * len), names = rep(strrep(" ", width), len))
    np <- out$p
    matrix(out$cov[seq_len(np * np)], np, np,
           dimnames = list(out$names[seq_len(np)], out$names[seq_len(np)]))
}
