/* cmd_cache.c - 'cinstall cache' (not yet written). */
#include "cli.h"

int cmd_cache(cli *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_usage_error(c, "'cache' is not implemented yet");
}
