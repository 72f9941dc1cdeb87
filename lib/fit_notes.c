/* fit_notes.c -- what a fitted model says about itself (issue 11 item 4),
 * read off the model and its data (MODELS.md section 4: say which
 * directions are not identified rather than print huge standard errors):
 *
 *   tiny mass:        mean gate weight below 1% (or fewer than d + 2 rows'
 *                     worth): an over-specified k;
 *   near-duplicates:  two experts whose regression lines, over the data,
 *                     are within twice the larger noise sd of each other
 *                     and whose variances are within a factor 2: one
 *                     expert split in two;
 *   sparse level:     a factor level with fewer rows than the slopes its
 *                     indicator carries: they are fitted to those rows alone;
 *   separable gate:   a gate slope that changes the logit by more than 30
 *                     over one sd of its covariate (over the level contrast,
 *                     1, for a factor's indicator; the slope over tau for
 *                     temperature and activation): the gate is a step, its
 *                     slope runs off to infinity and only the boundary is
 *                     identified (always so for top-K with K = 1);
 *   not converged:    the fit's stop reason, whatever it is, when it is not
 *                     convergence;
 *   floor spike:      a higher run with an expert at the variance floor was
 *                     set aside (fit.c ranks such runs last);
 *   near floor:       an expert whose variance is within 10 times the floor
 *                     the fit used: a maximum next to a spike, its gain
 *                     likely from a few rows fitted almost exactly (a
 *                     genuine local maximum, but one k - 1 experts and the
 *                     rest of the data do not support);
 *   spurious:         the fit kept a run with a spurious expert (spurious.c:
 *                     few rows, a small variance), every run having one.
 *
 * The messages are the sentences mixfit's summary prints after "note: ".
 * Nothing is printed here. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "engine.h"
#include "internal.h"

/* The list being built: room for `cap` notes, allocated once. */
typedef struct {
    gmoe_note_list *notes;
    size_t cap;
} note_list;

static void add(note_list *l, gmoe_note_code code, size_t e1, size_t e2, size_t cov, double value,
                const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;

static void add(note_list *l, gmoe_note_code code, size_t e1, size_t e2, size_t cov, double value,
                const char *fmt, ...)
{
    if (l->notes->n == l->cap) /* cannot happen: cap counts every possible note */
        return;
    gmoe_fit_note *n = &l->notes->note[l->notes->n++];
    n->code = code;
    n->expert1 = e1;
    n->expert2 = e2;
    n->covariate = cov;
    n->value = value;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->message, sizeof n->message, fmt, ap);
    va_end(ap);
}

typedef struct {
    const gmoe_model *m;
    const gmoe_data *data;
    double total, *gate;
} rows_job;

/* Each expert's mean gate share added to mass[k] in row order. */
static void add_masses(void *job, double *mass)
{
    const rows_job *j = job;
    const gmoe_model *m = j->m;
    const gmoe_data *data = j->data;
    for (size_t r = 0; r < data->n; r++) {
        /* the gate alone (gmoe_predict_gx's, without the experts' moments) */
        const double *gx = gmoe_data_gate_x(data) + r * gmoe_data_gate_d(data);
        gmoe_log_gate(m, gx ? gx : data->x + r * m->d, j->gate);
        for (size_t i = 0; i < m->k; i++) /* times 1 without weights */
            mass[i] += (data->w ? data->w[r] : 1.0) * exp(j->gate[i]) / j->total;
    }
}

/* mass[i]: expert i's mean gate share over the data (k entries). */
static int expert_masses(const gmoe_model *m, const gmoe_data *data, double total, double *mass)
{
    double *gate = malloc(m->k * sizeof(double));
    if (!gate)
        return GMOE_ENOMEM;
    for (size_t i = 0; i < m->k; i++)
        mass[i] = 0.0;
    rows_job j = {.m = m, .data = data, .total = total, .gate = gate};
    gmoe_chain_run(data, mass, m->k, add_masses, &j);
    free(gate);
    return GMOE_OK;
}

/* total: rows, or the sum of the case weights. */
static void tiny_masses(note_list *l, const gmoe_model *m, const double *mass, double total)
{
    for (size_t i = 0; m->k > 1 && i < m->k; i++)
        if (mass[i] < 0.01 || mass[i] * total < (double)(m->d + 2))
            add(l, GMOE_NOTE_TINY_MASS, i + 1, 0, 0, mass[i],
                "expert %zu has tiny mass (mean gate %.3g): k may be too large", i + 1, mass[i]);
}

/* xm, xsd: the covariates' means and spreads. */
static void near_duplicates(note_list *l, const gmoe_model *m, const double *xm, const double *xsd)
{
    size_t k = m->k, d = m->d;
    for (size_t i = 0; i < k; i++)
        for (size_t j = i + 1; j < k; j++) {
            /* the lines' distance: |db + da'xbar| plus |da| sd(x) per covariate */
            double dist = m->b[i] - m->b[j], spread = 0.0;
            for (size_t u = 0; u < d; u++) {
                double da = m->a[i * d + u] - m->a[j * d + u];
                dist += da * xm[u];
                spread += fabs(da) * xsd[u];
            }
            double ratio = m->sigma2[i] / m->sigma2[j];
            double noise = sqrt(fmax(m->sigma2[i], m->sigma2[j]));
            if (fabs(dist) + spread < 2 * noise && ratio > 0.5 && ratio < 2)
                add(l, GMOE_NOTE_NEAR_DUPLICATES, i + 1, j + 1, 0, (fabs(dist) + spread) / noise,
                    "experts %zu and %zu are near-duplicates (the same line and variance): k may be "
                    "too large", i + 1, j + 1);
        }
}

/* The index of the column called name among names[0 .. d), or d. */
static size_t column_named(char *const *names, size_t d, const char *name)
{
    for (size_t u = 0; names && u < d; u++)
        if (names[u] && strcmp(names[u], name) == 0)
            return u;
    return d;
}

/* The gate's covariates' names: its own, or the experts'. */
static char *const *gate_names(const gmoe_data *data)
{
    return data->gate_own ? data->gxnames : data->xnames;
}

typedef struct {
    note_list *l;
    const gmoe_model *m;
    const gmoe_data *data;
    const double *xmean, *gmean; /* the columns' means: a level's share of the rows */
    double *gsd;                 /* the gate covariates' spreads */
} levels_job;

/* The level's indicator column called name: its spread for the separable
 * note becomes the contrast between the level and the reference, 1 (its
 * sd, sqrt(p (1 - p)), is about 1 / sqrt(n) for a level of one row, whose
 * slope then never looked steep: issue 11 audit A2); and a level with
 * fewer rows than the slopes its indicator carries (one per expert when
 * the experts read it, one per free gate slope when the gate does) gets
 * the sparse-level note: those slopes are fitted to its rows alone. */
static void factor_level(levels_job *j, const char *name)
{
    const gmoe_model *m = j->m;
    size_t ux = column_named(j->data->xnames, m->d, name), ug = column_named(gate_names(j->data), m->dg, name);
    if (ug < m->dg)
        j->gsd[ug] = 1.0;
    size_t gate_slopes = m->k == 1 ? 0 : gmoe_family_pins_slopes(m->family) ? m->k - 1 : m->k;
    size_t slopes = (ux < m->d ? m->k : 0) + (ug < m->dg ? gate_slopes : 0);
    double share = ux < m->d ? j->xmean[ux] : ug < m->dg ? j->gmean[ug] : 0.0;
    double rows = nearbyint(share * (double)gmoe_rows_total(j->data)); /* a sum of 0s and 1s */
    if (slopes > 0 && rows < (double)slopes)
        add(j->l, GMOE_NOTE_SPARSE_LEVEL, 0, 0, ug < m->dg ? ug + 1 : 0, rows,
            "factor level %s has %.0f row%s for the %zu slopes of its indicator (gate and experts): "
            "they are fitted to those rows alone and not identified (the gate's runs off as the rows "
            "go to one expert); merge the level with another or drop its rows",
            name, rows, rows == 1 ? "" : "s", slopes);
}

/* factor_level for every factor level's indicator column (the levels but
 * the reference); 0, or GMOE_ENOMEM. */
static int factor_levels(levels_job *j)
{
    const gmoe_data *data = j->data;
    for (size_t f = 0; f < data->nfactors; f++)
        for (size_t v = 1; v < data->factors[f].nlevels; v++) {
            char *name = gmoe_factor_indicator_name(data->factors[f].name, data->factors[f].levels[v]);
            if (!name)
                return GMOE_ENOMEM;
            factor_level(j, name);
            free(name);
        }
    return GMOE_OK;
}

/* gsd: the spreads of the gate's covariates. */
static void separable(note_list *l, const gmoe_model *m, const double *gsd)
{
    size_t d = m->dg; /* the gate's covariates */
    if (gmoe_model_gate_selects_one(m)) {
        add(l, GMOE_NOTE_SELECTION_ONLY, 0, 0, 0, NAN,
            "top-K with K = 1: the gate enters only through its selection boundaries; its slopes "
            "are not identified, only where the selection changes");
        return;
    }
    /* every gate with a tau divides its logits by it: temperature's are
     * beta / tau, activation's act(beta1'x) / tau (+ beta0), whose slope in
     * x is act' beta1 / tau (act' at most 1): as tau -> 0 it is a step */
    double scale = gmoe_family_has_tau(m->family) ? m->tau : 1.0;
    /* a converged softmax, temperature or activation fit passed
     * supremum.c's test: sharpening its steps lowers the log-likelihood, a
     * finite maximum */
    int tested_max = m->has_fit && m->fit.stop == GMOE_STOP_TOL &&
                     ((gmoe_family_properties(m->family) & GMOE_FAMILY_SPLITS) || m->family == GMOE_ACTIVATION);
    /* on a separable stop the not-converged note says the supremum and
     * what is identified; this one only which slope stands for the step */
    int supremum = m->has_fit && m->fit.stop == GMOE_STOP_SEPARABLE;
    const char *what = tested_max ? "the gate is nearly a step, but a maximum (a sharper step lowers "
                                    "the log-likelihood): the slope is large and poorly determined"
                       : supremum ? "it stands for a step at the boundary (stop: separable)"
                                  : "the gate is (nearly) separable, the slope runs off to infinity "
                                    "and only the boundary is identified";
    for (size_t u = 0; u < d; u++) {
        for (size_t i = 0; i < m->k; i++)
            if (fabs(m->beta1[i * d + u]) / scale * gsd[u] > 30)
                add(l, GMOE_NOTE_SEPARABLE_GATE, i + 1, 0, u + 1, m->beta1[i * d + u],
                    "gate slope of expert %zu on covariate %zu is very steep (%.3g in the logit): %s",
                    i + 1, u + 1, m->beta1[i * d + u] / scale, what);
    }
}

/* Any stop but convergence, named by the stop reasons' own table. */
static void not_converged(note_list *l, const gmoe_model *m)
{
    const gmoe_fit_info *f = &m->fit;
    if (!m->has_fit || f->stop == GMOE_STOP_TOL)
        return;
    if (f->stop == GMOE_STOP_SEPARABLE) {
        add(l, GMOE_NOTE_NOT_CONVERGED, 0, 0, 0, f->grad_norm,
            "not converged (stop: separable): the gradient norm is %.3g, but sharpening a steep gate "
            "step in place does not lower the log-likelihood, which approaches a supremum as a gate "
            "slope runs off to infinity; only the boundary is identified", f->grad_norm);
        return;
    }
    add(l, GMOE_NOTE_NOT_CONVERGED, 0, 0, 0, f->grad_norm,
        "not converged (stop: %s): gradient norm %.3g at the end, Hessian %s", gmoe_stop_name(f->stop),
        f->grad_norm, f->hessian_nd ? "negative definite" : "not negative definite (not a maximum)");
}

/* A higher run at the variance floor that the fit set aside. */
static void floor_spike(note_list *l, const gmoe_model *m)
{
    if (!m->has_fit || !(m->fit.floor_gain > 0))
        return;
    add(l, GMOE_NOTE_FLOOR_SPIKE, 0, 0, 0, m->fit.floor_gain,
        "a run with an expert at the variance floor reached a log-likelihood %.4g higher and was "
        "set aside: such a spike (an expert on a few rows) has no maximum but the floor's, so "
        "runs at the floor rank last", m->fit.floor_gain);
}

/* An expert close to the variance floor (10 times it: a factor the spikes
 * seen at 1e5 rows sit well inside, 1.3 times, while a real expert's noise
 * is orders of magnitude above 1e-6 var(y)). */
static void near_floor(note_list *l, const gmoe_model *m, const double *mass, double total)
{
    double floor = m->has_fit ? m->fit.variance_floor : 0.0;
    for (size_t i = 0; floor > 0 && i < m->k; i++)
        if (m->sigma2[i] < GMOE_NEAR_FLOOR_FACTOR * floor)
            add(l, GMOE_NOTE_NEAR_FLOOR, i + 1, 0, 0, m->sigma2[i] / floor,
                "expert %zu's variance is %.3g times the variance floor: the fit sits next to a "
                "spike (an expert fitted almost exactly to a few rows; %.3g rows' worth of data "
                "here), which k may be too large to avoid", i + 1, m->sigma2[i] / floor,
                mass[i] * total);
}

/* The fit kept a run with a spurious expert (spurious.c): every run had
 * one. */
static void spurious(note_list *l, const gmoe_model *m)
{
    const gmoe_fit_info *f = &m->fit;
    if (!m->has_fit || f->spurious_expert == 0 || f->spurious_expert > m->k)
        return;
    add(l, GMOE_NOTE_SPURIOUS, f->spurious_expert, 0, 0, f->spurious_ratio,
        "expert %zu is spurious: %.3g rows' worth of data (fewer than %g per parameter) and %.3g "
        "times the pooled variance (below %g); every run had such an expert, a spike on a few rows: "
        "try a smaller k", f->spurious_expert, f->spurious_rows, f->spurious_rows_factor,
        f->spurious_ratio, f->spurious_ratio_max);
}

int gmoe_fit_notes(gmoe_model *m, const gmoe_data *data, gmoe_err *err)
{
    if (!m || !data || gmoe_rows_total(data) == 0 || m->d != data->d || m->dg != gmoe_data_gate_d(data))
        return gmoe_error(err, GMOE_EINVAL, "fit notes: the model and the data do not match");
    size_t k = m->k;
    size_t levels = 0;
    for (size_t f = 0; f < data->nfactors; f++)
        levels += data->factors[f].nlevels;
    note_list l = {calloc(1, sizeof(gmoe_note_list)), 2 * k + k * (k - 1) / 2 + k * m->dg + levels + 4};
    if (l.notes && !(l.notes->note = calloc(l.cap, sizeof(gmoe_fit_note)))) {
        free(l.notes);
        l.notes = NULL;
    }
    size_t d = m->d, dg = m->dg; /* means and spreads: x's, then the gate covariates'; masses */
    double *mom = malloc((2 * (d + dg + 1) + k) * sizeof(double)), *mass = mom + 2 * (d + dg + 1);
    double total = gmoe_data_total_weight(data); /* rows, or the sum of the case weights */
    int st = l.notes && mom ? expert_masses(m, data, total, mass) : GMOE_ENOMEM;
    if (st != GMOE_OK) {
        free(mom);
        gmoe_note_list_free(l.notes);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    }
    tiny_masses(&l, m, mass, total);
    gmoe_column_spreads(data, data->x, d, mom, mom + d);
    gmoe_column_spreads(data, gmoe_data_gate_x(data), dg, mom + 2 * d, mom + 2 * d + dg);
    near_duplicates(&l, m, mom, mom + d);
    levels_job lj = {.l = &l, .m = m, .data = data, .xmean = mom, .gmean = mom + 2 * d, .gsd = mom + 2 * d + dg};
    if (factor_levels(&lj) != GMOE_OK)
        st = GMOE_ENOMEM;
    separable(&l, m, mom + 2 * d + dg);
    not_converged(&l, m);
    floor_spike(&l, m);
    near_floor(&l, m, mass, total);
    spurious(&l, m);
    free(mom);
    if (st != GMOE_OK) {
        gmoe_note_list_free(l.notes);
        return gmoe_error(err, GMOE_ENOMEM, "out of memory");
    }
    gmoe_note_list_free(m->notes);
    m->notes = l.notes;
    return GMOE_OK;
}
