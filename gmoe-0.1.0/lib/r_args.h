/* r_args.h -- what the R entry points (r_entry.c) share: reporting into
 * R's status and message buffer, checks of R's vectors against the lengths
 * R passed, and the conversions between R's layouts (packed model,
 * column-major matrices) and the library's.  Private to lib/. */
#ifndef GMOE_R_ARGS_H
#define GMOE_R_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "gmoe.h"

/* 2^53: the largest range of whole numbers a double holds exactly. */
#define R_SEED_MAX 9007199254740992.0

/* Where a call reports: the status and R's message buffer, whose capacity
 * is the length of the string R passed (measured before anything is
 * written into it). */
typedef struct {
    int *status;
    char *buf;
    size_t cap;
} r_out;

r_out r_begin(int *status, char **msg);
void r_finish(r_out *o, int st, const gmoe_err *err);
/* Copies s into a string buffer R preallocated (capacity = its length). */
void r_put_string(char **buf, const char *s);

/* One argument's expected length: lens[arg] must equal want. */
typedef struct {
    int arg;
    size_t want;
    const char *name;
} r_len;

/* Checks lens[spec[i].arg] == spec[i].want for each entry, in order. */
int r_check_lens(const int *lens, const r_len *spec, size_t nspec, gmoe_err *err);
int r_check_length(int len, size_t want, const char *what, gmoe_err *err);
/* An R integer >= lo (NA, which is INT_MIN, refused). */
int r_check_count(int v, int lo, const char *what, gmoe_err *err);
/* 0 or 1 (R's FALSE or TRUE). */
int r_check_flag(int v, const char *what, gmoe_err *err);
int r_check_finite(const double *v, size_t len, const char *what, gmoe_err *err);
/* a * b fits in an R vector (INT_MAX elements). */
int r_check_product(size_t a, size_t b, const char *what, gmoe_err *err);
int r_check_seed(double s, uint64_t *out, gmoe_err *err);
/* Name -> value through one of the library's name tables; `choices`
 * lists the accepted names in the message. */
int r_check_name(const char *s, int (*from_name)(const char *), const char *what,
                 const char *choices, int *out, gmoe_err *err);

/* A packed model (gmoe_r.h): three R vectors and their lengths. */
typedef struct {
    char **names;
    const int *ints;
    const double *par;
    int len_names, len_ints, len_par;
} r_packed;

size_t r_packed_len(size_t k, size_t d);
/* The length with dg gate covariates (beta1 k x dg, a k x d): a packed
 * model whose integers carry a fifth, dg, has the gate's own covariates
 * (gate_own); with four the gate reads the experts' (dg = d). */
size_t r_packed_len_gate(size_t k, size_t d, size_t dg);
/* The model of a packed model, parameters from par when `params` (else
 * zero gates and unit variances; the family options and tau are always
 * read).  Every length is checked before anything is read or allocated.
 * `what` names the model in messages (NULL for the only model). */
int r_model_unpack(const r_packed *pm, int params, const char *what, gmoe_model **out,
                   gmoe_err *err);
void r_model_pack(const gmoe_model *m, double *mpar);
/* The names of a model's family and options into R's four buffers. */
void r_model_put_names(const gmoe_model *m, char **mnames);

void r_info_pack(const gmoe_fit_info *f, double *info);
int r_info_unpack(const double *info, gmoe_fit_info *f, gmoe_err *err);

/* A gmoe_data over R's vectors: x (n x d column-major, len_x) converted
 * to row-major (owned: free data->x), y (len_y) borrowed, or NULL when
 * y is NULL.  Checks lengths and finiteness before allocating. */
int r_data_build(int n, size_t d, const double *x, int len_x, const double *y, int len_y,
                 gmoe_data *data, gmoe_err *err);

/* The data a model reads: x holds the experts' d columns followed, when
 * m->gate_own, by the gate's dg (split into data->x and data->gx, both
 * owned: free both). */
int r_data_build_model(int n, const gmoe_model *m, const double *x, int len_x,
                       const double *y, int len_y, gmoe_data *data, gmoe_err *err);

/* Case weights for data built by r_data_build: w (len_w) borrowed, none
 * when len_w is 0, else n of them, each finite and >= 0, not all zero
 * (gmoe_data_check_weights, naming the row). */
int r_data_weights(gmoe_data *data, double *w, int len_w, gmoe_err *err);

#endif
