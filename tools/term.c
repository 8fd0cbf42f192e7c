// SPDX-License-Identifier: GPL-2.0-or-later
/* Whether escape codes may be written (term.h). */
#include <string.h>
#include <unistd.h>

#include "term.h"

bool zcap_tool_term_escapes(int fd, const char *term)
{
	return isatty(fd) && term && term[0] && strcmp(term, "dumb") != 0;
}
