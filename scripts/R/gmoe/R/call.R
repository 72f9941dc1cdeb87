## call.R -- the one door to the C library: .gmoe_call() and the checks of
## the scalars it passes (lib/gmoe_r.h describes the entry points).

.gmoe_errmsg_len <- 512L                 # GMOE_ERRMSG_LEN in gmoe.h
.gmoe_interrupted <- 100L                # GMOE_R_INTERRUPTED in gmoe_r.h
.gmoe_info_names <- c("loglik", "aic", "bic", "icl", "npar", "iterations",
                      "converged", "stop_code", "n", "seed", "restarts",
                      "best_restart", "grad_norm",
                      "hessian_nd", "floor_gain", "variance_floor",
                      "spurious_expert", "spurious_rows", "spurious_ratio",
                      "spurious_rows_factor", "spurious_ratio_max")   # enum gmoe_r_info in gmoe_r.h

## A fit's information as the C side takes it (GMOE_R_NINFO numbers); a
## part the object lacks (an object made before it existed) is NA.
.gmoe_info_vector <- function(m)
    vapply(.gmoe_info_names, function(f) if (length(m[[f]]) != 1L) NA_real_ else as.double(m[[f]]),
           0, USE.NAMES = FALSE)

## Calls the registered entry point `routine` with the arguments in `...`
## (named), followed by the length of each (so that the C side checks every
## vector before reading it: .C passes none), the status and the message
## buffer.  A non-zero status becomes an R error of class "gmoe_error"
## carrying the library's message and status code.
.gmoe_call <- function(routine, ...) {
    args <- list(...)
    lens <- lengths(args, use.names = FALSE)
    out <- do.call(.C, c(list(routine), args,
                         list(lens = as.integer(lens), status = 0L,
                              msg = strrep(" ", .gmoe_errmsg_len - 1L), NAOK = TRUE)))
    if (out$status != 0L) {
        interrupted <- out$status == .gmoe_interrupted
        cls <- c(if (interrupted) "gmoe_interrupted", "gmoe_error", "error", "condition")
        msg <- if (interrupted) "the fit was interrupted (Ctrl-C)" else out$msg
        stop(structure(class = cls, list(message = msg, call = sys.call(-1L),
                                         status = out$status)))
    }
    out
}

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
    if (!is.character(v) || length(v) != 1L || is.na(v))
        stop(what, " must be a single string", call. = FALSE)
    v
}

.gmoe_flag <- function(v, what) {
    if (!is.logical(v) || length(v) != 1L || is.na(v))
        stop(what, " must be TRUE or FALSE", call. = FALSE)
    v
}

## Refuses a request whose result would not fit in memory, before R
## allocates it: `doubles` numbers of 8 bytes, compared with the memory
## the system says is available (Linux; elsewhere only R's own limit on
## vector lengths applies).
.gmoe_check_alloc <- function(doubles, what) {
    if (doubles > .Machine$integer.max)
        stop(what, " would need ", format(doubles), " numbers, more than an R vector passed ",
             "to C can hold (2^31 - 1)", call. = FALSE)
    avail <- .gmoe_mem_available()
    ## .C copies each vector it is given and returns the copies: count 3.
    need <- 3 * 8 * doubles
    if (!is.na(avail) && need > avail)
        stop(sprintf("%s would need about %.3g GB of memory; %.3g GB are available",
                     what, need / 1e9, avail / 1e9), call. = FALSE)
    invisible(TRUE)
}

.gmoe_mem_available <- function() {
    f <- "/proc/meminfo"
    if (!file.exists(f))
        return(NA_real_)
    line <- grep("^MemAvailable:", readLines(f, warn = FALSE), value = TRUE)
    if (length(line) != 1L)
        return(NA_real_)
    as.numeric(sub("^MemAvailable: *([0-9]+) kB.*$", "\\1", line)) * 1024
}

## Covariates as a double matrix n x d (a vector is one covariate).
.gmoe_x <- function(x, what = "x") {
    if (is.data.frame(x) && ncol(x) == 0L)   # experts without covariates
        return(matrix(double(0), nrow(x), 0L))
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
    if (d == 0L)            # paste0("x", integer(0)) would be "x"
        return(character())
    if (is.null(nm) || anyNA(nm) || any(!nzchar(nm)))
        nm <- if (d == 1L) "x" else paste0("x", seq_len(d))
    nm
}
