/* SPDX-License-Identifier: MIT */
/*
 * The help text of every command, written once: `icmquota --help`,
 * `icmquota CMD --help` and the man page (`icmquota help --man`) all
 * print from here.
 */
#ifndef ICMQUOTA_HELP_H
#define ICMQUOTA_HELP_H

#include <stdio.h>

struct help_entry {
	const char *name;    /* "status", "vm", ... */
	const char *summary; /* one line */
	const char *usage;   /* synopsis and options, plain text */
};

extern const struct help_entry help_commands[];
extern const char help_global[];
extern const char help_exit_codes[];
/* The man page's LIMITS and SECURITY sections (issue 8). */
void help_print_limits(FILE *out);
/* The memory split's terms and the huge page check (man MEMORY SPLIT). */
void help_print_split(FILE *out);
void help_print_security(FILE *out);

const struct help_entry *help_find(const char *name);
/* Print a command's help (usage and options). */
void help_print_command(FILE *out, const struct help_entry *e);
void help_print_main(FILE *out);
/* A man page in troff, from the same text. */
void help_print_man(FILE *out);

#endif
