/* cmd_uninstall.c - 'cinstall uninstall' (not yet written). */
#include "cli.h"

int cmd_uninstall(cli *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_usage_error(c, "'uninstall' is not implemented yet");
}
