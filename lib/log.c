// SPDX-License-Identifier: BSD-3-Clause
#include <stdio.h>
#include "log.h"

int log_level = LOG_WARN;

void log_set_level(int level)
{
	log_level = level;
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
	if (level > log_level)
		return;
	vfprintf(stderr, fmt, ap);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
