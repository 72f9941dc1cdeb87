/* fuzz_cli_mixloss.c -- mixloss's main() as fuzz_main_mixloss(), for fuzz_cli.c. */
#include "fuzz_cli_tool.h"
#define main fuzz_main_mixloss
#include "mixloss.c"
