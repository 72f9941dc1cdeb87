## files.R -- the command-line tools' JSON model files, read and written by
## the library itself (exact round trip).

gmoe_read_model <- function(path) {
    path <- path.expand(.gmoe_str(path, "path"))
    dims <- .gmoe_call(C_gmoe_r_model_dims, path = path, dims = integer(5L))$dims
    k <- dims[[1L]]; d <- dims[[2L]]
    own <- dims[[5L]] >= 0L              # the gate's own covariates: dg of them
    dg <- if (own) dims[[5L]] else 0L
    buf <- strrep(" ", max(dims[[4L]], 1L))
    out <- .gmoe_call(C_gmoe_r_model_read, path = path, mnames = rep(strrep(" ", 31L), 4L),
                      mints = c(k, d, 0L, 0L, if (own) dg),
                      mpar = double(k * (2 * d + 3) + 1 + if (own) k * (dg - d) else 0),
                      info = rep(NA_real_, length(.gmoe_info_names)),
                      stop = strrep(" ", 31L), xnames = rep(buf, d + dg), yname = buf)
    xnames <- out$xnames[seq_len(d)]
    if (any(!nzchar(xnames)))
        xnames <- .gmoe_xnames(NULL, d)
    gxnames <- out$xnames[d + seq_len(dg)]
    if (any(!nzchar(gxnames)))
        gxnames <- if (dg > 0L) paste0("z", seq_len(dg)) else character()
    m <- .gmoe_unpack(out$mnames, out$mints, out$mpar, xnames,
                      if (nzchar(out$yname)) out$yname else "y", gxnames)
    m$has_fit <- FALSE
    if (dims[[3L]] == 1L)
        m <- .gmoe_set_info(m, out$info, out$stop)
    m
}

gmoe_write_model <- function(model, path) {
    p <- .gmoe_pack(model)
    path <- path.expand(.gmoe_str(path, "path"))
    fit <- isTRUE(model$has_fit)
    info <- if (fit) as.double(unlist(model[.gmoe_info_names])) else double()
    if (fit && length(info) != length(.gmoe_info_names))
        stop("model: incomplete fit information", call. = FALSE)
    xn <- if (is.null(model$xnames)) character() else as.character(model$xnames)
    if (isTRUE(model$gate_own) && !is.null(model$xnames))   # the gate's names follow
        xn <- c(xn, as.character(model$gxnames))
    yn <- if (is.null(model$yname)) "" else .gmoe_str(model$yname, "model$yname")
    .gmoe_call(C_gmoe_r_model_write, path = path, mnames = p$mnames, mints = p$mints,
               mpar = p$mpar, xnames = xn, yname = yn, has_fit = as.integer(fit), info = info)
    invisible(path)
}
