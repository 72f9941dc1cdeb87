## Against flexmix on a small case (400 rows): the same model class
## (Gaussian GLM experts, multinomial concomitant gate), the same data.
## Measured: flexmix stops at -165.8385 (its concomitant M-step is
## inexact), gmoe at -165.8360; the parameters agree to about 5e-4.

test_that("flexmix reaches no higher likelihood, and the same parameters", {
    skip_if_not_installed("flexmix")
    small <- ref[seq(1, 2000, by = 5), ]
    fit <- gmoe_fit(y ~ x, data = small, k = 2, restarts = 5, tol = 1e-12)
    set.seed(1)
    fm <- flexmix::stepFlexmix(y ~ x, data = small, k = 2, nrep = 5, verbose = FALSE,
                               model = flexmix::FLXMRglm(),
                               concomitant = flexmix::FLXPmultinom(~ x))
    expect_gte(fit$loglik, fm@logLik - 1e-9)
    expect_lt(fit$loglik - fm@logLik, 0.01)
    ## Match the experts by their slopes' signs, whatever the labels.
    p <- flexmix::parameters(fm)                     # intercept, slope, sigma
    ours <- rbind(fit$b, fit$a[, 1], sqrt(fit$sigma2))
    expect_equal(unname(ours[, order(ours[2, ])]), unname(p[, order(p[2, ])]),
                 tolerance = 2e-3)
    ## The gate: flexmix's is relative to its component 1, ours to expert 2.
    g <- flexmix::parameters(fm, which = "concomitant")
    theirs <- g[, 2] - g[, 1]                        # log-odds of comp 2 over comp 1
    ours_gate <- c(fit$beta0[[1]], fit$beta1[1, 1])  # log-odds of expert 1 over expert 2
    expect_equal(abs(ours_gate), abs(unname(theirs)), tolerance = 2e-3)
})
