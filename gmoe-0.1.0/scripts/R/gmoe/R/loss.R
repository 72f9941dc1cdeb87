## loss.R -- the Voronoi loss of a fitted model against the true one
## (MODELS.md section 2, mixloss(1)).

gmoe_loss <- function(fit, truth, kind = "auto", translate = TRUE, rbar = NULL) {
    pf <- .gmoe_pack(fit, "fit"); pt <- .gmoe_pack(truth, "truth")
    translate <- .gmoe_flag(translate, "translate")
    if (is.null(rbar)) rbar <- double()
    if (!is.numeric(rbar))
        stop("rbar must be numeric", call. = FALSE)
    ks <- pt$mints[[1L]]
    out <- .gmoe_call(C_gmoe_r_loss,
        fnames = pf$mnames, fints = pf$mints, fpar = pf$mpar,
        tnames = pt$mnames, tints = pt$mints, tpar = pt$mpar,
        kind = .gmoe_str(kind, "kind"), translate = as.integer(translate),
        rbar = as.double(rbar),
        res = double(3L), kind_out = 0L, t1 = double(pf$mints[[2L]]),
        cell = integer(pf$mints[[1L]]), cell_size = integer(ks), errs = double(ks * 6L))
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
                x$kind, x$loss, x$untranslated, x$t0,
                paste(format(x$t1, digits = 6), collapse = ", ")))
    cat("cells (true expert of each fitted expert):", x$cell, "\n")
    invisible(x)
}
