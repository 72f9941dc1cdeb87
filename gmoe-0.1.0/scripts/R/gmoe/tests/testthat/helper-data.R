## Shared by the tests: the reference model of MODELS.md section 3, its
## bundled sample, and where the command-line tools are.
Sys.setenv(OMP_WAIT_POLICY = "passive")
truth <- gmoe_model(beta0 = c(-8, 0), beta1 = c(25, 0), a = c(-20, 20),
                    b = c(15, -5), sigma2 = c(0.09, 0.16))
ref <- read.csv(system.file("extdata", "reference.csv", package = "gmoe"))
sim <- gmoe_simulate(truth, 2000, seed = 2023)

## mixfit and friends: GMOE_TOOLS_DIR (the build tree's src/, set by
## tests/r_tests.sh) or the PATH (after make install).
gmoe_tool <- function(name) {
    dir <- Sys.getenv("GMOE_TOOLS_DIR")
    path <- if (nzchar(dir)) file.path(dir, name) else Sys.which(name)
    if (!nzchar(path) || !file.exists(path)) "" else unname(path)
}
