## predict.R -- predictions and likelihoods at new or kept data.

## Covariates (and the response when `response`) for prediction.  A fit
## with a formula takes a data frame through its terms (factors coded as
## in the fit); otherwise a data frame is matched by column name when it
## has the model's names, else taken in order.
.gmoe_newdata <- function(object, newdata, response = FALSE) {
    if (missing(newdata) || is.null(newdata)) {
        if (response)
            return(.gmoe_kept(object))
        if (is.null(object[["x"]]))
            stop("no newdata and no data kept in the fit", call. = FALSE)
        return(list(x = object[["x"]], y = object[["y"]], gx = .gmoe_kept_gx(object)))
    }
    if (!is.null(object$terms)) {
        if (!is.data.frame(newdata))
            stop("newdata must be a data frame with the formula's variables", call. = FALSE)
        yvars <- all.vars(object$terms[[2L]])
        if (response && !all(yvars %in% names(newdata)))
            stop("newdata has no response column '", paste(yvars, collapse = "', '"),
                 "' (type = \"posterior\" needs it)", call. = FALSE)
        tt <- if (response) object$terms else delete.response(object$terms)
        mf <- model.frame(tt, newdata, na.action = na.omit, xlev = object$xlevels)
        mm <- model.matrix(tt, mf, contrasts.arg = object$contrasts)
        x <- mm[, colnames(mm) != "(Intercept)", drop = FALSE]
        y <- if (response) model.response(mf) else NULL
        if (response && (!is.numeric(y) || !is.null(dim(y))))
            stop("newdata: the response must be a numeric vector", call. = FALSE)
        gx <- .gmoe_new_gx(object, newdata)
        if (!is.null(gx) && nrow(gx) != nrow(x))
            stop("newdata: the experts' and the gate's covariates have missing values in ",
                 "different rows", call. = FALSE)
        return(list(x = .gmoe_x(x, "newdata"), y = if (response) as.double(y), gx = gx))
    }
    gx <- if (isTRUE(object$gate_own)) .gmoe_named_gx(object, newdata)
    x <- newdata
    y <- NULL
    if (is.data.frame(newdata) && all(object$xnames %in% names(newdata))) {
        x <- newdata[object$xnames]
        if (response) {
            if (!object$yname %in% names(newdata))
                stop("newdata has no response column '", object$yname, "'", call. = FALSE)
            y <- newdata[[object$yname]]
        }
    } else if (response) {
        stop("type = \"posterior\" needs the response: newdata must be a data frame with ",
             "columns ", paste(c(object$xnames, object$yname), collapse = ", "), call. = FALSE)
    }
    x <- .gmoe_x(x, "newdata")
    if (ncol(x) != object$d)
        stop("newdata has ", ncol(x), " covariate columns, the model ", object$d, call. = FALSE)
    if (response && !is.numeric(y))
        stop("newdata: the response must be numeric", call. = FALSE)
    list(x = x, y = if (response) as.double(y), gx = gx)
}

## The gate's own covariates of a model without formulas (one read from a
## file, as mixpredict does): newdata's columns named by gxnames.
.gmoe_named_gx <- function(object, newdata) {
    cols <- c(object$xnames, object$gxnames)
    if (!is.data.frame(newdata) || length(object$gxnames) != object$dg ||
        !all(cols %in% names(newdata)))
        stop("newdata for a model whose gate has covariates of its own must be a data frame ",
             "with columns ", paste(unique(cols), collapse = ", "), " (or the model must come ",
             "from a fit with formulas: gmoe_fit(y ~ x, gate = ~ z, data = ...))", call. = FALSE)
    if (object$dg == 0L)
        return(matrix(double(0), nrow(newdata), 0L))
    .gmoe_x(newdata[object$gxnames], "newdata")
}

## The gate's own covariates at newdata, through the gate's terms.
.gmoe_new_gx <- function(object, newdata) {
    if (!isTRUE(object$gate_own))
        return(NULL)
    if (is.null(object$gate_terms))
        stop("this model's gate has covariates of its own but no gate formula: ",
             "predict() at newdata needs a fit with gate = ~ ...", call. = FALSE)
    gf <- model.frame(object$gate_terms, newdata, na.action = na.omit, xlev = object$gate_xlevels)
    gm <- model.matrix(object$gate_terms, gf, contrasts.arg = object$gate_contrasts)
    gm[, colnames(gm) != "(Intercept)", drop = FALSE]
}

## "mean", "variance": the predictive mean and variance (vectors);
## "gate": gate probabilities, "expert": each expert's mean a_i'x + b_i,
## "posterior": responsibilities given the response (n x k matrices).
predict.gmoe <- function(object, newdata, type = c("mean", "variance", "gate", "expert",
                                                   "posterior"), ...) {
    type <- match.arg(type)
    p <- .gmoe_pack(object)
    k <- object$k
    cols <- paste("expert", seq_len(k))
    if (type == "posterior") {
        nd <- .gmoe_newdata(object, newdata, response = TRUE)
        r <- .gmoe_loglik_rows(p, cbind(nd$x, nd$gx), nd$y, 0L)$resp
        dimnames(r) <- list(rownames(nd$x), cols)
        return(r)
    }
    nd <- .gmoe_newdata(object, newdata)
    x <- nd$x
    n <- nrow(x)
    if (type == "expert") {
        mu <- sweep(x %*% t(object$a), 2L, object$b, "+")
        dimnames(mu) <- list(rownames(x), cols)
        return(mu)
    }
    out <- .gmoe_call(C_gmoe_r_predict, mnames = p$mnames, mints = p$mints, mpar = p$mpar,
                      n = n, x = cbind(x, nd$gx), mean = double(n), var = double(n), gate = double(n * k),
                      best = integer(n))
    switch(type,
           mean = setNames(out$mean, rownames(x)),
           variance = setNames(out$var, rownames(x)),
           gate = matrix(out$gate, n, k, dimnames = list(rownames(x), cols)))
}

.gmoe_loglik_rows <- function(p, x, y, threads, w = double(0)) {
    n <- nrow(x); k <- p$mints[[1L]]
    out <- .gmoe_call(C_gmoe_r_loglik, mnames = p$mnames, mints = p$mints, mpar = p$mpar,
                      n = n, x = x, y = as.double(y), w = w, threads = threads, loglik = 0,
                      logdens = double(n), resp = double(n * k))
    list(loglik = out$loglik, logdens = out$logdens, resp = matrix(out$resp, n, k))
}

gmoe_loglik <- function(model, x, y, threads = 0, weights = NULL, gate_x = NULL) {
    p <- .gmoe_pack(model)
    x <- .gmoe_x(if (is.data.frame(x) && all(model$xnames %in% names(x))) x[model$xnames] else x)
    if (ncol(x) != model$d)
        stop("x has ", ncol(x), " covariate columns, the model ", model$d, call. = FALSE)
    if (isTRUE(model$gate_own)) {
        gx <- .gmoe_gate_x(gate_x, nrow(x))
        if (is.null(gx) || ncol(gx) != model$dg)
            stop("the model's gate has ", model$dg, " covariate(s) of its own: give gate_x, ",
                 "a matrix with ", model$dg, " column(s)", call. = FALSE)
        x <- cbind(x, gx)
    } else if (!is.null(gate_x)) {
        stop("gate_x is for a model whose gate has covariates of its own", call. = FALSE)
    }
    if (!is.numeric(y))
        stop("y must be numeric", call. = FALSE)
    .gmoe_loglik_rows(p, x, y, .gmoe_int(threads, "threads"), .gmoe_weights(weights, nrow(x)))
}
