/* cmd_unpack.c - 'cinstall unpack' (not yet written). */
#include "cli.h"

int cmd_unpack(cli *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_usage_error(c, "'unpack' is not implemented yet");
}
