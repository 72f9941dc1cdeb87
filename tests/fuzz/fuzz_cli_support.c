/* fuzz_cli_support.c -- the tools' helper files that mixloss and mixrate
 * link besides libgmoecli, for the fuzz target. */
#include "loss_options.c"
#include "rate_files.c"
