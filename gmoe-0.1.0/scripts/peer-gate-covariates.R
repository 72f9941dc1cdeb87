# Gate covariates of their own (mixfit --gate-x) against the peers (issue 12):
#  1. flexmix's documented concomitant example on its NPreg data:
#     yn ~ x + I(x^2) with the gate (concomitant) ~ x, k = 2: flexmix EM
#     (10 starts, the best kept) and refit() against mixfit -x x,x2
#     --gate-x x, log-likelihoods and standard errors side by side;
#  2. mixtools' regmixEM on its tonedata (tuned ~ stretchratio, k = 2, a
#     constant gate) against mixfit --gate-x none: log-likelihoods,
#     estimates and the number of free parameters (7).
# Estimates in gmoe's parameterization: gmoe's last expert is the gate's
# reference; sigma2 from flexmix's log(sigma) by the delta method
# (se(sigma2) = 2 sigma2 se(log sigma)), from mixtools' sigma squared.
#
# Usage: Rscript scripts/peer-gate-covariates.R [MIXFIT]   (default src/mixfit)
suppressMessages({
    library(flexmix)
    library(mixtools)
})
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE)[1])),
                 "peer-lib.R"))
args <- commandArgs(trailingOnly = TRUE)
mixfit <- if (length(args)) args[1] else "src/mixfit"
work <- tempfile("gatex")
dir.create(work)

run_mixfit <- function(csv, extra) {
    fit <- file.path(work, "fit.json")
    status <- system2(mixfit, c("-k", "2", "--restarts", "20", "--tol", "1e-12", "-q", "-o", fit,
                                extra, csv))
    if (status != 0) stop("mixfit failed")
    fit
}

## 1. NPreg: yn ~ x + I(x^2), gate ~ x
data(NPreg)
np <- data.frame(x = NPreg$x, x2 = NPreg$x^2, yn = NPreg$yn)
csv <- file.path(work, "npreg.csv")
write.csv(np, csv, row.names = FALSE)
fm <- flexmix_best(yn ~ x + I(x^2), NPreg)
best <- fm$best
fx <- fm$coef
fse <- fm$se
fit <- run_mixfit(csv, c("-y", "yn", "-x", "x,x2", "--gate-x", "x"))
obs <- gmoe_params(fit)
sand <- gmoe_sandwich(mixfit, fit, csv, work)
fl <- function(c, what) paste0("model.1_Comp.", c, "_", what)
g1 <- obs$estimate[obs$name == "a[1,x2]"]
ref <- if (abs(g1 - fx[fl(2, "coef.I(x^2)")]) < abs(g1 - fx[fl(1, "coef.I(x^2)")])) 1 else 2
other <- 3 - ref # flexmix's pinned Comp.1 is gmoe's expert 2 when ref == 1
s2 <- function(c) exp(2 * fx[fl(c, "log(sigma)")])
sgn <- if (ref == 1) 1 else -1
rows <- list(
    c("beta0[1]", sgn * fx["concomitant_Comp.2.(Intercept)"], fse["concomitant_Comp.2.(Intercept)"]),
    c("beta1[1,x]", sgn * fx["concomitant_Comp.2.x"], fse["concomitant_Comp.2.x"]))
for (e in 1:2) {
    c <- if (e == 1) other else ref
    rows <- c(rows, list(
        c(sprintf("a[%d,x]", e), fx[fl(c, "coef.x")], fse[fl(c, "coef.x")]),
        c(sprintf("a[%d,x2]", e), fx[fl(c, "coef.I(x^2)")], fse[fl(c, "coef.I(x^2)")]),
        c(sprintf("b[%d]", e), fx[fl(c, "coef.(Intercept)")], fse[fl(c, "coef.(Intercept)")]),
        c(sprintf("sigma2[%d]", e), s2(c), 2 * s2(c) * fse[fl(c, "log(sigma)")])))
}
cat(sprintf("1. NPreg, yn ~ x + I(x^2), gate ~ x, k = 2, n = %d\n", nrow(NPreg)))
cat(sprintf("log-likelihood: flexmix EM %.7f (df %d), gmoe %.7f (npar %d)\n",
            as.numeric(logLik(best)), attr(logLik(best), "df"), gmoe_fit_value(fit, "loglik"),
            gmoe_fit_value(fit, "npar")))
print_se_table(rows, obs, sand)

## 2. tonedata: tuned ~ stretchratio, constant gate
data(tonedata)
csv <- file.path(work, "tone.csv")
write.csv(tonedata[, c("stretchratio", "tuned")], csv, row.names = FALSE)
fit <- run_mixfit(csv, c("-y", "tuned", "-x", "stretchratio", "--gate-x", "none"))
g <- gmoe_params(fit)
est <- function(name) g$estimate[g$name == name]
# mixtools started at gmoe's fit (is it mixtools' fixed point too?) and
# from 20 random starts (the best kept)
lam1 <- 1 / (1 + exp(-est("beta0[1]")))
at_gmoe <- regmixEM(tonedata$tuned, tonedata$stretchratio, k = 2, epsilon = 1e-12, maxit = 20000,
                    lambda = c(lam1, 1 - lam1),
                    beta = matrix(c(est("b[1]"), est("a[1,stretchratio]"), est("b[2]"),
                                    est("a[2,stretchratio]")), 2),
                    sigma = sqrt(c(est("sigma2[1]"), est("sigma2[2]"))), verb = FALSE)
set.seed(1)
mt <- NULL
for (s in 1:20) {
    f <- tryCatch(regmixEM(tonedata$tuned, tonedata$stretchratio, k = 2, epsilon = 1e-12,
                           maxit = 20000, verb = FALSE), error = function(e) NULL)
    if (!is.null(f) && (is.null(mt) || f$loglik > mt$loglik)) mt <- f
}
cat(sprintf("\n2. tonedata, tuned ~ stretchratio, constant gate, k = 2, n = %d\n", nrow(tonedata)))
cat(sprintf("log-likelihood: gmoe %.7f (npar %d); mixtools regmixEM from gmoe's fit %.7f (%d iterations); mixtools best of 20 random starts %.7f (7 free parameters: 2 x 2 coefficients, 2 variances, 1 weight)\n",
            gmoe_fit_value(fit, "loglik"), gmoe_fit_value(fit, "npar"), at_gmoe$loglik,
            length(at_gmoe$all.loglik) - 1, mt$loglik))
mix_rows <- function(m) {
    c1 <- which.min(abs(m$beta[2, ] - est("a[1,stretchratio]")))
    c2 <- 3 - c1
    c(log(m$lambda[c1] / m$lambda[c2]), m$beta[2, c1], m$beta[1, c1], m$sigma[c1]^2,
      m$beta[2, c2], m$beta[1, c2], m$sigma[c2]^2)
}
names7 <- c("beta0[1]", "a[1,stretchratio]", "b[1]", "sigma2[1]", "a[2,stretchratio]", "b[2]",
            "sigma2[2]")
a <- mix_rows(at_gmoe)
b <- mix_rows(mt)
cat("\n| parameter | gmoe | gmoe se (observed) | mixtools from gmoe's fit | mixtools best random start |\n")
cat("|---|---|---|---|---|\n")
for (j in seq_along(names7))
    cat(sprintf("| %s | %.7g | %.4g | %.7g | %.7g |\n", names7[j], est(names7[j]),
                g$se[g$name == names7[j]], a[j], b[j]))
# gmoe started at mixtools' best random-start fit
init <- file.path(work, "init.json")
writeLines(sprintf('{"family": "softmax", "k": 2, "d": 1, "gate_d": 0, "x_names": ["stretchratio"], "gate_x_names": [], "y_name": "tuned", "experts": [{"beta0": %.17g, "beta1": [], "a": [%.17g], "b": %.17g, "sigma2": %.17g}, {"beta0": 0, "beta1": [], "a": [%.17g], "b": %.17g, "sigma2": %.17g}]}',
                   b[1], b[2], b[3], b[4], b[5], b[6], b[7]), init)
fit2 <- file.path(work, "fit2.json")
system2(mixfit, c("--init", init, "-q", "-o", fit2, csv))
cat(sprintf("\ngmoe started at mixtools' best random-start fit: log-likelihood %.7f, sigma2 %.4g and %.4g\n",
            gmoe_fit_value(fit2, "loglik"), gmoe_params(fit2)$estimate[4],
            gmoe_params(fit2)$estimate[7]))
unlink(work, recursive = TRUE)
