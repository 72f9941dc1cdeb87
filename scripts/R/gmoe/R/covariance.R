## covariance.R -- the covariance of the free parameters, from the library.
.gmoe_covariance <- function(object) {
    stop(structure(class = c("gmoe_error", "error", "condition"), list(
        message = "standard errors need gmoe_covariance, which this libgmoe does not have yet",
        call = NULL, status = 7L)))
}
