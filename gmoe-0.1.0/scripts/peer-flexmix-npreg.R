# Standard errors against flexmix's refit() on flexmix's own NPreg data:
# yn ~ x with the concomitant (gate) ~ x, k = 2 (issue 12).  Writes
# npreg.csv, fits it with flexmix (10 EM starts, the best kept, then
# refit(): optim on the full likelihood) and with mixfit (observed and
# sandwich standard errors), and prints the log-likelihoods and the
# estimates with their standard errors side by side in gmoe's
# parameterization (the expert matching flexmix's Comp.1 is gmoe's
# reference, pinned, expert; sigma2 from flexmix's log(sigma) by the delta
# method, se(sigma2) = 2 sigma2 se(log sigma)).
#
# Usage: Rscript scripts/peer-flexmix-npreg.R [MIXFIT]   (default src/mixfit)
suppressMessages(library(flexmix))
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE)[1])),
                 "peer-lib.R"))
args <- commandArgs(trailingOnly = TRUE)
mixfit <- if (length(args)) args[1] else "src/mixfit"
work <- tempfile("npreg")
dir.create(work)
data(NPreg)
csv <- file.path(work, "npreg.csv")
write.csv(NPreg[, c("x", "yn")], csv, row.names = FALSE)

fm <- flexmix_best(yn ~ x, NPreg)
best <- fm$best
fx <- fm$coef
fse <- fm$se

fit <- file.path(work, "fit.json")
system2(mixfit, c("-k", "2", "-y", "yn", "-x", "x", "--restarts", "20", "--tol", "1e-12", "-q",
                  "-o", fit, csv))
obs <- gmoe_params(fit)
sand <- gmoe_sandwich(mixfit, fit, csv, work)
ll <- gmoe_fit_value(fit, "loglik")

# Match gmoe's experts to flexmix's components by the slope.
comp <- c(fx["model.1_Comp.1_coef.x"], fx["model.1_Comp.2_coef.x"])
g1 <- obs$estimate[obs$name == "a[1,x]"]
ref <- if (abs(g1 - comp[2]) < abs(g1 - comp[1])) 1 else 2 # flexmix's pinned Comp.1 is gmoe's expert 2
other <- 3 - ref
fl <- function(c, what) paste0("model.1_Comp.", c, "_", what)
s2 <- function(c) exp(2 * fx[fl(c, "log(sigma)")])
# flexmix's gate is Comp.2's against Comp.1; gmoe's expert 1's against expert 2
sgn <- if (ref == 1) 1 else -1
rows <- list(
    c("beta0[1]", sgn * fx["concomitant_Comp.2.(Intercept)"], fse["concomitant_Comp.2.(Intercept)"]),
    c("beta1[1,x]", sgn * fx["concomitant_Comp.2.x"], fse["concomitant_Comp.2.x"]),
    c("a[1,x]", fx[fl(other, "coef.x")], fse[fl(other, "coef.x")]),
    c("b[1]", fx[fl(other, "coef.(Intercept)")], fse[fl(other, "coef.(Intercept)")]),
    c("sigma2[1]", s2(other), 2 * s2(other) * fse[fl(other, "log(sigma)")]),
    c("a[2,x]", fx[fl(ref, "coef.x")], fse[fl(ref, "coef.x")]),
    c("b[2]", fx[fl(ref, "coef.(Intercept)")], fse[fl(ref, "coef.(Intercept)")]),
    c("sigma2[2]", s2(ref), 2 * s2(ref) * fse[fl(ref, "log(sigma)")]))
cat(sprintf("NPreg, yn ~ x, gate ~ x, k = 2, n = %d\n", nrow(NPreg)))
cat(sprintf("log-likelihood: flexmix EM %.7f (df %d), gmoe %.7f\n", as.numeric(logLik(best)),
            attr(logLik(best), "df"), ll))
em <- parameters(best)
cat(sprintf("flexmix EM sigma^2 (n/(n - rank) inside): %s\n",
            paste(sprintf("%.6g", em["sigma", ]^2), collapse = ", ")))
print_se_table(rows, obs, sand)
unlink(work, recursive = TRUE)
