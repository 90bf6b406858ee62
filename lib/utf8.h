/* SPDX-License-Identifier: BSD-3-Clause */
/* Text columns that hold UTF-8 ("±", "µ", "×"): widths in characters. */
#ifndef BL_UTF8_H
#define BL_UTF8_H

#include <stdio.h>

/* Display width: code points, not bytes. */
int utf8_width(const char *s);
/* s padded with spaces to width columns, on the left when right != 0. */
void utf8_pad(FILE *f, const char *s, int width, int right);

#endif
