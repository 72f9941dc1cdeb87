/* notes_record.c -- the record of a fit's notes (gmoe_note_list, gmoe.h): the
 * names of their codes, free and clone.  Apart from fit_notes.c, which
 * computes them, because the model (model.c) frees its notes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const note_names[] = {"tiny-mass", "near-duplicates", "selection-only",
                                         "separable-gate", "not-converged", "floor-spike", "near-floor",
                                         "spurious", "sparse-level"};

const char *gmoe_note_name(gmoe_note_code code)
{
    return (unsigned)code <= GMOE_NOTE_LAST ? note_names[code] : NULL;
}

int gmoe_note_from_name(const char *name)
{
    for (int i = 0; name && i <= GMOE_NOTE_LAST; i++)
        if (strcmp(note_names[i], name) == 0)
            return i;
    return -1;
}

void gmoe_note_list_free(gmoe_note_list *notes)
{
    if (!notes)
        return;
    free(notes->note);
    free(notes);
}

gmoe_note_list *gmoe_note_list_clone(const gmoe_note_list *notes)
{
    gmoe_note_list *c = notes ? calloc(1, sizeof *c) : NULL;
    if (!c || notes->n == 0)
        return c;
    if (!(c->note = malloc(notes->n * sizeof *c->note))) {
        free(c);
        return NULL;
    }
    memcpy(c->note, notes->note, notes->n * sizeof *c->note);
    c->n = notes->n;
    return c;
}
