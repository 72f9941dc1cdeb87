## plot.R -- the data with the fitted expert lines (top) and the gate
## probabilities (bottom) against one covariate; other covariates are held
## at their mean in the kept data (0 without data).
plot.gmoe <- function(x, which = 1L, data = NULL, ngrid = 200L, col = NULL, ...) {
    m <- x
    .gmoe_no_gate_x(m, "plot")
    if (is.null(data) && !is.null(m[["x"]]))
        data <- list(x = m[["x"]], y = m[["y"]])
    if (length(which) != 1L)
        stop("which must name or number one covariate", call. = FALSE)
    j <- if (is.character(which)) match(which, m$xnames) else suppressWarnings(as.integer(which))
    if (is.na(j) || j < 1L || j > m$d)
        stop("which must name or number one of the ", m$d, " covariates", call. = FALSE)
    ngrid <- .gmoe_int(ngrid, "ngrid")
    if (is.na(ngrid) || ngrid < 2L || ngrid > 1e6)
        stop("ngrid must be a whole number in [2, 1e6]", call. = FALSE)
    if (is.null(col))
        col <- c("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02")
    col <- rep_len(col, m$k)
    dx <- if (!is.null(data)) .gmoe_x(data$x) else NULL
    base <- if (!is.null(dx)) colMeans(dx) else rep(0, m$d)
    rng <- if (!is.null(dx)) range(dx[, j]) else c(0, 1)
    grid <- matrix(base, ngrid, m$d, byrow = TRUE, dimnames = list(NULL, m$xnames))
    grid[, j] <- seq(rng[1L], rng[2L], length.out = ngrid)
    plain <- m
    plain$terms <- NULL                       # the grid is already a design matrix
    means <- predict(plain, grid, type = "expert")
    gates <- predict(plain, grid, type = "gate")
    old <- par(mfrow = c(2L, 1L), mar = c(4, 4, 2, 1))
    on.exit(par(old))
    xl <- m$xnames[[j]]
    ylim <- range(means, if (!is.null(data)) data$y)
    plot(NA, xlim = rng, ylim = ylim, xlab = xl, ylab = m$yname,
         main = sprintf("%s gate, k = %d%s", m$family, m$k,
                        if (m$d > 1L) " (other covariates at their means)" else ""), ...)
    if (!is.null(data)) {
        g <- gmoe_loglik(plain, dx, data$y)$resp
        points(dx[, j], data$y, pch = 16, cex = 0.4,
               col = adjustcolor(col[max.col(g, ties.method = "first")], 0.5))
    }
    matlines(grid[, j], means, col = col, lty = 2, lwd = 1.5)
    lines(grid[, j], predict(plain, grid, type = "mean"), lwd = 2)
    matplot(grid[, j], gates, type = "l", lty = 1, lwd = 2, col = col, ylim = c(0, 1),
            xlab = xl, ylab = "gate probability", main = "gate")
    ## One legend for both panels, where gate curves rarely are.
    legend("right", bg = "white", lty = 1, lwd = 2, col = c(col, "black"), cex = 0.8,
           legend = c(paste("expert", seq_len(m$k)), "predictive mean"))
    invisible(m)
}
