/* init.c -- registers libgmoe's .C entry points (gmoe_r.h) with R and
 * installs the interrupt check that lets Ctrl-C stop a fit.  The entry
 * points live in libgmoe itself; this file only tells R about them. */
#include <R.h>
#include <R_ext/Rdynload.h>
#include <Rinternals.h>

#include <gmoe_r.h>

/* R's own check, run where its longjmp on an interrupt cannot leave the
 * C library's memory behind: R_ToplevelExec returns FALSE instead. */
static void check_interrupt(void *unused)
{
    (void)unused;
    R_CheckUserInterrupt();
}

static int interrupt_pending(void)
{
    return R_ToplevelExec(check_interrupt, NULL) == FALSE;
}

static R_NativePrimitiveArgType model_check_t[] = {STRSXP, INTSXP, REALSXP, INTSXP, INTSXP,
                                                   STRSXP};
static R_NativePrimitiveArgType fit_t[] = {
    STRSXP, INTSXP, REALSXP, INTSXP, INTSXP, REALSXP, REALSXP, REALSXP, STRSXP, INTSXP, REALSXP,
    REALSXP, INTSXP, REALSXP, STRSXP, INTSXP, INTSXP, STRSXP};
static R_NativePrimitiveArgType fit_auto_t[] = {
    STRSXP, INTSXP, REALSXP, INTSXP, REALSXP, REALSXP, REALSXP, STRSXP, INTSXP, REALSXP,
    REALSXP, INTSXP, REALSXP, STRSXP, INTSXP, INTSXP, STRSXP};
static R_NativePrimitiveArgType fit_nested_t[] = {
    STRSXP, INTSXP, REALSXP, INTSXP, REALSXP, REALSXP, INTSXP, REALSXP, REALSXP, REALSXP, STRSXP,
    INTSXP, REALSXP, REALSXP, INTSXP, REALSXP, STRSXP, INTSXP, INTSXP, STRSXP};
static R_NativePrimitiveArgType splits_t[] = {STRSXP, INTSXP, INTSXP, INTSXP, INTSXP, STRSXP};
static R_NativePrimitiveArgType notes_t[] = {
    STRSXP, INTSXP, REALSXP, REALSXP, INTSXP, REALSXP, REALSXP, STRSXP, INTSXP, INTSXP, REALSXP,
    STRSXP, INTSXP, INTSXP, INTSXP, STRSXP};
static R_NativePrimitiveArgType predict_t[] = {
    STRSXP, INTSXP, REALSXP, INTSXP, REALSXP, REALSXP, REALSXP, REALSXP, INTSXP,
    INTSXP, INTSXP, STRSXP};
static R_NativePrimitiveArgType loglik_t[] = {
    STRSXP, INTSXP, REALSXP, INTSXP, REALSXP, REALSXP, REALSXP, INTSXP, REALSXP, REALSXP, REALSXP,
    INTSXP, INTSXP, STRSXP};
static R_NativePrimitiveArgType loss_t[] = {
    STRSXP, INTSXP, REALSXP, STRSXP, INTSXP, REALSXP, STRSXP, INTSXP, REALSXP,
    REALSXP, INTSXP, REALSXP, INTSXP, INTSXP, REALSXP, INTSXP, INTSXP, STRSXP};
static R_NativePrimitiveArgType simulate_t[] = {
    STRSXP, INTSXP, REALSXP, INTSXP, STRSXP, REALSXP, REALSXP, REALSXP, REALSXP, REALSXP,
    INTSXP, INTSXP, INTSXP, STRSXP};
static R_NativePrimitiveArgType covariance_t[] = {
    STRSXP, INTSXP, REALSXP, STRSXP, INTSXP, REALSXP, REALSXP, REALSXP, STRSXP, INTSXP, REALSXP,
    STRSXP, INTSXP, INTSXP, STRSXP};
static R_NativePrimitiveArgType bootstrap_t[] = {
    STRSXP, INTSXP, REALSXP, STRSXP, INTSXP, REALSXP, REALSXP, REALSXP, STRSXP, INTSXP, REALSXP,
    STRSXP, INTSXP, INTSXP, REALSXP, INTSXP, INTSXP, STRSXP, REALSXP, REALSXP, REALSXP,
    INTSXP, INTSXP, STRSXP};
static R_NativePrimitiveArgType dims_t[] = {STRSXP, INTSXP, INTSXP, INTSXP, STRSXP};
static R_NativePrimitiveArgType read_t[] = {
    STRSXP, STRSXP, INTSXP, REALSXP, REALSXP, STRSXP, STRSXP, STRSXP, INTSXP, INTSXP, STRSXP};
static R_NativePrimitiveArgType write_t[] = {
    STRSXP, STRSXP, INTSXP, REALSXP, STRSXP, STRSXP, INTSXP, REALSXP, INTSXP, INTSXP, STRSXP};

#define ENTRY(name, types) \
    {#name, (DL_FUNC)&name, (int)(sizeof types / sizeof types[0]), types}

static const R_CMethodDef c_methods[] = {
    ENTRY(gmoe_r_model_check, model_check_t),
    ENTRY(gmoe_r_fit, fit_t),
    ENTRY(gmoe_r_fit_auto, fit_auto_t),
    ENTRY(gmoe_r_fit_nested, fit_nested_t),
    ENTRY(gmoe_r_notes, notes_t),
    ENTRY(gmoe_r_fit_splits, splits_t),
    ENTRY(gmoe_r_predict, predict_t),
    ENTRY(gmoe_r_loglik, loglik_t),
    ENTRY(gmoe_r_loss, loss_t),
    ENTRY(gmoe_r_simulate, simulate_t),
    ENTRY(gmoe_r_covariance, covariance_t),
    ENTRY(gmoe_r_bootstrap, bootstrap_t),
    ENTRY(gmoe_r_model_dims, dims_t),
    ENTRY(gmoe_r_model_read, read_t),
    ENTRY(gmoe_r_model_write, write_t),
    {NULL, NULL, 0, NULL}};

void R_init_gmoe(DllInfo *dll)
{
    R_registerRoutines(dll, c_methods, NULL, NULL, NULL);
    R_useDynamicSymbols(dll, FALSE);
    R_forceSymbols(dll, TRUE);
    gmoe_r_set_interrupt_check(interrupt_pending);
}

void R_unload_gmoe(DllInfo *dll)
{
    (void)dll;
    gmoe_r_set_interrupt_check(NULL);
}
