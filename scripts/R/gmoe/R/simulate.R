## simulate.R -- draws from a model: gmoe_simulate (the library's seeds,
## as mixsim) and the simulate() method (R's seeds, as for lm).

gmoe_simulate <- function(model, n, seed, design = "uniform", lo = NULL, hi = NULL, x = NULL) {
    if (missing(seed))
        stop("seed is required (the library's own seed: R's set.seed() does not apply)",
             call. = FALSE)
    p <- .gmoe_pack(model)
    .gmoe_no_gate_x(model, "gmoe_simulate")
    d <- model$d
    if (!is.null(x)) {
        x <- .gmoe_x(if (is.data.frame(x) && all(model$xnames %in% names(x))) x[model$xnames]
                     else x)
        if (ncol(x) != d)
            stop("x has ", ncol(x), " covariate columns, the model ", d, call. = FALSE)
        if (missing(n)) n <- nrow(x)
        design <- "given"
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
    df <- as.data.frame(matrix(out$x, n, d, dimnames = list(NULL, model$xnames)))
    df[[model$yname]] <- out$y
    attr(df, "expert") <- out$z
    df
}

## nsim responses at the fit's own covariates.  As stats::simulate: R's
## random number generator (and set.seed, or `seed`) decides the draws,
## through one library seed per simulation drawn from it.
simulate.gmoe <- function(object, nsim = 1, seed = NULL, ...) {
    .gmoe_no_gate_x(object, "simulate")
    x <- .gmoe_kept(object)$x
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
    sims <- lapply(seeds, function(s) gmoe_simulate(object, seed = s, x = x)[[object$yname]])
    val <- as.data.frame(setNames(sims, paste0("sim_", seq_len(nsim))))
    attr(val, "seed") <- rng_state
    val
}
