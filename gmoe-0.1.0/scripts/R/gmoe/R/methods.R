## methods.R -- what a fitted model answers: print, summary, coef, vcov,
## confint, logLik (and so AIC, BIC), nobs, fitted, residuals, formula.

## The parameters as a named vector, in the library's order and names
## (gmoe_param_name): for each expert i beta0[i], beta1[i,x...], a[i,x...],
## b[i], sigma2[i], then tau.  The reference expert's pinned gate entries
## are included, as 0; vcov() covers the free ones.
coef.gmoe <- function(object, ...) {
    .gmoe_pack(object)                        # every part there, with its shape
    xn <- object$xnames
    gn <- .gmoe_gate_names(object)
    one <- function(i) {
        v <- c(object$beta0[[i]], object$beta1[i, ], object$a[i, ], object$b[[i]],
               object$sigma2[[i]])
        names(v) <- c(sprintf("beta0[%d]", i), sprintf("beta1[%d,%s]", i, gn),
                      sprintf("a[%d,%s]", i, xn), sprintf("b[%d]", i), sprintf("sigma2[%d]", i))
        v
    }
    c(unlist(lapply(seq_len(object$k), one)), tau = object$tau)
}

## The gate's covariates' names: its own (gate = ~ z), else the experts'.
.gmoe_gate_names <- function(m) if (isTRUE(m$gate_own)) as.character(m$gxnames) else m$xnames

.gmoe_header <- function(x) {
    opts <- switch(x$family,
        topk = sprintf(", top_k = %d, select = %s", x$top_k, x$select),
        temperature = sprintf(", tau = %.6g%s", x$tau, if (x$tau_estimated) " (estimated)" else ""),
        activation = sprintf(", %s, bias %s, tau = %.6g%s", x$activation, x$bias, x$tau,
                             if (x$tau_estimated) " (estimated)" else ""),
        "")
    gate <- if (!isTRUE(x$gate_own)) ""
            else if (x$dg == 0L) ", constant gate (dg = 0)"
            else sprintf(", gate on %s (dg = %d)", paste(x$gxnames, collapse = ", "), x$dg)
    sprintf("Gaussian mixture of experts: %s gate%s, k = %d, d = %d%s", x$family, opts, x$k,
            x$d, gate)
}

## The parameters as a k-row table (gate, expert, variance columns).
.gmoe_table <- function(x) {
    cf <- cbind(x$beta0, x$beta1, x$b, x$a, x$sigma2)
    colnames(cf) <- c("gate.(Intercept)", sprintf("gate.%s", .gmoe_gate_names(x)),
                      "expert.(Intercept)", sprintf("expert.%s", x$xnames), "sigma2")
    rownames(cf) <- paste("expert", seq_len(x$k))
    cf
}

print.gmoe <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
    cat(.gmoe_header(x), "\n", sep = "")
    if (!is.null(x$call))
        cat("Call: ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
    if (isTRUE(x$has_fit)) {
        cat(sprintf("n = %g, log-likelihood = %.*g, AIC = %.*g, BIC = %.*g\n",
                    x$n, digits + 3L, x$loglik, digits + 3L, x$aic, digits + 3L, x$bic))
        if (!isTRUE(x$converged))
            cat("EM did not converge (stopped: ", x$stop, ")\n", sep = "")
    }
    if (!is.null(x$selection)) {
        cat("k chosen by ", toupper(x$criterion), " (lower is better):\n", sep = "")
        sel <- x$selection
        sel$error <- NULL
        sel$chosen <- ifelse(sel$chosen, "*", "")
        print(sel, digits = digits + 3L, row.names = FALSE)
    }
    cat("\n")
    print(.gmoe_table(x), digits = digits)
    invisible(x)
}

logLik.gmoe <- function(object, ...) {
    if (!isTRUE(object$has_fit))
        stop("this model has no fit; use gmoe_loglik(model, x, y)", call. = FALSE)
    structure(object$loglik, df = object$npar, nobs = nobs(object), class = "logLik")
}

nobs.gmoe <- function(object, ...) {
    if (!isTRUE(object$has_fit))
        stop("this model has no fit", call. = FALSE)
    if (is.null(object$nobs)) object$n else object$nobs   # with case weights, their sum
}

formula.gmoe <- function(x, ...) {
    if (is.null(x$terms))
        stop("this model was not fitted with a formula", call. = FALSE)
    formula(x$terms)
}

fitted.gmoe <- function(object, ...) predict(object, type = "mean")

## "response": y minus the predictive mean; "pearson": divided by the
## predictive standard deviation.
residuals.gmoe <- function(object, type = c("response", "pearson"), ...) {
    type <- match.arg(type)
    y <- .gmoe_kept(object)$y
    r <- y - predict(object, type = "mean")
    if (type == "pearson")
        r <- r / sqrt(predict(object, type = "variance"))
    r
}

.gmoe_kept <- function(object) {
    if (is.null(object[["x"]]) || is.null(object[["y"]]))
        stop("the fit kept no data (keep_data = FALSE): give newdata", call. = FALSE)
    list(x = object[["x"]], y = object[["y"]], gx = .gmoe_kept_gx(object),
         w = if (is.null(object[["weights"]])) double(0) else object[["weights"]])
}

## The kept gate covariates of a fit whose gate has its own (else NULL).
.gmoe_kept_gx <- function(object) {
    if (!isTRUE(object$gate_own))
        return(NULL)
    if (is.null(object[["gx"]]))
        stop("the fit kept no gate covariates (keep_data = FALSE): give newdata", call. = FALSE)
    object[["gx"]]
}

## The covariance of the free parameters: the inverse observed information
## or the sandwich (the library's gmoe_covariance).
vcov.gmoe <- function(object, type = c("observed", "sandwich"), ...) {
    .gmoe_covariance(object, match.arg(type))
}

confint.gmoe <- function(object, parm, level = 0.95, type = c("observed", "sandwich"), ...) {
    if (!is.numeric(level) || length(level) != 1L || is.na(level) || level <= 0 || level >= 1)
        stop("level must be a number in (0, 1)", call. = FALSE)
    v <- vcov(object, type = match.arg(type))
    est <- coef(object)[rownames(v)]
    se <- sqrt(diag(v))
    if (!missing(parm)) {
        keep <- if (is.character(parm)) parm else rownames(v)[parm]
        if (anyNA(keep) || !all(keep %in% rownames(v)))
            stop("parm must name or number free parameters (rownames(vcov(fit)))", call. = FALSE)
        est <- est[keep]; se <- se[keep]
    }
    a <- (1 - level) / 2
    q <- qnorm(1 - a)
    ci <- cbind(est - q * se, est + q * se)
    colnames(ci) <- sprintf("%.3g %%", 100 * c(a, 1 - a))
    ci
}

summary.gmoe <- function(object, level = 0.95, ...) {
    s <- list(header = .gmoe_header(object), call = object$call, table = .gmoe_table(object),
              has_fit = isTRUE(object$has_fit), selection = object$selection)
    if (s$has_fit) {
        s$fit <- object[c("n", "loglik", "npar", "aic", "bic", "icl", "iterations",
                          "converged", "stop", "seed", "restarts", "best_restart")]
        s$coefficients <- tryCatch({
            v <- vcov(object)
            est <- coef(object)[rownames(v)]
            se <- sqrt(diag(v))
            z <- est / se
            ci <- confint(object, level = level)
            cbind(Estimate = est, `Std. Error` = se, `z value` = z,
                  `Pr(>|z|)` = 2 * pnorm(-abs(z)), ci)
        }, gmoe_error = function(e) conditionMessage(e))
    }
    if (!is.null(object[["x"]]))
        s$weights <- setNames(colMeans(predict(object, type = "gate")),
                              paste("expert", seq_len(object$k)))
    structure(s, class = "summary.gmoe")
}

print.summary.gmoe <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
    cat(x$header, "\n", sep = "")
    if (!is.null(x$call))
        cat("Call: ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
    cat("\n")
    if (is.matrix(x$coefficients)) {
        cat("Coefficients (Wald tests and intervals from the observed information):\n")
        printCoefmat(x$coefficients[, 1:4, drop = FALSE], digits = digits)
        cat("\nWald intervals:\n")
        print(x$coefficients[, 5:6, drop = FALSE], digits = digits)
    } else {
        print(x$table, digits = digits)
        if (is.character(x$coefficients))
            cat("\nNo standard errors: ", x$coefficients, "\n", sep = "")
    }
    if (!is.null(x$weights)) {
        cat("\nMean gate probability (share of the data):\n")
        print(x$weights, digits = digits)
    }
    if (x$has_fit) {
        f <- x$fit
        cat(sprintf("\nn = %g   log-likelihood = %.10g   free parameters = %g\n",
                    f$n, f$loglik, f$npar))
        cat(sprintf("AIC = %.10g   BIC = %.10g   ICL = %.10g\n", f$aic, f$bic, f$icl))
        cat(sprintf("EM: %s after %g iterations (%s); best of %g restarts (restart %g), seed %.0f\n",
                    if (f$converged) "converged" else "NOT converged", f$iterations,
                    f$stop, f$restarts, f$best_restart + 1, f$seed))
    }
    if (!is.null(x$selection)) {
        cat("\nChoice of k:\n")
        sel <- x$selection
        sel$error <- NULL
        print(sel, digits = digits + 3L, row.names = FALSE)
    }
    invisible(x)
}
