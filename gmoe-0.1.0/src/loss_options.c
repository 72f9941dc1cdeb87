/* loss_options.c -- see loss_options.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "loss_options.h"

/* The library's names ("auto", "D1", "D2"), and d1, d2 as typed. */
static int kind_from_name(const char *s)
{
    if (strcmp(s, "d1") == 0)
        return GMOE_LOSS_D1;
    if (strcmp(s, "d2") == 0)
        return GMOE_LOSS_D2;
    return gmoe_loss_kind_from_name(s);
}

int loss_parse_kind(const char *text, gmoe_loss_options *lo)
{
    int k;
    int st = cli_parse_choice("--loss", text, kind_from_name, "auto, D1, D2", &k);
    if (st == CLI_EXIT_OK)
        lo->kind = (gmoe_loss_kind)k;
    return st;
}

int loss_parse_rbar(const char *text, gmoe_loss_options *lo)
{
    char **items;
    size_t n;
    int st = cli_parse_list("--rbar", text, &items, &n);
    if (st)
        return st;
    for (size_t i = 0; i < n && !st; i++) {
        char *eq = strchr(items[i], '=');
        size_t c;
        double r;
        if (!eq) {
            st = cli_usage_error("--rbar: \"%s\" is not C=R", items[i]);
            break;
        }
        *eq = '\0';
        if ((st = cli_parse_size("--rbar", items[i], 2, GMOE_RBAR_MAX - 1, &c)) ||
            (st = cli_parse_double("--rbar", eq + 1, &r)))
            break;
        if (!(r > 0)) {
            st = cli_usage_error("--rbar: rbar(%zu) = %g must be > 0", c, r);
            break;
        }
        lo->rbar[c] = r;
    }
    cli_free_list(items, n);
    return st;
}
