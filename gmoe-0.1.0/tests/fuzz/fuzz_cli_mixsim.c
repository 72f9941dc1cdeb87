/* fuzz_cli_mixsim.c -- mixsim's main() as fuzz_main_mixsim(), for fuzz_cli.c. */
#include "fuzz_cli_tool.h"
#define main fuzz_main_mixsim
#include "mixsim.c"
