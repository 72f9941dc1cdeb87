/* loss_options.h -- the loss options shared by mixloss(1) and mixrate(1):
 * --loss, --rbar and --no-translate. */
#ifndef GMOE_LOSS_OPTIONS_H
#define GMOE_LOSS_OPTIONS_H

#include "gmoe.h"

/* --loss auto|D1|D2 (lower-case d1, d2 accepted too) into lo->kind.
 * Returns an exit code (CLI_EXIT_USAGE naming --loss). */
int loss_parse_kind(const char *text, gmoe_loss_options *lo);

/* --rbar C=R[,C=R...]: lo->rbar[C] = R, 2 <= C < GMOE_RBAR_MAX, R > 0.
 * Returns an exit code (CLI_EXIT_USAGE naming --rbar). */
int loss_parse_rbar(const char *text, gmoe_loss_options *lo);

#endif
