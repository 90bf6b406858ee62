// SPDX-License-Identifier: BSD-3-Clause
#include "utf8.h"

int utf8_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void utf8_pad(FILE *f, const char *s, int width, int right)
{
	int n = width - utf8_width(s);

	if (right)
		fprintf(f, "%*s%s", n > 0 ? n : 0, "", s);
	else
		fprintf(f, "%s%*s", s, n > 0 ? n : 0, "");
}
