# Helpers shared by the peer checks (scripts/peer-*.R): reading mixfit's
# model files, flexmix's best EM fit and its refit(), and the side-by-side
# table of estimates and standard errors.  Sourced, not run.

# gmoe's estimates and standard errors from the model file's inference key
gmoe_params <- function(path) {
    lines <- grep('"name":', readLines(path), value = TRUE)
    num <- function(key) as.numeric(sub(paste0('.*"', key, '": ([^,}]*).*'), "\\1", lines))
    data.frame(name = sub('.*"name": "([^"]*)".*', "\\1", lines), estimate = num("estimate"),
               se = num("se"))
}

# One number of the model file (the first line naming key), e.g. "loglik"
gmoe_fit_value <- function(path, key) {
    line <- grep(paste0('"', key, '"'), readLines(path), value = TRUE)[1]
    as.numeric(sub(paste0('.*"', key, '": ([^,]*),.*'), "\\1", line))
}

# The fit rescored at its estimates with sandwich standard errors
gmoe_sandwich <- function(mixfit, fit, csv, work) {
    sw <- file.path(work, "sw.json")
    system2(mixfit, c("--init", fit, "--max-iter", "0", "--se", "sandwich", "-q", "-o", sw, csv))
    gmoe_params(sw)
}

# flexmix with a concomitant gate ~ x, k = 2: the best of 10 EM starts (seed 1)
# and its refit() (optim on the full likelihood)
flexmix_best <- function(formula, data) {
    set.seed(1)
    best <- NULL
    for (s in 1:10) {
        f <- flexmix(formula, data = data, k = 2, concomitant = FLXPmultinom(~x),
                     control = list(tolerance = 1e-10, iter.max = 2000))
        if (length(f@size) == 2 && (is.null(best) || logLik(f) > logLik(best))) best <- f
    }
    r <- refit(best)
    list(best = best, coef = r@coef, se = sqrt(diag(r@vcov)))
}

# rows: list of c(gmoe name, flexmix estimate, flexmix se)
print_se_table <- function(rows, obs, sand) {
    cat("\n| parameter | flexmix refit | flexmix se | gmoe | gmoe se (observed) | gmoe se (sandwich) |\n")
    cat("|---|---|---|---|---|---|\n")
    for (row in rows) {
        i <- which(obs$name == row[1])
        cat(sprintf("| %s | %.6g | %.6g | %.6g | %.6g | %.6g |\n", row[1], as.numeric(row[2]),
                    as.numeric(row[3]), obs$estimate[i], obs$se[i], sand$se[i]))
    }
}

