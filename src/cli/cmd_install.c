/* cmd_install.c - 'cinstall install' (not yet written). */
#include "cli.h"

int cmd_install(cli *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_usage_error(c, "'install' is not implemented yet");
}
