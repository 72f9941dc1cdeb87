## Every method on real numbers.

fit <- gmoe_fit(y ~ x, data = ref, k = 2, seed = 1, restarts = 5)

test_that("coef, logLik, AIC, BIC, nobs are the library's numbers", {
    cf <- coef(fit)
    expect_equal(length(cf), 2 * (2 * 1 + 3) + 1)
    expect_identical(unname(cf[c("beta1[1,x]", "b[2]", "sigma2[1]")]),
                     c(fit$beta1[1, 1], fit$b[[2]], fit$sigma2[[1]]))
    ll <- logLik(fit)
    expect_equal(attr(ll, "df"), 8)
    expect_equal(nobs(fit), 2000)
    expect_equal(AIC(fit), fit$aic, tolerance = 1e-12)
    expect_equal(BIC(fit), fit$bic, tolerance = 1e-12)
    expect_equal(BIC(fit), -2 * fit$loglik + 8 * log(2000), tolerance = 1e-12)
})

test_that("fitted, residuals and predict agree", {
    expect_identical(fitted(fit), predict(fit))
    expect_equal(unname(residuals(fit)), ref$y - unname(fitted(fit)), tolerance = 1e-15)
    rp <- residuals(fit, type = "pearson")
    expect_equal(unname(rp), unname((ref$y - fitted(fit)) / sqrt(predict(fit, type = "variance"))))
    g <- predict(fit, type = "gate")
    expect_equal(dim(g), c(2000L, 2L))
    expect_equal(unname(rowSums(g)), rep(1, 2000), tolerance = 1e-15)
    e <- predict(fit, ref[1:4, ], type = "expert")
    expect_equal(unname(e[, 2]), fit$a[2, 1] * ref$x[1:4] + fit$b[[2]], tolerance = 1e-15)
    post <- predict(fit, type = "posterior")
    expect_equal(unname(post), gmoe_loglik(fit, ref["x"], ref$y)$resp)
    expect_equal(unname(predict(fit, type = "mean")),
                 unname(rowSums(predict(fit, type = "gate") * predict(fit, type = "expert"))),
                 tolerance = 1e-12)
})

test_that("simulate follows set.seed and the fit's covariates", {
    s1 <- simulate(fit, nsim = 3, seed = 7)
    s2 <- simulate(fit, nsim = 3, seed = 7)
    expect_identical(s1, s2)
    expect_identical(dim(s1), c(2000L, 3L))
    set.seed(7); s3 <- simulate(fit, nsim = 3)
    expect_identical(c(s3$sim_1, s3$sim_2), c(s1$sim_1, s1$sim_2))
    expect_identical(s3$sim_3, s1$sim_3)
    ## the simulated responses have the model's mean (4 standard errors)
    z <- (mean(s1$sim_1) - mean(fitted(fit))) / sqrt(mean(predict(fit, type = "variance")) / 2000)
    expect_lt(abs(z), 4)
})

test_that("print, summary and plot run and show the numbers", {
    expect_output(print(fit), "log-likelihood = -874.8378")
    out <- capture.output(print(summary(fit)))
    expect_true(any(grepl(sprintf("%.10g", fit$loglik), out, fixed = TRUE)))
    expect_true(any(grepl("EM: converged", out)))
    f <- tempfile(fileext = ".png")
    png(f)
    expect_silent(plot(fit))
    dev.off()
    expect_gt(file.size(f), 1000)
    unlink(f)
})

## A parameter of a "gmoe" object by the library's name ("beta1[1,x]").
set_param <- function(m, name, value) {
    if (name == "tau") {
        m$tau <- value
        return(m)
    }
    parts <- regmatches(name, regexec("^([a-z0-9]+)\\[([0-9]+)(,(.*))?\\]$", name))[[1L]]
    i <- as.integer(parts[[3L]])
    if (nzchar(parts[[5L]])) m[[parts[[2L]]]][i, parts[[5L]]] <- value
    else m[[parts[[2L]]]][[i]] <- value
    m
}

test_that("vcov is the inverse of minus the Hessian of gmoe_loglik (finite differences)", {
    v <- vcov(fit)
    theta <- coef(fit)[rownames(v)]
    ll <- function(th) {
        m <- fit
        for (j in seq_along(th)) m <- set_param(m, names(th)[j], th[[j]])
        gmoe_loglik(m, ref["x"], ref$y)$loglik
    }
    p <- length(theta)
    h <- 1e-4 * pmax(1, abs(theta))
    H <- matrix(0, p, p)
    for (i in seq_len(p)) for (j in seq_len(p)) {
        e <- function(si, sj) { th <- theta; th[i] <- th[i] + si * h[i]; th[j] <- th[j] + sj * h[j]; ll(th) }
        H[i, j] <- (e(1, 1) - e(1, -1) - e(-1, 1) + e(-1, -1)) / (4 * h[i] * h[j])
    }
    expect_equal(unname(solve(-H)), unname(v), tolerance = 1e-3)
    sw <- vcov(fit, type = "sandwich")
    expect_identical(dimnames(sw), dimnames(v))
    expect_true(all(diag(sw) > 0))
})

test_that("vcov, confint and summary's table come from the observed information", {
    v <- vcov(fit)
    expect_equal(dim(v), c(8L, 8L))
    expect_true(isSymmetric(v))
    expect_true(all(diag(v) > 0))
    ci <- confint(fit)
    est <- coef(fit)[rownames(v)]
    expect_equal(unname(ci[, 1]), unname(est - qnorm(0.975) * sqrt(diag(v))))
    s <- summary(fit)
    expect_equal(unname(s$coefficients[, "Std. Error"]), unname(sqrt(diag(v))))
})

test_that("gmoe_bootstrap: standard errors near the observed information's", {
    b <- gmoe_bootstrap(fit, B = 30, threads = 1)
    expect_identical(rownames(b), rownames(vcov(fit)))
    expect_equal(attr(b, "ok"), 30L)
    expect_identical(gmoe_bootstrap(fit, B = 30, threads = 2), b)
    ## 30 replicates: each bootstrap se within a factor 2 of the Wald one
    ratio <- b$se / sqrt(diag(vcov(fit)))
    expect_true(all(ratio > 0.5 & ratio < 2))
    expect_true(all(b$lower < b$estimate & b$estimate < b$upper))
})
