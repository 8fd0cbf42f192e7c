/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * May a tool write terminal escape codes to @fd? Only to a terminal whose
 * TERM names one that has them: not to a file or a pipe (a log would
 * keep "\033[K" as text), and not with TERM unset or "dumb" (Emacs'
 * shell, some CI consoles), as ls --color=auto and git decide.
 */
#ifndef ZCAP_TOOLS_TERM_H
#define ZCAP_TOOLS_TERM_H

#include <stdbool.h>

/* @term: TERM's value (NULL: unset). */
bool zcap_tool_term_escapes(int fd, const char *term);

#endif /* ZCAP_TOOLS_TERM_H */
