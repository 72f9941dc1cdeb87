## Bad calls: each is a clean R error with a message that says what is
## wrong, never a crash.  The first two killed the R session before
## (issue 14; issue 16 faults 1 and 2).

fit <- gmoe_fit(y ~ x, data = ref, k = 2, restarts = 2)
x <- ref$x
y <- ref$y
bad <- function(expr, pattern, ...) expect_error(expr, pattern, ...)

test_that("predict on a fit missing $select, $activation and $bias (was a segfault)", {
    broken <- fit
    broken$select <- NULL; broken$activation <- NULL; broken$bias <- NULL
    bad(predict(broken, ref[1:3, ]), "model: \\$select is missing")
    ## the C side checks the lengths itself, whatever R sends it
    bad(gmoe:::.gmoe_call(gmoe:::C_gmoe_r_predict, mnames = "softmax",
                          mints = c(2L, 1L, 2L, 0L), mpar = as.double(c(-8, 0, 25, 0, -20, 20, 15,
                                                                        -5, .09, .16, 1)),
                          n = 3L, x = c(0, 0.5, 1), mean = double(3), var = double(3),
                          gate = double(6), best = integer(3)),
        "model names \\(family, select, activation, bias\\) has length 1, expected 4",
        class = "gmoe_error")
    bad(gmoe:::.gmoe_call(gmoe:::C_gmoe_r_predict, mnames = c("softmax", "slope", "tanh", "outside"),
                          mints = c(2L, 1L, 2L, 0L),
                          mpar = as.double(c(-8, 0, 25, 0, -20, 20, 15, -5, .09, .16, 1)), n = 3L,
                          x = c(0, 0.5, 1), mean = double(3), var = double(3),
                          gate = double(2), best = integer(3)),
        "gate has length 2, expected 6", class = "gmoe_error")
    ## a fifth model integer is the gate's own covariates' number dg >= 0
    bad(gmoe:::.gmoe_call(gmoe:::C_gmoe_r_predict, mnames = c("softmax", "slope", "tanh", "outside"),
                          mints = c(2L, 1L, 2L, 0L, -1L),
                          mpar = as.double(c(-8, 0, 25, 0, -20, 20, 15, -5, .09, .16, 1)), n = 3L,
                          x = c(0, 0.5, 1), mean = double(3), var = double(3),
                          gate = double(6), best = integer(3)),
        "dg \\(number of gate covariates\\)", class = "gmoe_error")
    bad(gmoe:::.gmoe_call(gmoe:::C_gmoe_r_predict, mnames = c("softmax", "slope", "tanh", "outside"),
                          mints = c(2L, 1L, 2L, 0L, 0L),
                          mpar = as.double(c(-8, 0, 25, 0, -20, 20, 15, -5, .09, .16, 1)), n = 3L,
                          x = c(0, 0.5, 1), mean = double(3), var = double(3),
                          gate = double(6), best = integer(3)),
        "parameter vector has length 11, expected 9", class = "gmoe_error")
})

test_that("k = 1e9 is refused before anything k-long is allocated (was an OOM kill)", {
    bad(gmoe_fit(x, y, k = 1e9), "k = 1000000000 experts for n = 2000 rows: k must be at most n")
    bad(gmoe_fit(x, y, k = 1001), "k must be 1 to 1000 \\(got 1001\\)")
    bad(gmoe_fit(y ~ x, data = ref, k = 1e9), "k must be at most n")
    bad(gmoe_simulate(truth, n = 1e9, seed = 1), "memory|more than an R vector")
    bad(simulate(fit, nsim = 2e9), "whole number|more than an R vector|memory")
})

test_that("bad k, criterion and family options", {
    bad(gmoe_fit(x, y, k = 0), "k must be 1 to 1000 \\(got 0\\)")
    bad(gmoe_fit(x, y, k = NA), "got NA")
    bad(gmoe_fit(x, y, k = 1.5), "k must be a whole number")
    bad(gmoe_fit(x, y, k = 0:2), "k must be 1 to 1000 \\(got 0\\)")
    bad(gmoe_fit(x, y, k = "two"), "k must be a number")
    bad(gmoe_fit(x, y), "k \\(the number of experts")
    bad(gmoe_fit(x, y, k = 1:2, criterion = "dic"), "should be one of")
    bad(gmoe_fit(x, y, k = 2, gating = "sofmax"),
        "unknown gating family 'sofmax' \\(one of: softmax, topk, temperature, activation\\)")
    bad(gmoe_fit(x, y, k = 2, gating = "topk", top_k = 3), "top_k must be 1 to k = 2 \\(got 3\\)")
    bad(gmoe_fit(x, y, k = 2, gating = "temperature", tau = 0), "tau must be a finite number > 0")
    bad(gmoe_fit(x, y, k = 2, gating = "activation", activation = "relu"),
        "unknown activation 'relu'")
    bad(gmoe_fit(x, y, k = 2, gating = c("softmax", "topk")), "gating must be a single string")
})

test_that("bad EM options", {
    bad(gmoe_fit(x, y, k = 2, seed = -1), "seed must be a whole number")
    bad(gmoe_fit(x, y, k = 2, seed = 0.5), "seed must be a whole number")
    bad(gmoe_fit(x, y, k = 2, seed = 2^60), "seed must be a whole number")
    bad(gmoe_fit(x, y, k = 2, restarts = 1000001), "restarts must be at most 1000000 \\(got 1000001\\)")
    bad(gmoe_fit(x, y, k = 2, restarts = -1), "restarts must not be negative")
    bad(gmoe_fit(x, y, k = 2, max_iter = 0), "max_iter must be 1 to 100000000 \\(got 0\\)")
    bad(gmoe_fit(x, y, k = 2, var_floor = 1), "var_floor must be in \\[0, 1\\)")
    bad(gmoe_fit(x, y, k = 2, tol_rule = "rel"), "unknown tolerance rule")
    bad(gmoe_fit(x, y, k = 2, tol = -1), "tol must be a finite number >= 0")
    bad(gmoe_fit(x, y, k = 2, threads = -1), "threads must not be negative")
    bad(gmoe_fit(x, y, k = 2, threads = 5000), "threads must be 0 \\(OpenMP's default\\) to 4096")
    bad(gmoe_fit(x, y, k = 2, max_iter = 1:2), "max_iter must be a single number")
    bad(gmoe_fit(x, y, k = 2, keep_data = NA), "keep_data must be TRUE or FALSE")
    bad(gmoe_fit(x, y, k = 2, foo = 1), "unknown argument\\(s\\): foo")
    bad(gmoe_fit(x, y, k = 2, init = `[[<-`(truth, "sigma2", c(-1, 1))), "sigma2")
    bad(gmoe_fit(x, y, k = 3, init = truth), "does not match the fit")
})

test_that("bad data", {
    xna <- x; xna[17] <- NA
    bad(gmoe_fit(xna, y, k = 2), "x\\[17, 1\\] is NA or NaN")
    yinf <- y; yinf[3] <- Inf
    bad(gmoe_fit(x, yinf, k = 2), "y\\[3\\] is infinite")
    bad(gmoe_fit(x, y[-1], k = 2), "x has 2000 rows but y has 1999")
    bad(gmoe_fit(x, as.character(y), k = 2), "y must be a numeric vector")
    bad(gmoe_fit(y ~ x, data = 1:3, k = 2), "data must be a data frame")
    bad(gmoe_fit(~ x, data = ref, k = 2), "needs a response")
    bad(gmoe_fit(y ~ x - 1, data = ref, k = 2), "without intercept is not supported")
    bad(gmoe_fit(y ~ 1, data = ref, k = 2), "at least one covariate")
    bad(gmoe_fit(g ~ x, data = transform(ref, g = factor(y > 0)), k = 2),
        "response must be a numeric vector")
    bad(gmoe_fit(x, y, k = 2, weights = rep(2, 3)),
        "weights must be a numeric vector with one entry per row")
    bad(gmoe_fit(y ~ x, data = ref, k = 2, weights = c(-1, rep(1, 1999))),
        "row 1: the case weight -1 is negative")
    bad(gmoe_fit(x, y, k = 2, weights = c(rep(1, 9), NaN, rep(1, 1990))),
        "row 10: the case weight is not finite")
    bad(gmoe_fit(y ~ x, data = ref, k = 2, weights = rep(0, 2000)),
        "every case weight is zero")
    bad(gmoe_fit(y ~ x, data = ref, k = 2, gate = ~ x - 1), "gate formula without intercept")
    bad(gmoe_fit(y ~ x, data = ref, k = 2, gate = y ~ x), "one-sided formula")
    bad(gmoe_fit(y ~ x, data = ref, k = 2, gate = "x"), "one-sided formula")
})

test_that("bad objects and arguments to the methods", {
    bad(predict(fit, cbind(1, 2)), "newdata must be a data frame")
    bad(predict(gmoe_fit(x, y, k = 2, restarts = 1), cbind(1, 2)),
        "newdata has 2 covariate columns, the model 1")
    bad(predict(fit, data.frame(x = 0.5), type = "posterior"), "newdata has no response column 'y'")
    bad(predict(fit, type = "median"), "should be one of")
    nodata <- gmoe_fit(x, y, k = 2, restarts = 1, keep_data = FALSE)
    bad(residuals(nodata), "kept no data")
    bad(simulate(nodata), "kept no data")
    bad(vcov(nodata), "kept no data")
    bad(vcov(fit, type = "fisher"), "should be one of")
    bad(gmoe_bootstrap(fit, B = 1), "B must be 2 to 1000000 \\(got 1\\)")
    bad(gmoe_bootstrap(fit, B = 2e6), "B must be 2 to 1000000 \\(got 2000000\\)")
    bad(gmoe_bootstrap(fit, B = NA), "B \\(bootstrap replicates\\)")
    bad(gmoe_bootstrap(fit, B = 10, type = "jackknife"), "should be one of")
    bad(gmoe_bootstrap(nodata, B = 10), "kept no data")
    bad(gmoe_bootstrap(truth, B = 10), "kept no data")
    bad(confint(fit, parm = "nope"), "parm must name or number free parameters")
    ## a top-K gate with K = 1 has a singular information: an error for
    ## vcov, and summary says why it shows no standard errors
    tk1 <- gmoe_fit(y ~ x, data = ref, k = 2, gating = "topk", top_k = 1, restarts = 2)
    bad(vcov(tk1), "", class = "gmoe_error")
    expect_output(print(summary(tk1)), "No standard errors")
    bad(simulate(fit, nsim = 0), "nsim must be")
    bad(confint(fit, level = 2), "level must be")
    bad(plot(fit, which = 5), "which must name or number")
    b2 <- fit; b2$k <- "2"
    bad(predict(b2, ref[1:3, ]), "\\$k must be a whole number")
    b3 <- fit; b3$beta1 <- 1:3
    bad(coef(b3), "\\$beta1 must be numeric of length 2")
    bad(predict(b3, ref[1:3, ]), "\\$beta1 must be numeric of length 2")
    bad(gmoe_loss(list(), truth), "fit must be a \"gmoe\" object")
    bad(gmoe_loss(fit, truth, kind = "D3"), "unknown loss kind")
    bad(gmoe_loss(fit, truth, translate = NA), "translate must be TRUE or FALSE")
    bad(gmoe_model(c(-8, 1), c(25, 0), c(-20, 20), c(15, -5), c(0.09, 0.16)), "pinned")
    bad(gmoe_model(c(-8, 0), c(25, 0), c(-20, 20), c(15, -5), 0.09), "one entry per expert")
    bad(gmoe_simulate(truth, 10), "seed is required")
    bad(gmoe_simulate(truth, 0, seed = 1), "n \\(number of rows\\)")
    bad(gmoe_simulate(truth, 5, seed = 1, design = "unif"), "unknown design")
    bad(gmoe_simulate(truth, 5, seed = 1, lo = 0), "give both lo and hi")
    bad(gmoe_simulate(truth, 5, seed = 1, lo = c(0, 0), hi = c(1, 1)), "lo and hi has length 2")
    bad(gmoe_read_model(file.path(tempdir(), "none.json")), "none.json")
    bad(gmoe_read_model(character()), "path must be a single string")
    bad(gmoe_write_model(fit, ""), "empty file name")
    bad(nobs(truth), "no fit")
    bad(logLik(truth), "no fit")
})

test_that("the session survives all of that", {
    again <- gmoe_fit(y ~ x, data = ref, k = 2, restarts = 2)
    expect_identical(coef(again), coef(fit))
})
