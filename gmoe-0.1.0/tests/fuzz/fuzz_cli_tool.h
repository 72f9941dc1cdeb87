/* fuzz_cli_tool.h -- included by fuzz_cli_<tool>.c just before the
 * tool's own source, so that the tool's main() becomes a function the
 * fuzzer can call, and its first read of a data or model file (which
 * comes after every option has been parsed and checked) returns
 * FUZZ_CLI_PARSED instead of touching a file: what runs is exactly the
 * tool's option parsing, nothing after it. */
#ifndef GMOE_FUZZ_CLI_TOOL_H
#define GMOE_FUZZ_CLI_TOOL_H

/* An exit code no tool uses: "the options were accepted". */
#define FUZZ_CLI_PARSED 99

#define cli_read_data fuzz_cli_read_data
#define cli_csv_read fuzz_cli_csv_read
#define cli_read_model fuzz_cli_read_model
#define cli_read_model_xnames fuzz_cli_read_model_xnames
#define gmoe_table_read fuzz_gmoe_table_read /* mixplot --criteria */
#define cli_wait_policy fuzz_cli_wait_policy /* no exec in the fuzzer */

int fuzz_main_mixfit(int argc, char **argv);
int fuzz_main_mixpredict(int argc, char **argv);
int fuzz_main_mixsim(int argc, char **argv);
int fuzz_main_mixloss(int argc, char **argv);
int fuzz_main_mixrate(int argc, char **argv);
int fuzz_main_mixplot(int argc, char **argv);

#endif
