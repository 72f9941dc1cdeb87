## The tools and the package are the same library: with the same data,
## options and seed, the same numbers to the last bit.  Data cross as
## %.17g text, which mixfit reads back exactly; models cross as the
## library's JSON files.

test_that("the R fit is mixfit's, bit for bit (k = 2 and k = 1:3)", {
    mixfit <- gmoe_tool("mixfit")
    skip_if(!nzchar(mixfit), "mixfit not found (GMOE_TOOLS_DIR or PATH)")
    tmp <- tempfile("gmoe-cli-")
    dir.create(tmp)
    on.exit(unlink(tmp, recursive = TRUE))
    csv <- file.path(tmp, "data.csv")
    writeLines(c("x,y", sprintf("%.17g,%.17g", sim$x, sim$y)), csv)
    out <- file.path(tmp, "cli.json")
    st <- system2(mixfit, c("-q", "-k", "2", "--seed", "11", "--restarts", "4", "-o", out, csv),
                  stdout = FALSE, stderr = FALSE)
    expect_equal(st, 0)
    cli <- gmoe_read_model(out)
    r <- gmoe_fit(y ~ x, data = sim, k = 2, seed = 11, restarts = 4)
    expect_identical(coef(r), coef(cli))
    expect_identical(r$loglik, cli$loglik)
    expect_identical(r[c("iterations", "bic", "aic", "icl")], cli[c("iterations", "bic", "aic", "icl")])

    sel <- file.path(tmp, "sel.json")
    st <- system2(mixfit, c("-q", "-k", "1:3", "--no-split", "-o", sel, csv), stdout = FALSE, stderr = FALSE)
    expect_equal(st, 0)
    tab <- gmoe_select_k(y ~ x, data = sim, k = 1:3)
    expect_identical(coef(attr(tab, "fit")), coef(gmoe_read_model(sel)))

    ## The bootstrap: the same replicates, seeds and matching as mixfit's.
    boot <- file.path(tmp, "boot.json")
    st <- system2(mixfit, c("-q", "-k", "2", "--seed", "11", "--restarts", "4", "--bootstrap", "20",
                            "-o", boot, csv), stdout = FALSE, stderr = FALSE)
    expect_equal(st, 0)
    js <- readLines(boot)
    field <- function(key) as.numeric(sub(sprintf('.*"%s": ([-0-9.eE+]+).*', key), "\\1",
                                          grep('"boot_se"', js, value = TRUE)))
    rb <- gmoe_bootstrap(r, B = 20)
    expect_equal(attr(rb, "ok"), 20L)
    expect_equal(rb$se, field("boot_se"), tolerance = 1e-14)
    expect_equal(rb$lower, field("boot_lower"), tolerance = 1e-14)
    expect_equal(rb$upper, field("boot_upper"), tolerance = 1e-14)

    tk <- file.path(tmp, "topk.json")
    st <- system2(mixfit, c("-q", "-k", "2", "--gating", "topk", "--top-k", "1", "--restarts", "3",
                            "-o", tk, csv), stdout = FALSE, stderr = FALSE)
    expect_equal(st, 0)
    rt <- gmoe_fit(y ~ x, data = sim, k = 2, gating = "topk", top_k = 1, restarts = 3)
    expect_identical(coef(rt), coef(gmoe_read_model(tk)))
})

test_that("predict, gmoe_loglik, gmoe_simulate and gmoe_loss equal the tools", {
    tools <- vapply(c("mixfit", "mixpredict", "mixsim", "mixloss"), gmoe_tool, "")
    skip_if(any(!nzchar(tools)), "the tools are not found (GMOE_TOOLS_DIR or PATH)")
    tmp <- tempfile("gmoe-cli-")
    dir.create(tmp)
    on.exit(unlink(tmp, recursive = TRUE))
    model <- file.path(tmp, "fit.json")
    fit <- gmoe_fit(y ~ x, data = ref, k = 2)
    gmoe_write_model(fit, model)
    sim_csv <- file.path(tmp, "sim.csv")
    expect_equal(system2(tools[["mixsim"]], c("--model", model, "-n", "300", "--seed", "9",
                                              "-o", sim_csv), stdout = FALSE, stderr = FALSE), 0)
    cs <- read.csv(sim_csv)
    rs <- gmoe_simulate(fit, 300, seed = 9)
    expect_equal(cs$x, rs$x, tolerance = 1e-15)
    expect_equal(cs$y, rs$y, tolerance = 1e-15)
    pred_csv <- file.path(tmp, "pred.csv")
    expect_equal(system2(tools[["mixpredict"]], c("--model", model, sim_csv),
                         stdout = pred_csv, stderr = FALSE), 0)
    cp <- read.csv(pred_csv)
    expect_equal(unname(predict(fit, cs)), cp$mean, tolerance = 1e-14)
    expect_equal(unname(predict(fit, cs, type = "variance")), cp$var, tolerance = 1e-14)
    expect_equal(unname(predict(fit, cs, type = "gate")), unname(as.matrix(cp[c("gate_1", "gate_2")])),
                 tolerance = 1e-14)
    expect_equal(unname(predict(fit, cs, type = "posterior")),
                 unname(as.matrix(cp[c("resp_1", "resp_2")])), tolerance = 1e-14)
    truth_json <- file.path(tmp, "truth.json")
    gmoe_write_model(truth, truth_json)
    lj <- system2(tools[["mixloss"]], c("--fit", model, "--truth", truth_json, "--json"),
                  stdout = TRUE, stderr = FALSE)
    line <- grep('"loss":', lj, value = TRUE, fixed = TRUE)
    expect_equal(gmoe_loss(fit, truth)$loss, as.numeric(sub('.*: *([-0-9.eE+]+),?$', "\\1", line)),
                 tolerance = 1e-13)
})
