## test_r.R -- the R interface (scripts/R/gmoe.R over lib/r_entry.c).
## Run by r_tests.sh with GMOE_LIB set to the build tree's library:
##   Rscript test_r.R TOP_SRCDIR TOP_BUILDDIR
## Prints one line per check and "N passed, M failed"; exits 1 on a failure.

args <- commandArgs(trailingOnly = TRUE)
top_srcdir <- if (length(args) >= 1L) args[[1L]] else ".."
top_builddir <- if (length(args) >= 2L) args[[2L]] else ".."
source(file.path(top_srcdir, "scripts", "R", "gmoe.R"))

passed <- 0L
failed <- 0L
check <- function(what, ok) {
    ok <- isTRUE(ok)
    cat(if (ok) "ok  " else "FAIL", what, "\n")
    if (ok) passed <<- passed + 1L else failed <<- failed + 1L
}
## The message of the error that expr raises ("" if none).
error_of <- function(expr)
    tryCatch({ expr; "" }, error = function(e) conditionMessage(e))
## expr fails with an error whose message contains `pattern`.
check_error <- function(what, expr, pattern) {
    msg <- error_of(expr)
    check(sprintf("%s -> error '%s'", what, msg), grepl(pattern, msg, fixed = TRUE))
}
tmp <- tempfile("gmoe-r-")
dir.create(tmp)

## The reference model of MODELS.md section 3.
truth <- gmoe_model(beta0 = c(-8, 0), beta1 = c(25, 0), a = c(-20, 20),
                    b = c(15, -5), sigma2 = c(0.09, 0.16))
sim <- gmoe_simulate(truth, 2000, seed = 2023)

## ------------------------------------------------------------ hand-computed values
## At x = 0.3 the gate logits are (-8 + 25 * 0.3, 0) = (-0.5, 0), the
## expert means (15 - 6, -5 + 6) = (9, 1).  Formulas written out here, not
## taken from the library.  Tolerance: a few ulps of the values.
g1 <- exp(-0.5) / (1 + exp(-0.5)); g2 <- 1 - g1
mu <- c(9, 1); s2 <- c(0.09, 0.16)
pr <- predict(truth, data.frame(x = c(0.3, 0.3)))
check("predict: gate probabilities by hand",
      abs(pr$gate.1[1] - g1) < 1e-15 && abs(pr$gate.2[1] - g2) < 1e-15)
m_hand <- g1 * mu[1] + g2 * mu[2]
v_hand <- g1 * (s2[1] + mu[1]^2) + g2 * (s2[2] + mu[2]^2) - m_hand^2
check("predict: mean by hand", abs(pr$mean[1] - m_hand) < 1e-14)
check("predict: variance by hand", abs(pr$var[1] - v_hand) < 1e-13 * v_hand)
check("predict: most probable expert (gate 2 > gate 1 at x = 0.3)", pr$expert[1] == 2L)
y0 <- c(8.7, 1.1)
ll <- gmoe_loglik(truth, c(0.3, 0.3), y0)
dens <- g1 * dnorm(y0, 9, sqrt(0.09)) + g2 * dnorm(y0, 1, sqrt(0.16))
check("loglik: per-row log densities by hand", max(abs(ll$logdens - log(dens))) < 1e-13)
check("loglik: total is the sum", abs(ll$loglik - sum(log(dens))) < 1e-13)
r1 <- g1 * dnorm(y0, 9, sqrt(0.09)) / dens
check("loglik: responsibilities by hand", max(abs(ll$resp[, 1] - r1)) < 1e-13)

## Two covariates, three experts: a transposed k x d matrix or a shifted
## block in the packed model would change these numbers.
B1 <- rbind(c(2, -1), c(-3, 0.5), c(0, 0)); A <- rbind(c(1, 2), c(-1, 0.5), c(3, -2))
m32 <- gmoe_model(beta0 = c(-1, 0.5, 0), beta1 = B1, a = A, b = c(0, 1, -2),
                  sigma2 = c(0.5, 1, 2), xnames = c("u", "v"))
X <- rbind(c(0.1, 0.2), c(-1, 2), c(0.7, -0.3))
eta <- sweep(X %*% t(B1), 2, c(-1, 0.5, 0), "+")
G <- exp(eta) / rowSums(exp(eta))
MU <- sweep(X %*% t(A), 2, c(0, 1, -2), "+")
p32 <- predict(m32, data.frame(v = X[, 2], u = X[, 1]))   # matched by name
check("predict d = 2, k = 3: gates and means by hand (columns matched by name)",
      max(abs(as.matrix(p32[paste0("gate.", 1:3)]) - G)) < 1e-15 &&
      max(abs(p32$mean - rowSums(G * MU))) < 1e-13)
sim32 <- gmoe_simulate(m32, 1500, seed = 5, design = "normal")
fit32 <- gmoe_fit(sim32[c("u", "v")], sim32$y, k = 3, seed = 2, restarts = 3)
check("fit d = 2, k = 3: the returned parameters give the returned loglik",
      abs(gmoe_loglik(fit32, sim32[c("u", "v")], sim32$y)$loglik - fit32$loglik) <=
          1e-12 * abs(fit32$loglik) && identical(colnames(fit32$beta1), c("u", "v")))

## ------------------------------------------------------------ simulation
sim2 <- gmoe_simulate(truth, 2000, seed = 2023)
set.seed(99)
sim3 <- gmoe_simulate(truth, 2000, seed = 2023)
check("simulate: same seed, same data, whatever set.seed()",
      identical(sim, sim2) && identical(sim, sim3))
check("simulate: another seed, other data",
      !identical(gmoe_simulate(truth, 50, seed = 2024)$y, sim$y[1:50]))
check("simulate: covariate on U(0, 1)", min(sim$x) >= 0 && max(sim$x) <= 1)
## The expert labels follow the gate: the share of expert 1 should match
## the mean gate probability within 4 binomial standard errors.
p1 <- mean(predict(truth, sim["x"])$gate.1)
z1 <- mean(attr(sim, "expert") == 1L)
check(sprintf("simulate: expert 1 share %.4f vs mean gate %.4f", z1, p1),
      abs(z1 - p1) < 4 * sqrt(p1 * (1 - p1) / 2000))
grid <- gmoe_simulate(truth, 11, seed = 1, design = "grid")
check("simulate: grid design is evenly spaced on [0, 1]",
      max(abs(grid$x - (0:10) / 10)) < 1e-15)
given <- gmoe_simulate(truth, seed = 3, x = data.frame(x = c(0.1, 0.9)))
check("simulate: given covariates are kept", identical(given$x, c(0.1, 0.9)))

## ------------------------------------------------------------ losses
check("loss: truth against itself is 0", gmoe_loss(truth, truth)$loss == 0)
## Shift expert 1's intercept by 0.1: same cells, same gate weights, so
## untranslated D1 = exp(beta0_1) * |db| = exp(-8) * 0.1 exactly (up to
## rounding).
shifted <- truth
shifted$b[1] <- 15.1
ls <- gmoe_loss(shifted, truth)
check(sprintf("loss: D1 of a shifted intercept = exp(-8) * 0.1 (got %.17g)", ls$untranslated),
      ls$kind == "D1" && abs(ls$untranslated - exp(-8) * 0.1) < 1e-15 &&
      ls$loss <= ls$untranslated && identical(ls$cell, 1:2))

## ------------------------------------------------------------ fitting
fit <- gmoe_fit(sim$x, sim$y, k = 2, seed = 1, restarts = 5)
check("fit: converged", fit$converged)
check("fit: loglik equals gmoe_loglik on the same data",
      gmoe_loglik(fit, sim$x, sim$y)$loglik == fit$loglik)
check("fit: logLik has df = npar = 8 and nobs = n",
      attr(logLik(fit), "df") == 8 && attr(logLik(fit), "nobs") == 2000)
check("fit: AIC and BIC equal the library's and the formulas",
      abs(AIC(fit) - fit$aic) < 1e-9 && abs(BIC(fit) - fit$bic) < 1e-9 &&
      abs(stats::AIC(logLik(fit)) - (-2 * fit$loglik + 16)) < 1e-9 &&
      abs(BIC(fit) - (-2 * fit$loglik + 8 * log(2000))) < 1e-9)
fit1 <- gmoe_fit(sim$x, sim$y, k = 2, seed = 1, restarts = 5, threads = 1)
fit2 <- gmoe_fit(sim$x, sim$y, k = 2, seed = 1, restarts = 5, threads = 2)
check("fit: bit-identical with 1 and 2 threads",
      identical(coef(fit1), coef(fit2)) && identical(fit1$loglik, fit2$loglik) &&
      identical(coef(fit1), coef(fit)))
fit_init <- gmoe_fit(sim$x, sim$y, k = 2, init = truth)
check("fit: from the truth as starting values reaches the same maximum",
      fit_init$restarts == 1 && abs(fit_init$loglik - fit$loglik) < 1e-6)
fit_f <- gmoe_fit(y ~ x, sim, k = 2, seed = 1, restarts = 5)
check("fit: formula interface gives the same fit and names",
      identical(coef(fit_f), coef(fit)) && fit_f$yname == "y" && fit_f$xnames == "x")
short_fit <- gmoe_fit(sim$x, sim$y, k = 2, seed = 1, restarts = 1, max_iter = 2, accel = "none")
check("fit: max_iter reached is reported, not an error",
      !short_fit$converged && short_fit$stop == "max-iterations" && short_fit$iterations == 2 &&
      any(grepl("did not converge", capture.output(print(short_fit)))))
## Voronoi loss.  The fit started from the truth keeps its labels (expert 2
## the reference), so its untranslated D1 (MODELS.md section 2) can be
## written out with fitted expert i in true expert i's cell.
lf <- gmoe_loss(fit_init, truth)
w <- exp(fit_init$beta0)
d1_hand <- sum(abs(w - exp(truth$beta0))) +
    sum(w * (abs(fit_init$beta1 - truth$beta1) + abs(fit_init$a - truth$a) +
             abs(fit_init$b - truth$b) + abs(fit_init$sigma2 - truth$sigma2)))
check(sprintf("loss: untranslated D1 of the fit %.10g = by hand %.10g; translated %.6g <= it",
              lf$untranslated, d1_hand, lf$loss),
      identical(lf$cell, 1:2) && abs(lf$untranslated - d1_hand) < 1e-12 &&
      lf$loss <= lf$untranslated)
## The random-start fit reaches the same maximum, perhaps with the experts
## in the other order and the other one pinned: the translated loss does
## not see that (parameters agree to ~1e-6, see above, so the losses to
## much better than 1e-3).
lr <- gmoe_loss(fit, truth)
check(sprintf("loss: invariant to labels and gate normalization (%.8g vs %.8g)", lr$loss, lf$loss),
      abs(lr$loss - lf$loss) < 1e-3)
pf <- predict(fit, data.frame(x = sim$x[1:3]))
check("predict: newdata data frame matched by name, gates sum to 1",
      nrow(pf) == 3 && max(abs(pf$gate.1 + pf$gate.2 - 1)) < 1e-15)
check("fitted equals predict mean", identical(fitted(fit), predict(fit, type = "mean")))

## Summary, print and plot run (they must not fail); the plot goes to a file.
out <- capture.output(print(fit), print(summary(fit)), print(lf))
check("print and summary produce text with the log-likelihood",
      any(grepl(sprintf("%.10g", fit$loglik), out, fixed = TRUE)))
png(file.path(tmp, "plot.png"))
check("plot runs", error_of(plot(fit)) == "")
invisible(dev.off())

## Model files: the library's JSON, exact round trip.
path <- file.path(tmp, "fit.json")
gmoe_write_model(fit, path)
back <- gmoe_read_model(path)
check("model file: exact round trip of parameters and fit information",
      identical(coef(back), coef(fit)) && identical(back$loglik, fit$loglik) &&
      identical(back$iterations, fit$iterations) && identical(back$stop, fit$stop))
check_error("model file: missing file", gmoe_read_model(file.path(tmp, "none.json")), "none.json")

## ------------------------------------------------------------ gating families
## Each family's options must cross the boundary both ways: the returned
## object, packed again, must give back the returned log-likelihood, and
## the families that reduce to softmax must reach softmax's maximum.
## Tolerance 1e-6 on log-likelihoods of different code paths that reach
## the same maximum: the differences measured here are below 1e-12 (printed
## in the messages); a different local maximum would be off by far more.
{
    same_ll <- function(f) abs(gmoe_loglik(f, sim$x, sim$y)$loglik - f$loglik) <= 1e-12 * abs(f$loglik)
    tk2 <- gmoe_fit(sim$x, sim$y, k = 2, gating = "topk", top_k = 2, seed = 1, restarts = 5)
    check(sprintf("topk, top_k = k: softmax's maximum (difference %.2g)", tk2$loglik - fit$loglik),
          abs(tk2$loglik - fit$loglik) < 1e-6 && same_ll(tk2))
    tk1 <- gmoe_fit(sim$x, sim$y, k = 2, gating = "topk", top_k = 1, select = "logit",
                    seed = 1, restarts = 5)
    g <- predict(tk1, type = "gate")
    check("topk, top_k = 1, select = logit: options kept, one-hot gates, loglik reproduced",
          tk1$top_k == 1 && tk1$select == "logit" && all(rowSums(g == 1) == 1) &&
          all(rowSums(g == 0) == 1) && same_ll(tk1))
    tf <- gmoe_fit(sim$x, sim$y, k = 2, gating = "temperature", tau = 2, seed = 1, restarts = 5)
    check(sprintf("temperature, tau = 2 fixed: softmax's maximum (difference %.2g)", tf$loglik - fit$loglik),
          tf$tau == 2 && !tf$tau_estimated && abs(tf$loglik - fit$loglik) < 1e-6 && same_ll(tf))
    te <- gmoe_fit(sim$x, sim$y, k = 2, gating = "temperature", tau_mode = "estimate",
                   seed = 1, restarts = 5)
    check(sprintf("temperature, tau estimated (%.6g): flagged, softmax's maximum (difference %.2g)",
                  te$tau, te$loglik - fit$loglik),
          te$tau_estimated && abs(te$loglik - fit$loglik) < 1e-6 && same_ll(te))
    ac <- gmoe_fit(sim$x, sim$y, k = 2, gating = "activation", activation = "sigmoid",
                   bias = "inside", tau = 0.5, seed = 1, restarts = 3)
    path_ac <- file.path(tmp, "activation.json")
    gmoe_write_model(ac, path_ac)
    back_ac <- gmoe_read_model(path_ac)
    check("activation sigmoid, bias inside: options kept, loglik reproduced, file round trip",
          ac$activation == "sigmoid" && ac$bias == "inside" && ac$tau == 0.5 && same_ll(ac) &&
          identical(back_ac[c("family", "activation", "bias", "tau", "tau_estimated")],
                    ac[c("family", "activation", "bias", "tau", "tau_estimated")]) &&
          identical(coef(back_ac), coef(ac)))
    check_error("topk with top_k > k", gmoe_fit(sim$x, sim$y, k = 2, gating = "topk", top_k = 3), "top_k")
    check_error("temperature with tau = 0", gmoe_fit(sim$x, sim$y, k = 2, gating = "temperature", tau = 0), "tau")
    check_error("unknown activation", gmoe_fit(sim$x, sim$y, k = 2, gating = "activation",
                                               activation = "relu"), "unknown activation 'relu'")
}

## ------------------------------------------------------------ bad arguments
check_error("k = 0", gmoe_fit(sim$x, sim$y, k = 0), "k (number of experts) must be an integer >= 1")
check_error("k = NA", gmoe_fit(sim$x, sim$y, k = NA), "got NA")
check_error("k = 1.5", gmoe_fit(sim$x, sim$y, k = 1.5), "k must be a whole number")
check_error("k = 0:2 (a range with 0)", gmoe_fit(sim$x, sim$y, k = 0:2), "must be an integer >= 1 (got 0)")
check_error("unknown criterion", gmoe_fit(sim$x, sim$y, k = 1:2, criterion = "dic"), "should be one of")
check_error("unknown gating", gmoe_fit(sim$x, sim$y, k = 2, gating = "sofmax"),
            "unknown gating family 'sofmax'")
x_na <- sim$x; x_na[17] <- NA
check_error("NA in x", gmoe_fit(x_na, sim$y, k = 2), "x[17, 1] is NA or NaN")
y_inf <- sim$y; y_inf[3] <- Inf
check_error("Inf in y", gmoe_fit(sim$x, y_inf, k = 2), "y[3] is infinite")
check_error("wrong length of y", gmoe_fit(sim$x, sim$y[-1], k = 2), "x has 2000 rows but y has 1999")
check_error("negative seed", gmoe_fit(sim$x, sim$y, k = 2, seed = -1), "seed must be a whole number")
check_error("fractional seed", gmoe_fit(sim$x, sim$y, k = 2, seed = 0.5), "seed must be a whole number")
check_error("seed above 2^53", gmoe_fit(sim$x, sim$y, k = 2, seed = 2^60), "seed must be a whole number")
check_error("restarts = 0", gmoe_fit(sim$x, sim$y, k = 2, restarts = 0), "restarts must be an integer >= 1")
check_error("unknown tol rule", gmoe_fit(sim$x, sim$y, k = 2, tol_rule = "rel"), "unknown tolerance rule")
check_error("negative tol", gmoe_fit(sim$x, sim$y, k = 2, tol = -1), "tol must be")
check_error("threads = -1", gmoe_fit(sim$x, sim$y, k = 2, threads = -1), "threads")
check_error("too few rows for k", gmoe_fit(sim$x[1:5], sim$y[1:5], k = 2), "")
check_error("constant covariate", gmoe_fit(rep(1, 50), sim$y[1:50], k = 2), "")
check_error("bad starting values", gmoe_fit(sim$x, sim$y, k = 2,
            init = `[[<-`(truth, "sigma2", c(-1, 1))), "sigma2 must be finite and > 0")
check_error("predict: wrong number of covariates",
            predict(fit, cbind(1, 2)), "newdata has 2 covariate columns, the model 1")
check_error("model with an unpinned last gate",
            gmoe_model(c(-8, 1), c(25, 0), c(-20, 20), c(15, -5), c(0.09, 0.16)), "")
check_error("loss with unknown kind", gmoe_loss(fit, truth, kind = "D3"), "unknown loss kind")
check_error("simulate without a seed", gmoe_simulate(truth, 10), "seed is required")
check_error("simulate with n = 0", gmoe_simulate(truth, 0, seed = 1), "n (number of rows)")
check_error("simulate with an unknown design", gmoe_simulate(truth, 5, seed = 1, design = "unif"),
            "unknown design")
## Direct .C calls with lengths that contradict the sizes: refused by the
## C side before any element is read.
check_error("C side: length of x checked against n * d",
            .gmoe_call("gmoe_r_predict", mnames = c("softmax", "slope", "tanh", "outside"),
                       mints = c(2L, 1L, 2L, 0L), mpar = c(-8, 0, 25, 0, -20, 20, 15, -5, .09, .16, 1),
                       mlen = 11L, n = 10L, x = double(5), len_x = 5L, mean = double(10),
                       var = double(10), gate = double(20), best = integer(10)),
            "x has length 5, expected 10")
check_error("C side: packed model length checked",
            .gmoe_call("gmoe_r_model_check", mnames = c("softmax", "slope", "tanh", "outside"),
                       mints = c(3L, 1L, 3L, 0L), mpar = double(11), mlen = 11L),
            "parameter vector has length 11, expected 16")
## A short message buffer is truncated, never overrun.
short <- .C(getNativeSymbolInfo("gmoe_r_model_check", .gmoe$dll),
            mnames = c("nope", "slope", "tanh", "outside"), mints = c(2L, 1L, 2L, 0L),
            mpar = double(11), mlen = 11L, status = 0L, msg = "          ")
check("C side: message truncated to the buffer R passed",
      short$status == 1L && short$msg == "unknown ga")
lib_ok <- Sys.getenv("GMOE_LIB")
Sys.setenv(GMOE_LIB = file.path(tmp, "nowhere.so"))
check_error("GMOE_LIB naming a missing file", gmoe_find_library(), "nowhere.so', which does not exist")
Sys.setenv(GMOE_LIB = lib_ok)
## The session survives all of that.
again <- gmoe_fit(sim$x, sim$y, k = 2, seed = 1, restarts = 5)
check("session survives: the same fit again", identical(coef(again), coef(fit)))

## ------------------------------------------------------------ the command line
## The tools and the R interface are the same library: with the same data,
## options and seed they must give the same numbers.  Numbers cross as
## %.17g text, which round-trips doubles exactly; the 1e-12 tolerances
## below only allow for R's own CSV parser being off by an ulp.
tool <- function(name) file.path(top_builddir, "src", name)
if (file.exists(tool("mixfit"))) {
    csv <- file.path(tmp, "data.csv")
    writeLines(c("x,y", sprintf("%.17g,%.17g", sim$x, sim$y)), csv)
    cli_json <- file.path(tmp, "cli.json")
    st <- system2(tool("mixfit"), c("-q", "-k", "2", "--seed", "11", "--restarts", "4",
                                    "-o", cli_json, csv), stdout = FALSE, stderr = FALSE)
    check("CLI: mixfit ran", st == 0)
    cli <- gmoe_read_model(cli_json)
    rfit <- gmoe_fit(sim$x, sim$y, k = 2, seed = 11, restarts = 4)
    dpar <- max(abs(coef(cli) - coef(rfit)))
    check(sprintf("CLI: R fit equals mixfit's (loglik %.17g vs %.17g, max parameter difference %g)",
                  rfit$loglik, cli$loglik, dpar),
          abs(rfit$loglik - cli$loglik) <= 1e-12 * abs(cli$loglik) && dpar <= 1e-12 &&
          cli$seed == 11 && cli$restarts == 4 && cli$iterations == rfit$iterations)

    sel_json <- file.path(tmp, "sel.json")
    st <- system2(tool("mixfit"), c("-q", "-k", "1:3", "-o", sel_json, csv),
                  stdout = FALSE, stderr = FALSE)
    rsel <- gmoe_fit(sim$x, sim$y, k = 1:3)
    csel <- gmoe_read_model(sel_json)
    check("CLI: k = 1:3 picks k = 2 by BIC, as mixfit -k 1:3, with the same fit",
          st == 0 && rsel$k == 2 && csel$k == 2 && identical(coef(rsel), coef(csel)) &&
          identical(rsel$selection$k, 1:3) && which.min(rsel$selection$bic) == 2 &&
          identical(coef(rsel), coef(gmoe_fit(sim$x, sim$y, k = 2))))

    ## mixloss --json, read with a regular expression (no JSON package
    ## needed): "name": number.
    truth_json <- file.path(tmp, "truth.json")
    gmoe_write_model(truth, truth_json)
    lj <- system2(tool("mixloss"), c("--fit", cli_json, "--truth", truth_json, "--json"),
                  stdout = TRUE, stderr = FALSE)
    json_num <- function(key) {
        line <- grep(sprintf('"%s":', key), lj, value = TRUE, fixed = TRUE)
        as.numeric(sub('.*: *([-0-9.eE+]+),?$', "\\1", line))
    }
    rl <- gmoe_loss(cli, truth)
    check(sprintf("CLI: gmoe_loss equals mixloss (%.17g vs %.17g)", rl$loss, json_num("loss")),
          length(lj) > 0 && abs(rl$loss - json_num("loss")) <= 1e-13 * rl$loss &&
          abs(rl$untranslated - json_num("loss_untranslated")) <= 1e-13 * rl$untranslated &&
          abs(rl$t0 - json_num("t0")) <= 1e-13 * abs(rl$t0))

    sim_csv <- file.path(tmp, "sim.csv")
    st <- system2(tool("mixsim"), c("--model", cli_json, "-n", "300", "--seed", "9",
                                    "-o", sim_csv), stdout = FALSE, stderr = FALSE)
    cs <- read.csv(sim_csv)
    rs <- gmoe_simulate(cli, 300, seed = 9)
    check("CLI: gmoe_simulate equals mixsim with the same seed",
          st == 0 && nrow(cs) == 300 && max(abs(cs$x - rs$x)) <= 1e-15 &&
          max(abs(cs$y - rs$y)) <= 1e-12 * max(abs(rs$y)))

    pred_csv <- file.path(tmp, "pred.csv")
    st <- system2(tool("mixpredict"), c("--model", cli_json, sim_csv),
                  stdout = pred_csv, stderr = FALSE)
    cp <- read.csv(pred_csv)
    rp <- predict(cli, cs["x"])
    rl <- gmoe_loglik(cli, cs["x"], cs$y)
    rel <- function(a, b) max(abs(a - b) / pmax(1, abs(b)))
    check("CLI: predict and gmoe_loglik equal mixpredict",
          st == 0 && rel(cp$mean, rp$mean) <= 1e-12 && rel(cp$var, rp$var) <= 1e-12 &&
          identical(as.integer(cp$expert), rp$expert) &&
          rel(as.matrix(cp[c("gate_1", "gate_2")]), as.matrix(rp[c("gate.1", "gate.2")])) <= 1e-12 &&
          rel(as.matrix(cp[c("resp_1", "resp_2")]), rl$resp) <= 1e-12 &&
          rel(cp$logdens, rl$logdens) <= 1e-12)
} else {
    check(paste("CLI: the tools are built in", tool("")), FALSE)
}

## ------------------------------------------------------------ flexmix
if (requireNamespace("flexmix", quietly = TRUE)) {
    suppressPackageStartupMessages(library(flexmix))
    ## Same data, same number of starts (5); flexmix's own defaults
    ## otherwise.  Our fit uses a strict tolerance (1e-12 per row) so that
    ## it sits at the maximum: flexmix, at the same or a lower maximum,
    ## cannot be higher by more than rounding.
    set.seed(1)
    fm <- flexmix::stepFlexmix(y ~ x, data = sim, k = 2, nrep = 5, verbose = FALSE,
                               model = flexmix::FLXMRglm(),
                               concomitant = flexmix::FLXPmultinom(~ x))
    ours <- gmoe_fit(sim$x, sim$y, k = 2, seed = 1, restarts = 5, tol = 1e-12)
    llf <- as.numeric(logLik(fm))
    check(sprintf("flexmix: gmoe loglik %.6f >= flexmix %.6f", ours$loglik, llf),
          ours$loglik >= llf - 1e-9)
} else {
    cat("skip flexmix comparison: R package flexmix not installed (Debian r-cran-flexmix)\n")
}

unlink(tmp, recursive = TRUE)
cat(sprintf("%d passed, %d failed\n", passed, failed))
quit(status = if (failed == 0L) 0L else 1L)
