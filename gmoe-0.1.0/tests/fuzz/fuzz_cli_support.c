/* fuzz_cli_support.c -- the tools' own helper files (besides libgmoecli)
 * that mixfit, mixloss and mixrate link, for the fuzz target: keep in step with
 * src/Makefile.am's mixloss_SOURCES and mixrate_SOURCES. */
#include "loss_options.c"
#include "rate_files.c"
#include "rate_lock.c"
#include "rate_report.c"
#include "rate_provenance.c"
#include "rate_rerun.c"
#include "rate_pending.c"
#include "mpi_rate.c"
#include "mpi_fit.c"
#include "mpi_shard.c"
