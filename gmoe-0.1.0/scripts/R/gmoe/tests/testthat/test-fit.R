## The fitting interfaces: formula, matrix, subset, na.action, weights,
## gate, update, selection of k and the gating families.

fit <- gmoe_fit(y ~ x, data = ref, k = 2, seed = 1, restarts = 5)

test_that("the formula and matrix interfaces give the same fit, bit for bit", {
    fm <- gmoe_fit(ref$x, ref$y, k = 2, seed = 1, restarts = 5)
    expect_identical(coef(fm), coef(fit))
    expect_identical(fm$loglik, fit$loglik)
    expect_true(fit$converged)
    expect_identical(fit$yname, "y")
    expect_identical(fit$xnames, "x")
    expect_identical(gmoe_loglik(fit, ref["x"], ref$y)$loglik, fit$loglik)
})

test_that("threads do not change a bit", {
    f1 <- gmoe_fit(y ~ x, data = ref, k = 2, seed = 1, restarts = 5, threads = 1)
    f2 <- gmoe_fit(y ~ x, data = ref, k = 2, seed = 1, restarts = 5, threads = 2)
    expect_identical(coef(f1), coef(f2))
    expect_identical(coef(f1), coef(fit))
})

test_that("subset and na.action select the rows as lm does", {
    fs <- gmoe_fit(y ~ x, data = ref, k = 2, subset = x > 0.2, seed = 1, restarts = 5)
    fr <- gmoe_fit(y ~ x, data = ref[ref$x > 0.2, ], k = 2, seed = 1, restarts = 5)
    expect_identical(coef(fs), coef(fr))
    expect_equal(nobs(fs), sum(ref$x > 0.2))
    dna <- ref
    dna$y[c(3, 10)] <- NA
    fo <- gmoe_fit(y ~ x, data = dna, k = 2, seed = 1, restarts = 5)
    expect_equal(nobs(fo), 1998)
    expect_identical(coef(fo), coef(gmoe_fit(y ~ x, data = ref[-c(3, 10), ], k = 2, seed = 1,
                                             restarts = 5)))
    expect_identical(as.vector(fo$na.action), c(3L, 10L))
    expect_error(gmoe_fit(y ~ x, data = dna, k = 2, na.action = na.fail), "missing values")
})

test_that("unit weights and gate = the experts' covariates are the plain fit", {
    fw <- gmoe_fit(y ~ x, data = ref, k = 2, seed = 1, restarts = 5, weights = rep(1, 2000),
                   gate = ~ x)
    expect_identical(coef(fw), coef(fit))
    expect_identical(fw$loglik, fit$loglik)
    expect_identical(vcov(fw, "sandwich"), vcov(fit, "sandwich"))
})

test_that("case weights of 0, 1, 2 fit as the rows repeated", {
    d <- ref[1:600, ]
    d$w <- rep(c(0, 1, 2), 200)
    rep_rows <- d[rep(seq_len(nrow(d)), d$w), ]
    fw <- gmoe_fit(y ~ x, data = d, k = 2, weights = w, init = fit, tol = 1e-14)
    fr <- gmoe_fit(y ~ x, data = rep_rows, k = 2, init = fit, tol = 1e-14)
    expect_equal(fw$loglik, fr$loglik, tolerance = 1e-10)
    expect_equal(coef(fw), coef(fr), tolerance = 1e-8)
    expect_equal(BIC(fw), BIC(fr), tolerance = 1e-10)
    expect_equal(fw$bic, BIC(fw), tolerance = 1e-12)
    expect_equal(nobs(fw), 600)
    expect_equal(vcov(fw), vcov(fr), tolerance = 1e-6)
    expect_equal(vcov(fw, "sandwich"), vcov(fr, "sandwich"), tolerance = 1e-6)
    expect_equal(gmoe_loglik(fw, d["x"], d$y, weights = d$w)$loglik, fw$loglik,
                 tolerance = 1e-12)
    # a matrix fit takes the weights as a vector
    fm <- gmoe_fit(d$x, d$y, k = 2, weights = d$w, init = fit, tol = 1e-14)
    expect_equal(coef(fm), coef(fw), tolerance = 1e-12)
})

test_that("factors and transformations go through model.matrix", {
    d <- ref
    d$g <- factor(rep(c("a", "b"), 1000))
    f <- gmoe_fit(y ~ x + g, data = d, k = 2, restarts = 2)
    expect_identical(f$xnames, c("x", "gb"))
    expect_equal(length(predict(f, d[1:5, ])), 5)
    fl <- gmoe_fit(y ~ I(2 * x), data = ref, k = 2, restarts = 2)
    expect_identical(fl$xnames, "I(2 * x)")
})

test_that("update refits with a changed argument", {
    f3 <- update(fit, k = 3)
    expect_equal(f3$k, 3)
    expect_identical(coef(f3), coef(gmoe_fit(y ~ x, data = ref, k = 3, seed = 1, restarts = 5)))
    expect_equal(formula(f3), y ~ x)
})

test_that("a vector k chooses by BIC and gmoe_select_k returns the table", {
    tab <- gmoe_select_k(y ~ x, data = ref, k = 1:3)
    expect_s3_class(tab, "data.frame")
    expect_identical(tab$k, 1:3)
    expect_identical(tab$chosen, c(FALSE, TRUE, FALSE))
    expect_equal(which.min(tab$bic), 2)
    best <- attr(tab, "fit")
    expect_identical(coef(best), coef(gmoe_fit(y ~ x, data = ref, k = 2)))
    expect_identical(tab$loglik[2], best$loglik)
    expect_output(print(best), "k chosen by BIC")
})

test_that("max_iter reached is reported, not an error", {
    f <- gmoe_fit(y ~ x, data = ref, k = 2, restarts = 1, max_iter = 2, accel = "none")
    expect_false(f$converged)
    expect_identical(f$stop, "max-iterations")
    expect_output(print(f), "did not converge")
})

test_that("starting values: from the truth to the same maximum", {
    fi <- gmoe_fit(y ~ x, data = ref, k = 2, init = truth)
    expect_equal(fi$restarts, 1)
    expect_equal(fi$loglik, fit$loglik, tolerance = 1e-9)
})

test_that("each family's options cross to C and back", {
    same_ll <- function(f) expect_equal(gmoe_loglik(f, ref["x"], ref$y)$loglik, f$loglik,
                                        tolerance = 1e-12)
    tk <- gmoe_fit(y ~ x, data = ref, k = 2, gating = "topk", top_k = 1, select = "logit",
                   restarts = 5)
    g <- predict(tk, type = "gate")
    expect_true(all(rowSums(g == 1) == 1))
    expect_identical(c(tk$top_k, tk$select), c("1", "logit"))
    same_ll(tk)
    te <- gmoe_fit(y ~ x, data = ref, k = 2, gating = "temperature", tau_mode = "estimate",
                   restarts = 5)
    expect_true(te$tau_estimated)
    expect_equal(te$loglik, fit$loglik, tolerance = 1e-6)
    same_ll(te)
    ac <- gmoe_fit(y ~ x, data = ref, k = 2, gating = "activation", activation = "sigmoid",
                   bias = "inside", tau = 0.5, restarts = 3)
    expect_identical(c(ac$activation, ac$bias), c("sigmoid", "inside"))
    same_ll(ac)
    f <- tempfile(fileext = ".json")
    gmoe_write_model(ac, f)
    back <- gmoe_read_model(f)
    expect_identical(coef(back), coef(ac))
    expect_identical(back[c("family", "activation", "bias", "tau")],
                     ac[c("family", "activation", "bias", "tau")])
    unlink(f)
})

test_that("model files round-trip exactly", {
    f <- tempfile(fileext = ".json")
    gmoe_write_model(fit, f)
    back <- gmoe_read_model(f)
    expect_identical(coef(back), coef(fit))
    expect_identical(back[c("loglik", "iterations", "stop", "seed")],
                     fit[c("loglik", "iterations", "stop", "seed")])
    unlink(f)
})
