/* SPDX-License-Identifier: BSD-3-Clause */
/* Directories and whole files that a reader never sees half written. */
#ifndef BL_FILEUTIL_H
#define BL_FILEUTIL_H

#include <stddef.h>
#include <stdio.h>

/* mkdir -p with mode 0755: 0 or -errno. */
int mkdir_p(const char *path);

/* Open "PATH.tmp" for writing; the name goes in tmp. NULL + errno. */
FILE *file_open_tmp(const char *path, char *tmp, size_t len);
/* Close f and rename it over path, unless err (an earlier failure, kept) or
 * the writes failed (-EIO); on any failure the temporary is removed. */
int file_commit(FILE *f, const char *tmp, const char *path, int err);

#endif
