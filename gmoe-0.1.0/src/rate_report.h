/* rate_report.h -- the reports of a mixrate output directory (mixrate(1)):
 * summary.csv, slope.txt, plot.gp and plot.png, made from results.csv. */
#ifndef GMOE_RATE_REPORT_H
#define GMOE_RATE_REPORT_H

#include <stddef.h>

#include "gmoe.h"

typedef struct {
    size_t kstar;
    int has_tau;          /* results.csv has err_tau_<j> columns */
    const char *kind;     /* "D1" or "D2" */
    const char *title;    /* the plot's title */
    size_t replicates;
    int over;             /* k > k* */
    int theory;           /* the family has the softmax theory's rates
                             (softmax, top-K): slope.txt's theory column */
} rate_report_info;

/* The slopes of the mean (fit[0]) and of the median (fit[1]) loss. */
typedef struct {
    int have[2];
    gmoe_rate_slope fit[2];
} rate_report_slopes;

/* Reads the complete OUTDIR/results.csv and writes summary.csv (per N:
 * mean, sd, median, the 95% intervals of the mean and the median, the
 * cells at the limit, convergence, mean errors), slope.txt (slopes with
 * CIs beside the theory's) and plot.gp, then runs gnuplot (plot.png).
 * Returns an exit code; a missing gnuplot is only a warning. */
int rate_write_reports(const char *outdir, const rate_report_info *info, rate_report_slopes *slopes);

#endif
