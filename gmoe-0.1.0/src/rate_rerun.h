/* rate_rerun.h -- mixrate --same-as DIR -O NEWDIR: the run recorded in
 * DIR/run.json again, into NEWDIR (mixrate(1), Reproducibility). */
#ifndef GMOE_RATE_RERUN_H
#define GMOE_RATE_RERUN_H

/* Whether argv asks for --same-as (as its first option). */
int rate_rerun_requested(int argc, char **argv);

/* For `mixrate --same-as DIR -O NEWDIR`: creates NEWDIR, writes the truth
 * recorded in DIR/run.json's settings to NEWDIR/truth.json, and builds in
 * *out_argv (malloc'd; free with rate_rerun_free) the recorded command
 * with its --truth and -O/--outdir replaced by those two.  Returns an exit
 * code (usage errors name --same-as). */
int rate_rerun_args(int argc, char **argv, int *out_argc, char ***out_argv);
void rate_rerun_free(int argc, char **argv);

#endif
