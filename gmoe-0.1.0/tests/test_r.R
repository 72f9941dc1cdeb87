## test_r.R -- runs the R package's testthat tests
## (scripts/R/gmoe/tests/testthat) on the copy that r_tests.sh installed
## against the build tree's libgmoe:
##   Rscript test_r.R PACKAGE_DIR
## Exits 1 when a test fails or errs.
args <- commandArgs(trailingOnly = TRUE)
pkg <- if (length(args) >= 1L) args[[1L]] else file.path("..", "scripts", "R", "gmoe")
res <- testthat::test_dir(file.path(pkg, "tests", "testthat"), package = "gmoe",
                          load_package = "installed", reporter = "summary",
                          stop_on_failure = FALSE)
df <- as.data.frame(res)
failed <- sum(df$failed) + sum(df$error)
cat(sprintf("%d expectations passed, %d failed or erred, %d tests skipped\n",
            sum(df$passed), failed, sum(df$skipped)))
quit(status = if (failed == 0L) 0L else 1L)
