/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging to stderr with one global level; stdout carries results only. */
#ifndef BL_LOG_H
#define BL_LOG_H

#include <stdarg.h>

enum log_level { LOG_WARN = 0, LOG_INFO = 1, LOG_DEBUG = 2 };

extern int log_level;

void log_set_level(int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap);

#define pr_warn(fmt, ...) log_msg(LOG_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)                                   \
	do {                                                \
		if (log_level >= LOG_INFO)                  \
			log_msg(LOG_INFO, fmt, ##__VA_ARGS__); \
	} while (0)
#define pr_debug(fmt, ...)                                   \
	do {                                                 \
		if (log_level >= LOG_DEBUG)                  \
			log_msg(LOG_DEBUG, fmt, ##__VA_ARGS__); \
	} while (0)

#endif
