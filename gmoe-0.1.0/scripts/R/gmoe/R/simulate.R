## simulate.R -- draws from a model: gmoe_simulate (the library's seeds,
## as mixsim) and the simulate() method (R's seeds, as for lm).

gmoe_simulate <- function(model, n, seed, design = "uniform", lo = NULL, hi = NULL, x = NULL,
                          gate_x = NULL) {
    if (missing(seed))
        stop("seed is required (the library's own seed: R's set.seed() does not apply)",
             call. = FALSE)
    p <- .gmoe_pack(model)
    d <- model$d
    gx <- .gmoe_sim_gx(model, x, gate_x)
    if (!is.null(x)) {
        x <- .gmoe_x(if (is.data.frame(x) && all(model$xnames %in% names(x))) x[model$xnames]
                     else x)
        if (ncol(x) != d)
            stop("x has ", ncol(x), " covariate columns, the model ", d, call. = FALSE)
        if (missing(n)) n <- nrow(x)
        design <- "given"
        if (!is.null(gx)) {
            gx <- .gmoe_gate_x(gx, nrow(x))
            if (ncol(gx) != model$dg)
                stop("gate_x has ", ncol(gx), " columns, the model's gate ", model$dg,
                     call. = FALSE)
            if (length(model$gxnames) == ncol(gx))
                colnames(gx) <- model$gxnames
            x <- cbind(x, gx)
        }
    }
    if (missing(n))
        stop("n (the number of rows) is required", call. = FALSE)
    n <- .gmoe_int(n, "n")
    nn <- if (is.na(n) || n < 1L) 0L else n     # the C side refuses n < 1
    .gmoe_check_alloc(as.double(nn) * (d + 2), sprintf("simulating n = %d rows", nn))
    if (is.null(x))
        x <- double(nn * d)
    if (is.null(lo) != is.null(hi))
        stop("give both lo and hi, or neither", call. = FALSE)
    if (is.null(lo)) lo <- hi <- double()
    if (!is.numeric(lo) || !is.numeric(hi))
        stop("lo and hi must be numeric vectors", call. = FALSE)
    out <- .gmoe_call(C_gmoe_r_simulate, mnames = p$mnames, mints = p$mints, mpar = p$mpar,
                      n = n, design = .gmoe_str(design, "design"), lo = as.double(lo),
                      hi = as.double(hi), seed = .gmoe_dbl(seed, "seed"), x = as.double(x),
                      y = double(nn), z = integer(nn))
    df <- as.data.frame(matrix(out$x[seq_len(nn * d)], n, d, dimnames = list(NULL, model$xnames)))
    for (j in seq_len(if (is.matrix(gx)) ncol(gx) else 0L))   # the gate's own, unless x's too
        if (!colnames(gx)[j] %in% names(df))
            df[[colnames(gx)[j]]] <- gx[, j]
    df[[model$yname]] <- out$y
    attr(df, "expert") <- out$z
    df
}

## nsim responses at the fit's own covariates.  As stats::simulate: R's
## random number generator (and set.seed, or `seed`) decides the draws,
## through one library seed per simulation drawn from it.
simulate.gmoe <- function(object, nsim = 1, seed = NULL, ...) {
    kept <- .gmoe_kept(object)
    x <- kept$x
    nsim <- .gmoe_int(nsim, "nsim")
    if (is.na(nsim) || nsim < 1L)
        stop("nsim must be a whole number >= 1", call. = FALSE)
    .gmoe_check_alloc(as.double(nsim) * nrow(x), sprintf("nsim = %d simulations", nsim))
    if (!exists(".Random.seed", envir = globalenv(), inherits = FALSE))
        runif(1L)
    if (is.null(seed)) {
        rng_state <- get(".Random.seed", envir = globalenv())
    } else {
        old <- get(".Random.seed", envir = globalenv())
        on.exit(assign(".Random.seed", old, envir = globalenv()))
        set.seed(seed)
        rng_state <- structure(seed, kind = as.list(RNGkind()))
    }
    seeds <- floor(runif(nsim) * 2^31)
    sims <- lapply(seeds, function(s) gmoe_simulate(object, seed = s, x = x,
                                                      gate_x = kept$gx)[[object$yname]])
    val <- as.data.frame(setNames(sims, paste0("sim_", seq_len(nsim))))
    attr(val, "seed") <- rng_state
    val
}

## The gate's own covariates for gmoe_simulate: gate_x, else x's columns
## named by gxnames (a data frame); none for a constant gate or a model
## whose gate reads x.
.gmoe_sim_gx <- function(model, x, gate_x) {
    if (!isTRUE(model$gate_own)) {
        if (!is.null(gate_x))
            stop("gate_x is for a model whose gate has covariates of its own", call. = FALSE)
        return(NULL)
    }
    if (!is.null(gate_x) || model$dg == 0L)
        return(if (is.null(gate_x) && !is.null(x)) matrix(double(0), NROW(x), 0L) else gate_x)
    if (is.data.frame(x) && length(model$gxnames) == model$dg && all(model$gxnames %in% names(x)))
        return(x[model$gxnames])
    stop("the model's gate has ", model$dg, " covariate(s) of its own: give x and gate_x, ",
         "or x a data frame with columns ", paste(model$gxnames, collapse = ", "), call. = FALSE)
}
