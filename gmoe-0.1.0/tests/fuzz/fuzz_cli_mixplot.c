/* fuzz_cli_mixplot.c -- mixplot's main() as fuzz_main_mixplot(), for fuzz_cli.c. */
#include "fuzz_cli_tool.h"
#define main fuzz_main_mixplot
#include "mixplot.c"
