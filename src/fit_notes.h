/* fit_notes.h -- what a fitted model says about itself (issue 11 item 4):
 * experts with tiny mass, near-duplicate experts, gates running off to
 * infinity, for mixfit's summary. */
#ifndef GMOE_FIT_NOTES_H
#define GMOE_FIT_NOTES_H

#include <stdio.h>

#include "gmoe.h"

/* Writes one line per finding to out ("  note: ..."); returns how many. */
size_t fit_notes_print(FILE *out, const gmoe_model *m, const gmoe_data *data);

#endif
