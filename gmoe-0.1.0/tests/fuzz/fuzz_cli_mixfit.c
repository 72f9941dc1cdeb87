/* fuzz_cli_mixfit.c -- mixfit's main() as fuzz_main_mixfit(), for fuzz_cli.c. */
#include "fuzz_cli_tool.h"
#define main fuzz_main_mixfit
#include "mixfit.c"
