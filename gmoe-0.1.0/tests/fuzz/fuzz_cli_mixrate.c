/* fuzz_cli_mixrate.c -- mixrate's main() as fuzz_main_mixrate(), for fuzz_cli.c. */
#include "fuzz_cli_tool.h"
#define main fuzz_main_mixrate
#include "mixrate.c"
