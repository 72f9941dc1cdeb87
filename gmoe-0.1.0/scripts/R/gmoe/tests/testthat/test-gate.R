## A gate with covariates of its own (gate = ~ z, gate = ~ 1): the fit is
## mixfit's --gate-x fit, its parameters are named by the gate's
## covariates, and bad gate formulas are refused.

gate_data <- local({
    d <- as.data.frame(sim[1:400, c("x", "y")])
    set.seed(7)
    d$z <- rnorm(nrow(d))
    d
})

## The estimates and standard errors of a mixfit model file, by name
## ("inference" -> "parameters": one line per free parameter).
cli_estimates <- function(path) {
    txt <- readLines(path)
    rows <- grep('"name": "[^"]*", "estimate"', txt, value = TRUE)
    num <- function(key) as.numeric(sub(sprintf('.*"%s": ([^,}]*).*', key), "\\1", rows))
    list(name = sub('.*"name": "([^"]*)".*', "\\1", rows), estimate = num("estimate"),
         se = num("se"), loglik = as.numeric(sub('.*"loglik": ([^,]*),.*', "\\1",
                                                   grep('"loglik":', txt, value = TRUE)[1L])))
}

## A new temporary directory holding gate_data as data.csv (%.17g: exact).
gate_dir <- function() {
    tmp <- tempfile("gmoe-gate-")
    dir.create(tmp)
    writeLines(c("x,z,y", sprintf("%.17g,%.17g,%.17g", gate_data$x, gate_data$z, gate_data$y)),
               file.path(tmp, "data.csv"))
    tmp
}

## mixpredict on a model file gives R's predictions: mean, gate, posterior.
expect_mixpredict <- function(mixpredict, path, csv, r) {
    pred <- tempfile("gmoe-pred-", fileext = ".csv")
    on.exit(unlink(pred))
    expect_equal(system2(mixpredict, c("--model", path, csv), stdout = pred, stderr = FALSE), 0)
    cp <- read.csv(pred)
    expect_equal(unname(predict(r, newdata = gate_data)), cp$mean, tolerance = 1e-14)
    expect_equal(unname(predict(r, newdata = gate_data, type = "gate")),
                 unname(as.matrix(cp[c("gate_1", "gate_2")])), tolerance = 1e-14)
    expect_equal(unname(predict(r, newdata = gate_data, type = "posterior")),
                 unname(as.matrix(cp[c("resp_1", "resp_2")])), tolerance = 1e-14)
}

run_mixfit <- function(gate_args) {
    mixfit <- gmoe_tool("mixfit")
    skip_if(!nzchar(mixfit), "mixfit not found (GMOE_TOOLS_DIR or PATH)")
    tmp <- gate_dir()
    csv <- file.path(tmp, "data.csv")
    out <- file.path(tmp, "cli.json")
    st <- system2(mixfit, c("-q", "-k", "2", "--seed", "11", "--restarts", "4", "-x", "x",
                            "-y", "y", gate_args, "-o", out, csv), stdout = FALSE, stderr = FALSE)
    expect_equal(st, 0)
    res <- cli_estimates(out)
    unlink(tmp, recursive = TRUE)
    res
}

test_that("gate = ~ 1 is mixfit's --gate-x none fit, bit for bit", {
    cli <- run_mixfit(c("--gate-x", "none"))
    r <- gmoe_fit(y ~ x, data = gate_data, k = 2, gate = ~ 1, seed = 11, restarts = 4)
    expect_identical(r$loglik, cli$loglik)
    expect_equal(r$npar, 7)           # 1 gate intercept, 2 x (slope, intercept, variance)
    expect_identical(unname(coef(r)[cli$name]), cli$estimate)
    expect_equal(unname(sqrt(diag(vcov(r)))[match(cli$name, rownames(vcov(r)))]), cli$se,
                 tolerance = 1e-12)
    expect_identical(rownames(vcov(r)), cli$name)
    expect_equal(dim(r$beta1), c(2L, 0L))
    expect_true(r$gate_own)
    expect_equal(r$dg, 0L)
    expect_output(print(r), "constant gate")
    ## the gate is constant: every row has the same gate probabilities
    g <- predict(r, type = "gate")
    expect_equal(unname(g[1, ]), unname(g[nrow(g), ]))
})

test_that("gate = ~ z + x: mixfit --gate-x z,x, parameter count and names", {
    cli <- run_mixfit(c("--gate-x", "z,x"))
    r <- gmoe_fit(y ~ x, data = gate_data, k = 2, gate = ~ z + x, seed = 11, restarts = 4)
    expect_identical(r$loglik, cli$loglik)
    expect_identical(unname(coef(r)[cli$name]), cli$estimate)
    expect_equal(r$npar, 9)           # (k - 1)(dg + 1) = 3 gate, 3 per expert
    expect_equal(r$gxnames, c("z", "x"))
    expect_equal(colnames(r$beta1), c("z", "x"))
    expect_equal(colnames(r$a), "x")
    expect_identical(names(coef(r))[1:6], c("beta0[1]", "beta1[1,z]", "beta1[1,x]", "a[1,x]",
                                            "b[1]", "sigma2[1]"))
    expect_identical(rownames(vcov(r))[1:3], c("beta0[1]", "beta1[1,z]", "beta1[1,x]"))
    expect_output(print(r), "gate.z")
    expect_output(print(summary(r)), "beta1\\[1,z\\]")
    ## the likelihood at the fit, through gmoe_loglik and the gate's matrix
    ll <- gmoe_loglik(r, gate_data["x"], gate_data$y,
                      gate_x = as.matrix(gate_data[c("z", "x")]))$loglik
    expect_identical(ll, r$loglik)
    ## predict at newdata: the gate's covariates through its formula
    expect_equal(predict(r, newdata = gate_data[1:5, ]), fitted(r)[1:5])
    expect_equal(predict(r, newdata = gate_data[1:5, ], type = "posterior"),
                 predict(r, type = "posterior")[1:5, ])
})

test_that("gate = ~ x (the experts' covariates) gives the default fit", {
    r0 <- gmoe_fit(y ~ x, data = gate_data, k = 2, seed = 11, restarts = 4)
    r1 <- gmoe_fit(y ~ x, data = gate_data, k = 2, gate = ~ x, seed = 11, restarts = 4)
    expect_identical(r1$loglik, r0$loglik)
    expect_identical(unname(coef(r1)), unname(coef(r0)))
    expect_identical(names(coef(r1)), names(coef(r0)))
})

test_that("the matrix interface takes gate_x (0 columns: a constant gate)", {
    r <- gmoe_fit(gate_data$x, gate_data$y, k = 2, gate_x = matrix(0, nrow(gate_data), 0),
                  seed = 11, restarts = 4)
    f <- gmoe_fit(y ~ x, data = gate_data, k = 2, gate = ~ 1, seed = 11, restarts = 4)
    expect_identical(r$loglik, f$loglik)
    ## no formulas: newdata's columns by name (a constant gate needs none)
    expect_equal(predict(r, newdata = gate_data[1:3, ]), predict(f, newdata = gate_data[1:3, ]),
                 ignore_attr = TRUE)
    rz <- gmoe_fit(gate_data$x, gate_data$y, k = 2, gate_x = gate_data["z"], seed = 11,
                   restarts = 2)
    expect_error(predict(rz, newdata = gate_data[c("y")]), "formulas")
    expect_error(gmoe_fit(gate_data$x, gate_data$y, k = 2, gate_x = gate_data$z[1:10]),
                 "gate_x has 10 rows")
})

test_that("bad gate formulas and unsupported uses are refused", {
    expect_error(gmoe_fit(y ~ x, data = gate_data, k = 2, gate = y ~ z), "one-sided formula")
    expect_error(gmoe_fit(y ~ x, data = gate_data, k = 2, gate = "z"), "one-sided formula")
    expect_error(gmoe_fit(y ~ x, data = gate_data, k = 2, gate = ~ 0 + z), "without intercept")
    expect_error(gmoe_fit(y ~ x, data = gate_data, k = 2, gate = ~ nosuch))
    expect_error(gmoe_fit(y ~ x, data = transform(gate_data, c1 = 3), k = 2, gate = ~ c1),
                 class = "gmoe_error")
    r <- gmoe_fit(y ~ x, data = gate_data, k = 2, gate = ~ z, seed = 11, restarts = 2)
    expect_error(plot(r), "plot\\(\\) does not support a gate")
    expect_error(gmoe_loglik(r, gate_data["x"], gate_data$y), "gate_x")
    expect_error(gmoe_fit(y ~ x, data = gate_data, k = 2, init = r),
                 "does not match")
})

test_that("model files of a gate with its own covariates: R <-> mixfit, mixpredict", {
    tools <- vapply(c("mixfit", "mixpredict"), gmoe_tool, "")
    skip_if(any(!nzchar(tools)), "the tools are not found (GMOE_TOOLS_DIR or PATH)")
    tmp <- gate_dir()
    on.exit(unlink(tmp, recursive = TRUE))
    csv <- file.path(tmp, "data.csv")
    for (gate in list(list(f = ~ z, cli = "z"), list(f = ~ 1, cli = "none"))) {
        r <- gmoe_fit(y ~ x, data = gate_data, k = 2, gate = gate$f, seed = 11, restarts = 4)
        ## R writes, R reads: the same model, names and fit information
        own <- file.path(tmp, "r.json")
        gmoe_write_model(r, own)
        back <- gmoe_read_model(own)
        expect_true(back$gate_own)
        expect_identical(back$dg, r$dg)
        expect_identical(back$gxnames, r$gxnames)
        expect_identical(coef(back), coef(r))
        expect_identical(back$loglik, r$loglik)
        ## a model without formulas takes newdata's columns by name
        expect_identical(predict(back, newdata = gate_data[1:7, ], type = "gate"),
                         predict(r, newdata = gate_data[1:7, ], type = "gate"))
        expect_identical(predict(back, newdata = gate_data[1:7, ], type = "posterior"),
                         predict(r, newdata = gate_data[1:7, ], type = "posterior"))
        if (back$dg > 0L)
            expect_error(predict(back, newdata = gate_data[c("x", "y")]), "with columns x, z")
        ## mixpredict reads R's file: R's predictions
        expect_mixpredict(tools[["mixpredict"]], own, csv, r)
        ## R reads mixfit's --gate-x file: R's own fit
        cli <- file.path(tmp, "cli.json")
        expect_equal(system2(tools[["mixfit"]], c("-q", "-k", "2", "--seed", "11", "--restarts",
                                                  "4", "-x", "x", "-y", "y", "--gate-x", gate$cli,
                                                  "-o", cli, csv), stdout = FALSE, stderr = FALSE), 0)
        m <- gmoe_read_model(cli)
        expect_identical(coef(m), coef(r))
        expect_identical(m$loglik, r$loglik)
        expect_identical(m$gxnames, r$gxnames)
    }
})

test_that("simulate and gmoe_simulate with a gate of its own: mixsim --x's draws", {
    mixsim <- gmoe_tool("mixsim")
    skip_if(!nzchar(mixsim), "mixsim not found (GMOE_TOOLS_DIR or PATH)")
    tmp <- gate_dir()
    on.exit(unlink(tmp, recursive = TRUE))
    csv <- file.path(tmp, "data.csv")
    r <- gmoe_fit(y ~ x, data = gate_data, k = 2, gate = ~ z, seed = 11, restarts = 4)
    model <- file.path(tmp, "r.json")
    gmoe_write_model(r, model)
    out <- file.path(tmp, "sim.csv")
    expect_equal(system2(mixsim, c("--model", model, "--x", csv, "--seed", "9", "-o", out), stdout = FALSE, stderr = FALSE), 0)
    cs <- read.csv(out)
    rs <- gmoe_simulate(r, seed = 9, x = gate_data)             # z by name
    expect_identical(rs$y, cs$y)
    expect_identical(rs$z, cs$z)                                  # the gate's column kept
    expect_identical(rs$z, gate_data$z)
    rm <- gmoe_simulate(r, seed = 9, x = gate_data["x"], gate_x = gate_data["z"])
    expect_identical(rm$y, rs$y)
    ## the gate's covariates matter: other z, other experts drawn
    ro <- gmoe_simulate(r, seed = 9, x = gate_data["x"], gate_x = rev(gate_data$z))
    expect_false(identical(attr(ro, "expert"), attr(rs, "expert")))
    ## simulate(): the fit's kept x and z, one library seed per simulation
    set.seed(3)
    s1 <- simulate(r, nsim = 2)
    set.seed(3)
    seeds <- floor(runif(2) * 2^31)
    expect_identical(s1$sim_2, gmoe_simulate(r, seed = seeds[2], x = gate_data)$y)
    expect_error(gmoe_simulate(r, 10, seed = 1), "give x and gate_x")
    expect_error(gmoe_simulate(r, seed = 1, x = gate_data["x"], gate_x = gate_data[c("z", "x")]),
                 "gate_x has 2 columns")
    expect_error(gmoe_simulate(gmoe_fit(y ~ x, data = gate_data, k = 2), seed = 1,
                               x = gate_data["x"], gate_x = gate_data$z), "gate_x is for")
    ## a constant gate: a design draws x, as mixsim -n
    r1 <- gmoe_fit(y ~ x, data = gate_data, k = 2, gate = ~ 1, seed = 11, restarts = 4)
    gmoe_write_model(r1, model)
    expect_equal(system2(mixsim, c("--model", model, "-n", "50", "--seed", "4", "-o", out),
                         stdout = FALSE, stderr = FALSE), 0)
    cs <- read.csv(out)
    rs <- gmoe_simulate(r1, 50, seed = 4)
    expect_identical(rs$x, cs$x)
    expect_identical(rs$y, cs$y)
    expect_equal(nrow(simulate(r1, seed = 1)), nrow(gate_data))
})

test_that("experts without covariates (y ~ 1, gate = ~ x): mixfit -x none --gate-x x", {
    tools <- vapply(c("mixfit", "mixpredict", "mixsim"), gmoe_tool, "")
    skip_if(any(!nzchar(tools)), "the tools are not found (GMOE_TOOLS_DIR or PATH)")
    tmp <- gate_dir()
    on.exit(unlink(tmp, recursive = TRUE))
    csv <- file.path(tmp, "data.csv")
    cli <- file.path(tmp, "cli.json")
    expect_equal(system2(tools[["mixfit"]], c("-q", "-k", "2", "--seed", "11", "--restarts", "4",
                                              "-x", "none", "--gate-x", "z", "-y", "y", "-o", cli,
                                              csv), stdout = FALSE, stderr = FALSE), 0)
    r <- gmoe_fit(y ~ 1, data = gate_data, k = 2, gate = ~ z, seed = 11, restarts = 4)
    m <- gmoe_read_model(cli)
    expect_identical(r$d, 0L)
    expect_identical(m$d, 0L)
    expect_identical(r$loglik, m$loglik)
    expect_identical(coef(r), coef(m))
    expect_identical(names(coef(r))[1:4], c("beta0[1]", "beta1[1,z]", "b[1]", "sigma2[1]"))
    expect_equal(dim(r$a), c(2L, 0L))
    expect_output(print(r), "d = 0")
    ## R's file: mixpredict's predictions, and read back the same model
    own <- file.path(tmp, "r.json")
    gmoe_write_model(r, own)
    expect_identical(coef(gmoe_read_model(own)), coef(r))
    expect_identical(gmoe_read_model(own)$gxnames, "z")
    expect_mixpredict(tools[["mixpredict"]], own, csv, r)
    ## mixsim --x: the same draws
    out <- file.path(tmp, "sim.csv")
    expect_equal(system2(tools[["mixsim"]], c("--model", own, "--x", csv, "--seed", "5", "-o", out),
                         stdout = FALSE, stderr = FALSE), 0)
    expect_identical(gmoe_simulate(r, seed = 5, x = gate_data)$y, read.csv(out)$y)
    expect_error(gmoe_fit(y ~ 1, data = gate_data, k = 2), "gate formula")
})
