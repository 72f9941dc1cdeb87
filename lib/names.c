/* names.c -- the names of options, as in files and on the command line
 * (a family's name is in its table entry: gating.c). */
#include <string.h>

#include "internal.h"

static const char *const activation_names[GMOE_NACTIVATIONS] = {
    "tanh", "sigmoid", "arctan", "softsign"};
static const char *const select_names[2] = {"slope", "logit"};
static const char *const bias_names[2] = {"outside", "inside"};
static const char *const stop_names[GMOE_STOP_LAST + 1] = {
    "none", "tolerance", "max-iterations", "degenerate", "numeric",
    "saddle", "stalled", "loglik-change", "selection-local", "separable"};
static const char *const tol_rule_names[3] = {"per-obs", "relative", "absolute"};
static const char *const accel_names[2] = {"none", "squarem"};
static const char *const tau_mode_names[2] = {"fixed", "estimate"};
static const char *const design_names[3] = {"uniform", "normal", "grid"};
static const char *const loss_kind_names[3] = {"auto", "D1", "D2"};

static int index_of(const char *const *names, int n, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

static const char *name_at(const char *const *names, int n, int i)
{
    return (i >= 0 && i < n) ? names[i] : "unknown";
}

const char *gmoe_activation_name(gmoe_activation a) { return name_at(activation_names, GMOE_NACTIVATIONS, (int)a); }
int gmoe_activation_from_name(const char *s) { return index_of(activation_names, GMOE_NACTIVATIONS, s); }
const char *gmoe_select_name(gmoe_select s) { return name_at(select_names, 2, (int)s); }
int gmoe_select_from_name(const char *s) { return index_of(select_names, 2, s); }
const char *gmoe_bias_name(gmoe_bias_placement b) { return name_at(bias_names, 2, (int)b); }
int gmoe_bias_from_name(const char *s) { return index_of(bias_names, 2, s); }
const char *gmoe_stop_name(gmoe_stop_reason s) { return name_at(stop_names, GMOE_STOP_LAST + 1, (int)s); }
const char *gmoe_tol_rule_name(gmoe_tol_rule r) { return name_at(tol_rule_names, 3, (int)r); }
int gmoe_tol_rule_from_name(const char *s) { return index_of(tol_rule_names, 3, s); }
const char *gmoe_accel_name(gmoe_accel a) { return name_at(accel_names, 2, (int)a); }
int gmoe_accel_from_name(const char *s) { return index_of(accel_names, 2, s); }
const char *gmoe_tau_mode_name(gmoe_tau_mode t) { return name_at(tau_mode_names, 2, (int)t); }
int gmoe_tau_mode_from_name(const char *s) { return index_of(tau_mode_names, 2, s); }
const char *gmoe_design_name(gmoe_design d) { return name_at(design_names, 3, (int)d); }
int gmoe_design_from_name(const char *s) { return index_of(design_names, 3, s); }
const char *gmoe_loss_kind_name(gmoe_loss_kind k) { return name_at(loss_kind_names, 3, (int)k); }
int gmoe_loss_kind_from_name(const char *s) { return index_of(loss_kind_names, 3, s); }

static const char *const se_kind_names[3] = {"observed", "sandwich", "none"};
static const char *const boot_type_names[2] = {"nonparametric", "parametric"};
const char *gmoe_se_kind_name(gmoe_se_kind k) { return name_at(se_kind_names, 3, (int)k); }
int gmoe_se_kind_from_name(const char *s) { return index_of(se_kind_names, 3, s); }
const char *gmoe_boot_type_name(gmoe_boot_type t) { return name_at(boot_type_names, 2, (int)t); }
int gmoe_boot_type_from_name(const char *s) { return index_of(boot_type_names, 2, s); }
