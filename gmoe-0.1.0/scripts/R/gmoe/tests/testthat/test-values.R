## Numbers written out by hand, not taken from the library.

test_that("predict at x = 0.3 equals the formulas", {
    ## gate logits (-8 + 25 * 0.3, 0) = (-0.5, 0); expert means (9, 1)
    g1 <- exp(-0.5) / (1 + exp(-0.5)); g2 <- 1 - g1
    mu <- c(9, 1); s2 <- c(0.09, 0.16)
    nd <- data.frame(x = c(0.3, 0.3))
    g <- predict(truth, nd, type = "gate")
    expect_equal(unname(g[1, ]), c(g1, g2), tolerance = 1e-15)
    m <- g1 * mu[1] + g2 * mu[2]
    expect_equal(unname(predict(truth, nd)[1]), m, tolerance = 1e-14)
    v <- g1 * (s2[1] + mu[1]^2) + g2 * (s2[2] + mu[2]^2) - m^2
    expect_equal(unname(predict(truth, nd, type = "variance")[1]), v, tolerance = 1e-13)
    expect_equal(unname(predict(truth, nd, type = "expert")[1, ]), mu, tolerance = 1e-15)
    y0 <- c(8.7, 1.1)
    dens <- g1 * dnorm(y0, 9, sqrt(0.09)) + g2 * dnorm(y0, 1, sqrt(0.16))
    ll <- gmoe_loglik(truth, c(0.3, 0.3), y0)
    expect_equal(ll$logdens, log(dens), tolerance = 1e-13)
    expect_equal(ll$loglik, sum(log(dens)), tolerance = 1e-13)
    post <- predict(truth, data.frame(x = c(0.3, 0.3), y = y0), type = "posterior")
    expect_equal(unname(post[, 1]), g1 * dnorm(y0, 9, sqrt(0.09)) / dens, tolerance = 1e-13)
})

test_that("d = 2, k = 3: gates and means by hand, columns matched by name", {
    B1 <- rbind(c(2, -1), c(-3, 0.5), c(0, 0)); A <- rbind(c(1, 2), c(-1, 0.5), c(3, -2))
    m32 <- gmoe_model(beta0 = c(-1, 0.5, 0), beta1 = B1, a = A, b = c(0, 1, -2),
                      sigma2 = c(0.5, 1, 2), xnames = c("u", "v"))
    X <- rbind(c(0.1, 0.2), c(-1, 2), c(0.7, -0.3))
    eta <- sweep(X %*% t(B1), 2, c(-1, 0.5, 0), "+")
    G <- exp(eta) / rowSums(exp(eta))
    MU <- sweep(X %*% t(A), 2, c(0, 1, -2), "+")
    nd <- data.frame(v = X[, 2], u = X[, 1])
    expect_equal(unname(predict(m32, nd, type = "gate")), G, tolerance = 1e-15)
    expect_equal(unname(predict(m32, nd)), rowSums(G * MU), tolerance = 1e-13)
    s32 <- gmoe_simulate(m32, 1500, seed = 5, design = "normal")
    f32 <- gmoe_fit(y ~ u + v, data = s32, k = 3, seed = 2, restarts = 3)
    expect_equal(gmoe_loglik(f32, s32[c("u", "v")], s32$y)$loglik, f32$loglik,
                 tolerance = 1e-12)
    expect_identical(colnames(f32$beta1), c("u", "v"))
})

test_that("the bundled data are gmoe_simulate(truth, 2000, seed = 2023)", {
    expect_equal(sim$x, ref$x, tolerance = 1e-15)
    expect_equal(sim$y, ref$y, tolerance = 1e-15)
})

test_that("simulate: the library's seed, whatever set.seed()", {
    set.seed(99)
    expect_identical(gmoe_simulate(truth, 2000, seed = 2023), sim)
    expect_false(identical(gmoe_simulate(truth, 50, seed = 2024)$y, sim$y[1:50]))
    grid <- gmoe_simulate(truth, 11, seed = 1, design = "grid")
    expect_equal(grid$x, (0:10) / 10, tolerance = 1e-15)
    p1 <- mean(predict(truth, sim["x"], type = "gate")[, 1])
    z1 <- mean(attr(sim, "expert") == 1L)
    expect_lt(abs(z1 - p1), 4 * sqrt(p1 * (1 - p1) / 2000))
})

test_that("losses: zero at the truth, exp(-8) * 0.1 for a shifted intercept", {
    expect_equal(gmoe_loss(truth, truth)$loss, 0)
    shifted <- truth
    shifted$b[1] <- 15.1
    ls <- gmoe_loss(shifted, truth)
    expect_equal(ls$kind, "D1")
    expect_equal(ls$untranslated, exp(-8) * 0.1, tolerance = 1e-12)
    expect_lte(ls$loss, ls$untranslated)
    expect_output(print(ls), "Voronoi loss D1")
})
