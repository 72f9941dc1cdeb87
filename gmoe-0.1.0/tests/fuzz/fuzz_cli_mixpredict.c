/* fuzz_cli_mixpredict.c -- mixpredict's main() as fuzz_main_mixpredict(), for fuzz_cli.c. */
#include "fuzz_cli_tool.h"
#define main fuzz_main_mixpredict
#include "mixpredict.c"
