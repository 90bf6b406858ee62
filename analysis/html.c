// SPDX-License-Identifier: BSD-3-Clause
/*
 * The HTML report. Everything is inline: the page must open from a mail
 * attachment or a CI artifact with no network and no scripts. The gnuplot
 * SVGs are embedded as elements; their ids are prefixed per plot because
 * every gnuplot SVG defines the same ones.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileutil.h"
#include "html.h"

static const char *const css =
	":root{--fg:#1c2230;--muted:#5d6675;--faint:#8a93a1;--line:#e4e7eb;--bg:#f6f7f9;"
	"--card:#fff;--accent:#2d5fd3;--warn:#b3261e}\n"
	"*{box-sizing:border-box}\n"
	"html{-webkit-text-size-adjust:100%}\n"
	"body{margin:0;background:var(--bg);color:var(--fg);"
	"font:15px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue','DejaVu Sans',"
	"Arial,sans-serif}\n"
	".wrap{max-width:1200px;margin:0 auto;padding:0 28px}\n"
	"header.top{background:var(--card);border-bottom:1px solid var(--line);padding:30px 0 26px}\n"
	".eyebrow{font-size:12px;font-weight:650;letter-spacing:.09em;text-transform:uppercase;"
	"color:var(--accent)}\n"
	"h1{font-size:30px;line-height:1.2;margin:6px 0 4px;letter-spacing:-.01em}\n"
	".sub{color:var(--muted);margin:0}\n"
	".sub code{font-size:13px;white-space:nowrap}\n"
	".pill{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12.5px;"
	"font-weight:600;background:#e8f3ec;color:#1e6b3a;margin-left:6px;vertical-align:2px}\n"
	".pill.bad{background:#fbe9e7;color:var(--warn)}\n"
	"dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));"
	"gap:12px 26px;margin:22px 0 0}\n"
	"dl.facts div{min-width:0}\n"
	"dl.facts dt{font-size:11.5px;letter-spacing:.04em;text-transform:uppercase;"
	"color:var(--faint)}\n"
	"dl.facts dd{margin:2px 0 0;font-weight:550;overflow-wrap:anywhere}\n"
	"main{padding:8px 0 40px}\n"
	"section{margin:34px 0}\n"
	"h2{font-size:21px;line-height:1.3;margin:0 0 4px;letter-spacing:-.005em}\n"
	"h3{font-size:16px;margin:0 0 8px}\n"
	".lede{color:var(--muted);margin:0 0 14px;max-width:82ch}\n"
	".card{background:var(--card);border:1px solid var(--line);border-radius:12px;"
	"padding:20px 22px;box-shadow:0 1px 2px rgba(20,30,50,.04)}\n"
	".hero .card{padding:18px 14px 8px}\n"
	"figure{margin:0}\n"
	".plot svg{display:block;width:100%;height:auto}\n"
	".plot svg text{font-family:'DejaVu Sans','Helvetica Neue',Arial,sans-serif}\n"
	".grid2{display:grid;grid-template-columns:1fr;gap:22px}\n"
	".grid2>*{min-width:0}\n"
	".legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:12px 8px 2px;font-size:13px;"
	"color:var(--muted)}\n"
	".sw{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:6px;"
	"vertical-align:-1px}\n"
	".tw{overflow-x:auto;margin:0 -4px}\n"
	"table{border-collapse:collapse;width:100%;font-size:14px;"
	"font-variant-numeric:tabular-nums}\n"
	"th{text-align:left;vertical-align:bottom;font-size:12.5px;font-weight:650;"
	"color:var(--muted);padding:6px 10px 7px;border-bottom:2px solid var(--line);"
	"white-space:nowrap}\n"
	"th .u{display:block;font-weight:400;font-size:11.5px;color:var(--faint)}\n"
	"td{padding:6px 10px;border-bottom:1px solid #eef0f3;white-space:nowrap}\n"
	"#t-breakdown th,#t-breakdown td{padding-left:6px;padding-right:6px}\n"
	"#t-breakdown th{white-space:normal;max-width:92px;line-height:1.25}\n"
	"#t-breakdown{font-size:13.5px}\n"
	"td.l0{font-weight:600}\n"
	"tr.g td{border-top:1px solid #d9dde3}\n"
	"tbody tr:hover td{background:#f7f9fc}\n"
	".r{text-align:right}\n"
	".o{color:var(--warn);font-weight:650;cursor:help}\n"
	".note{color:var(--muted);font-size:13px;margin:12px 2px 0;max-width:95ch}\n"
	".kv{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:6px 22px;"
	"font-size:14px}\n"
	".kv div{display:flex;justify-content:space-between;gap:10px;border-bottom:1px dotted "
	"var(--line);padding:3px 0}\n"
	".kv span:first-child{color:var(--muted)}\n"
	".kv span:last-child{font-weight:550;text-align:right;overflow-wrap:anywhere}\n"
	"ul.plain{margin:0;padding-left:18px}\n"
	"ul.plain li{margin:2px 0}\n"
	"code{font:13px/1.4 'DejaVu Sans Mono',ui-monospace,Menlo,Consolas,monospace;"
	"background:#f0f2f5;padding:1px 5px;border-radius:4px}\n"
	"footer{color:var(--faint);font-size:13px;border-top:1px solid var(--line);"
	"padding:18px 0 40px}\n"
	"footer ul{columns:2;padding-left:18px;margin:6px 0}\n"
	".st-bad{color:var(--warn);font-weight:600}\n"
	"td.wrap{white-space:normal;font-size:12.5px;color:var(--muted)}\n"
	"td.wrap div{min-width:400px}\n"
	"@media (max-width:720px){.wrap{padding:0 14px}h1{font-size:24px}}\n"
	"@media print{body{background:#fff}.card{box-shadow:none}}\n";

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void json_text(json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
	else
		snprintf(buf, len, "-");
}

/* Copy an SVG file into the page: from "<svg" on, ids made unique. */
static int inline_svg(FILE *f, const char *path, int n, const char *title)
{
	char pre[16], *buf, *s;
	FILE *in = fopen(path, "r");
	long len;

	if (!in)
		return -errno;
	fseek(in, 0, SEEK_END);
	len = ftell(in);
	fseek(in, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, in) != (size_t)len) {
		free(buf);
		fclose(in);
		return -EIO;
	}
	fclose(in);
	buf[len] = 0;
	s = strstr(buf, "<svg");
	if (!s) {
		free(buf);
		return -EINVAL;
	}
	snprintf(pre, sizeof(pre), "p%d-", n);
	while (*s) {
		/* gnuplot quotes attributes both ways. */
		static const char *const pats[] = { "id=\"", "id='", "href=\"#", "href='#", "url(#",
						    NULL };
		int hit = 0;

		for (int i = 0; pats[i]; i++) {
			size_t pl = strlen(pats[i]);

			/* An attribute name starts after white space ("gid=" is not "id="). */
			if (!strncmp(s, pats[i], pl) &&
			    (pats[i][0] == 'u' || s[-1] == ' ' || s[-1] == '\t' || s[-1] == '\n' ||
			     s[-1] == ':')) {
				fwrite(s, 1, pl, f);
				fputs(pre, f);
				s += pl;
				hit = 1;
				break;
			}
		}
		if (hit)
			continue;
		/* gnuplot titles every SVG "Gnuplot": a tooltip nobody wants. */
		if (!strncmp(s, "<title>Gnuplot</title>", 22)) {
			fputs("<title>", f);
			esc(f, title);
			fputs("</title>", f);
			s += 22;
			continue;
		}
		fputc(*s++, f);
	}
	free(buf);
	return 0;
}

static void table_html(FILE *f, const struct ttable *t)
{
	fprintf(f, "<div class=\"tw\"><table id=\"t-%s\">\n<thead><tr>", t->id);
	for (int c = 0; c < t->ncols; c++) {
		fprintf(f, "<th%s>", t->right[c] ? " class=\"r\"" : "");
		if (t->color[c])
			fprintf(f, "<span class=\"sw\" style=\"background:%s\"></span>", t->color[c]);
		esc(f, t->head[c]);
		if (t->unit[c][0]) {
			fputs("<span class=\"u\">", f);
			esc(f, t->unit[c]);
			fputs("</span>", f);
		}
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (int r = 0; r < t->nrows; r++) {
		fprintf(f, "<tr%s>", r && tt_cell(t, r, 0)->first_of_group ? " class=\"g\"" : "");
		for (int c = 0; c < t->ncols; c++) {
			const struct tcell *x = tt_cell(t, r, c);
			char cls[32] = "";

			snprintf(cls, sizeof(cls), "%s%s", t->right[c] ? "r" : "",
				 c == 0 ? "l0" : "");
			fprintf(f, "<td%s%s%s>", cls[0] ? " class=\"" : "", cls, cls[0] ? "\"" : "");
			if (x->outlier) {
				fputs("<span class=\"o\" title=\"outliers beyond 1.5 IQR (kept): ", f);
				esc(f, x->note);
				fputs("\">", f);
				esc(f, x->text);
				fputs("</span>", f);
			} else {
				esc(f, x->text);
			}
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
}

static const char *fact_name(const char *k)
{
	static const struct {
		const char *k, *n;
	} m[] = {
		{ "cpu_model", "CPU" },
		{ "cpus_online", "CPUs online" },
		{ "kernel", "kernel" },
		{ "tsc_hz", "TSC" },
		{ "clocksource", "clock source" },
		{ "bridge_nf_call_iptables", "bridge-nf-call-iptables" },
		{ "netdev_max_backlog", "netdev_max_backlog" },
		{ "rmem_default", "rmem_default" },
		{ "hostname", "host" },
		{ "arch", "architecture" },
		{ "bypasslab_version", "bypasslab" },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (!strcmp(m[i].k, k))
			return m[i].n;
	return k;
}

static void fact(FILE *f, const char *k, json_t *v)
{
	char b[160];

	if (!strcmp(k, "tsc_hz") && json_is_number(v))
		snprintf(b, sizeof(b), "%.3f GHz", json_number_value(v) / 1e9);
	else if (!strcmp(k, "rmem_default") && json_is_number(v))
		snprintf(b, sizeof(b), "%.0f KiB", json_number_value(v) / 1024);
	else
		json_text(v, b, sizeof(b));
	fputs("<div><dt>", f);
	esc(f, fact_name(k));
	fputs("</dt><dd>", f);
	esc(f, b);
	fputs("</dd></div>\n", f);
}

static void facts(FILE *f, json_t *machine)
{
	/* The facts that change results first, the rest after. */
	static const char *const order[] = { "cpu_model", "cpus_online", "kernel", "tsc_hz",
					     "clocksource", "bridge_nf_call_iptables", NULL };
	const char *k;
	json_t *v;

	fputs("<dl class=\"facts\">\n", f);
	for (int i = 0; order[i]; i++)
		if ((v = json_object_get(machine, order[i])))
			fact(f, order[i], v);
	json_object_foreach(machine, k, v) {
		int done = 0;

		for (int i = 0; order[i]; i++)
			done |= !strcmp(order[i], k);
		if (!done)
			fact(f, k, v);
	}
	fputs("</dl>\n", f);
}

static void params_block(FILE *f, const struct runset *rs)
{
	json_t *p = json_object_get(rs->cases[0], "params"), *v;
	const char *k;

	fputs("<div class=\"card\"><h3>Parameters</h3>\n", f);
	if (rs->nvarying) {
		fputs("<p class=\"note\" style=\"margin:0 0 12px\">Swept: ", f);
		for (int i = 0; i < rs->nvarying; i++) {
			json_t *seen = json_array();

			fprintf(f, "%s<b>", i ? "; " : "");
			esc(f, rs->varying[i]);
			fputs("</b> ", f);
			for (int c = 0; c < rs->ncases; c++) {
				json_t *x = json_object_get(json_object_get(rs->cases[c], "params"),
							    rs->varying[i]);
				size_t j;
				json_t *y;
				int dup = 0;
				char b[64];

				json_array_foreach(seen, j, y)
					dup |= json_equal(x, y);
				if (dup || !x)
					continue;
				json_array_append(seen, x);
				json_text(x, b, sizeof(b));
				fprintf(f, "%s", json_array_size(seen) > 1 ? ", " : "");
				esc(f, b);
			}
			json_decref(seen);
		}
		fputs("</p>\n", f);
	}
	fputs("<div class=\"kv\">\n", f);
	json_object_foreach(p, k, v) {
		char b[96];
		int vary = 0;

		for (int i = 0; i < rs->nvarying; i++)
			vary |= !strcmp(rs->varying[i], k);
		if (vary || !strcmp(k, "rep"))
			continue;
		json_text(v, b, sizeof(b));
		fputs("<div><span>", f);
		esc(f, k);
		fputs("</span><span>", f);
		esc(f, b);
		fputs("</span></div>\n", f);
	}
	fputs("</div></div>\n", f);
}

static void cases_block(FILE *f, const struct runset *rs)
{
	fputs("<div class=\"card\"><h3>Cases</h3><div class=\"tw\"><table id=\"t-cases\">"
	      "<thead><tr><th class=\"r\">#</th><th>directory</th><th>status</th>"
	      "<th class=\"r\">received<span class=\"u\">pkt/s</span></th>"
	      "<th class=\"r\">loss<span class=\"u\">%</span></th>"
	      "<th class=\"r\">unexplained loss<span class=\"u\">% of sent</span></th>"
	      "<th class=\"r\">closure<span class=\"u\">% per core</span></th>"
	      "<th>datapath modes / note</th></tr></thead><tbody>\n",
	      f);
	for (int i = 0; i < rs->ncases; i++) {
		json_t *r = rs->cases[i], *core, *why;
		const char *st = rs_str(r, "status");
		int disturbed = json_is_true(json_object_get(r, "disturbed"));
		double v;
		char b[64];
		size_t k;

		fprintf(f, "<tr><td class=\"r\">%d</td><td><code>",
			(int)json_integer_value(json_object_get(r, "case")));
		esc(f, rs_str(r, "case_dir"));
		fprintf(f, "</code></td><td class=\"%s\">",
			strcmp(st, "ok") || disturbed ? "st-bad" : "");
		esc(f, st);
		if (disturbed)
			fputs(", disturbed", f);
		fputs("</td><td class=\"r\">", f);
		if (!rs_num(r, "throughput.rx_pps", &v)) {
			rs_fmt_si(b, sizeof(b), v);
			esc(f, b);
		}
		fputs("</td><td class=\"r\">", f);
		/* Rounded first: a tiny negative loss (a late duplicate) is "0.00". */
		if (!rs_num(r, "throughput.loss_pct", &v))
			fprintf(f, "%.2f", round(v * 100) / 100 + 0.0);
		fputs("</td><td class=\"r\">", f);
		if (!rs_num(r, "reconcile.unexplained_pct", &v))
			fprintf(f, "%.3f", round(v * 1000) / 1000 + 0.0);
		fputs("</td><td class=\"r\">", f);
		json_array_foreach(json_object_get(json_object_get(r, "attribution"), "cores"), k,
				   core) {
			if (!rs_num(core, "closure_pct", &v))
				fprintf(f, "%s%.1f", k ? " / " : "", v);
		}
		/* What the datapath really did (copy or zero-copy, ring or
		 * sendto...), then any error: the facts behind an odd figure. */
		fputs("</td><td class=\"wrap\">", f);
		for (int e = 0; e < 2; e++) {
			const char *info = rs_str(r, e ? "endpoints.b.dp_info" : "endpoints.a.dp_info");

			if (!info[0])
				continue;
			fprintf(f, "<div><b>%c</b> ", e ? 'b' : 'a');
			esc(f, info);
			fputs("</div>", f);
		}
		if (rs_str(r, "error")[0]) {
			fputs("<div class=\"st-bad\">", f);
			esc(f, rs_str(r, "error"));
			fputs("</div>", f);
		}
		/* Disturbed: what competed for the case, with its figure. */
		json_array_foreach(json_object_get(json_object_get(r, "disturbance"), "reasons"), k,
				   why) {
			fputs("<div class=\"st-bad\">disturbed: ", f);
			esc(f, rs_str(why, "text"));
			fputs("</div>", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></div></div>\n", f);
}

/* One core's two methods, group by group. */
static void agreement_rows(FILE *f, json_t *r, json_t *a)
{
	json_t *g;
	size_t k;

	json_array_foreach(json_object_get(a, "groups"), k, g) {
		double tp = 0, sm = 0, d = 0;

		rs_num(g, "tracepoint_pct", &tp);
		rs_num(g, "sample_pct", &sm);
		rs_num(g, "diff_pts", &d);
		if (tp < 0.5 && sm < 0.5)
			continue;
		fprintf(f, "<tr><td class=\"r\">%d</td><td class=\"r\">%d</td><td>",
			(int)json_integer_value(json_object_get(r, "case")),
			(int)json_integer_value(json_object_get(a, "cpu")));
		esc(f, rs_str(g, "group"));
		fprintf(f, "</td><td class=\"r\">%.1f</td><td class=\"r\">%.1f</td>"
			   "<td class=\"r%s\">%+.1f</td></tr>\n",
			tp, sm, fabs(d) > 10 ? " st-bad" : "", d);
	}
}

/* Tracepoints against cpu-clock sampling (probes = both), side by side. */
static void agreement_block(FILE *f, const struct runset *rs)
{
	int any = 0;

	for (int i = 0; i < rs->ncases && !any; i++)
		any = json_array_size(json_object_get(
			json_object_get(rs->cases[i], "attribution"), "agreement")) > 0;
	if (!any)
		return;
	fputs("<div class=\"card\"><h3>Two methods, one breakdown: tracepoints vs sampling</h3>"
	      "<p>Share of each core's busy time per group, from the tracepoint segments and "
	      "from cpu-clock samples of the same window; difference in points (over 10 "
	      "marked).</p><div class=\"tw\"><table id=\"t-agreement\"><thead><tr>"
	      "<th class=\"r\">case</th><th class=\"r\">cpu</th><th>group</th>"
	      "<th class=\"r\">tracepoints<span class=\"u\">%</span></th>"
	      "<th class=\"r\">sampling<span class=\"u\">%</span></th>"
	      "<th class=\"r\">difference<span class=\"u\">points</span></th></tr></thead>"
	      "<tbody>\n",
	      f);
	for (int i = 0; i < rs->ncases; i++) {
		json_t *r = rs->cases[i], *a;
		size_t k;

		json_array_foreach(json_object_get(json_object_get(r, "attribution"), "agreement"), k,
				   a)
			agreement_rows(f, r, a);
	}
	fputs("</tbody></table></div></div>\n", f);
}

/* One case's instrument: what the model says the probes cost per core, and
 * for duty-cycled runs what the run measured (traced against untraced). */
static void instrument_rows(FILE *f, json_t *r)
{
	json_t *attr = json_object_get(r, "attribution"), *core;
	double tf = 1, tc, wc;
	int meas = !rs_num(attr, "duty.rates.traced_cost_pct", &tc) &&
		   !rs_num(attr, "duty.rates.window_cost_pct", &wc);
	size_t k;

	rs_num(attr, "duty.traced_fraction", &tf);
	json_array_foreach(json_object_get(attr, "cores"), k, core) {
		double runs = 0, ns = 0, pct = 0;

		rs_num(core, "instrument.runs_per_pkt", &runs);
		rs_num(core, "instrument.ns_per_run", &ns);
		rs_num(core, "instrument.pct_of_core", &pct);
		fprintf(f,
			"<tr><td class=\"r\">%d</td><td class=\"r\">%d</td><td class=\"r\">%.1f</td>"
			"<td class=\"r\">%.0f</td><td class=\"r\">%.1f</td><td class=\"r\">%.2f</td>",
			(int)json_integer_value(json_object_get(r, "case")),
			(int)json_integer_value(json_object_get(core, "cpu")), runs, ns, pct, tf);
		if (meas && !k)
			fprintf(f, "<td class=\"r\">%.1f</td><td class=\"r\">%.1f</td></tr>\n", tc, wc);
		else
			fputs("<td class=\"r\">-</td><td class=\"r\">-</td></tr>\n", f);
	}
}

/* What the instrument cost, for every case it ran in. */
static void instrument_block(FILE *f, const struct runset *rs)
{
	int any = 0;

	for (int i = 0; i < rs->ncases && !any; i++)
		any = json_array_size(json_object_get(
			json_object_get(rs->cases[i], "attribution"), "cores")) > 0;
	if (!any)
		return;
	fputs("<div class=\"card\"><h3>The instrument's own cost</h3>"
	      "<p>Per endpoint core: probe program runs per packet, ns per run and the share of "
	      "the core they took while attached (calibrated on this machine in each run); the "
	      "fraction of the window they were attached; and, for duty-cycled runs, the cost "
	      "measured in the run itself: the send rate while traced against while not, and "
	      "what the whole window's rate lost.</p><div class=\"tw\"><table id=\"t-instrument\">"
	      "<thead><tr><th class=\"r\">case</th><th class=\"r\">cpu</th>"
	      "<th class=\"r\">runs<span class=\"u\">/pkt</span></th>"
	      "<th class=\"r\">per run<span class=\"u\">ns</span></th>"
	      "<th class=\"r\">of the core<span class=\"u\">%</span></th>"
	      "<th class=\"r\">traced<span class=\"u\">of window</span></th>"
	      "<th class=\"r\">measured, traced<span class=\"u\">%</span></th>"
	      "<th class=\"r\">measured, window<span class=\"u\">%</span></th>"
	      "</tr></thead><tbody>\n",
	      f);
	for (int i = 0; i < rs->ncases; i++)
		instrument_rows(f, rs->cases[i]);
	fputs("</tbody></table></div></div>\n", f);
}

static void page_head(FILE *f, const char *name, const char *run_id)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<link rel=\"icon\" href=\"data:,\">\n<title>bypasslab · ",
	      f);
	esc(f, name);
	fputs(" · ", f);
	esc(f, run_id);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
}

/* The config and its --set overrides, after the run id. */
static void run_source(FILE *f, json_t *run)
{
	json_t *ov = json_object_get(run, "overrides"), *o;
	size_t i;

	fputs(" · <code>", f);
	esc(f, rs_str(run, "config"));
	fputs("</code>", f);
	json_array_foreach(ov, i, o) {
		fputs(" <code>--set ", f);
		esc(f, json_string_value(o));
		fputs("</code>", f);
	}
}

/* The banner: name, status, run id, source, counts and the machine. */
static void page_banner(FILE *f, const struct runset *rs, const char *name, const char *run_id)
{
	json_t *machine = rs->run ? json_object_get(rs->run, "machine") : NULL;
	const char *status = rs->run ? rs_str(rs->run, "status") : "";
	int nok = 0;

	if (!machine)
		machine = json_object_get(rs->cases[0], "machine");
	for (int i = 0; i < rs->ncases; i++)
		nok += !strcmp(rs_str(rs->cases[i], "status"), "ok");
	fputs("<header class=\"top\"><div class=\"wrap\">\n<div class=\"eyebrow\">bypasslab "
	      "report</div>\n<h1>",
	      f);
	esc(f, name);
	if (status[0]) {
		fprintf(f, "<span class=\"pill%s\">",
			strcmp(status, "complete") || nok < rs->ncases ? " bad" : "");
		esc(f, status);
		fputs("</span>", f);
	}
	fputs("</h1>\n<p class=\"sub\">run <code>", f);
	esc(f, run_id);
	fputs("</code>", f);
	if (rs->run)
		run_source(f, rs->run);
	fprintf(f, " · %d case%s, %d ok · %d combination%s</p>\n", rs->ncases,
		rs->ncases == 1 ? "" : "s", nok, rs->ncombos, rs->ncombos == 1 ? "" : "s");
	if (machine)
		facts(f, machine);
	fputs("</div></header>\n<main class=\"wrap\">\n", f);
}

/* The plots that are (prominent = 1) or are not the page's lead. */
static int plot_sections(FILE *f, const struct plot *p, int np, const char *plotdir,
			 int prominent)
{
	char svg[PATH_MAX];
	int err;

	for (int i = 0; i < np; i++) {
		if (!p[i].prominent != !prominent)
			continue;
		fputs(prominent ? "<section class=\"hero\"" : "<section", f);
		fprintf(f, " id=\"%s\">\n<h2>", p[i].name);
		esc(f, p[i].title);
		fputs("</h2>\n<p class=\"lede\">", f);
		esc(f, p[i].caption);
		fputs("</p>\n<div class=\"card\"><figure class=\"plot\">\n", f);
		snprintf(svg, sizeof(svg), "%s/%s.svg", plotdir, p[i].name);
		err = inline_svg(f, svg, i, p[i].title);
		if (err)
			return err;
		fputs("</figure></div></section>\n", f);
	}
	return 0;
}
static void table_sections(FILE *f, const struct ttable *t, int nt)
{
	for (int i = 0; i < nt; i++) {
		fprintf(f, "<section id=\"%s\">\n<h2>", t[i].id);
		esc(f, t[i].title);
		fputs("</h2>\n<div class=\"card\">\n", f);
		table_html(f, &t[i]);
		fputs("<p class=\"note\">", f);
		esc(f, t[i].note);
		fputs("</p></div></section>\n", f);
	}
}

/* The outliers summary_outliers() lists, one item each. */
static void outliers_section(FILE *f, const struct runset *rs, int noutliers)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (!noutliers)
		return;
	m = open_memstream(&buf, &len);
	if (!m)
		return;
	summary_outliers(m, rs, 0);
	fclose(m);
	fprintf(f, "<section id=\"outliers\"><h2>Outliers</h2>\n<p class=\"lede\">%d "
		   "value%s beyond 1.5 IQR of their set. They are kept in every "
		   "mean and interval above; look at them before trusting a "
		   "difference.</p><div class=\"card\"><ul class=\"plain\">\n",
		noutliers, noutliers == 1 ? "" : "s");
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		fputs("<li>", f);
		esc(f, line + strspn(line, " "));
		fputs("</li>\n", f);
	}
	fputs("</ul></div></section>\n", f);
	free(buf);
}

static void page_footer(FILE *f, const char *const *files, int nfiles)
{
	fputs("<footer><div class=\"wrap\">Files next to this page:<ul>\n", f);
	for (int i = 0; i < nfiles; i++) {
		fputs("<li><code>", f);
		esc(f, files[i]);
		fputs("</code></li>\n", f);
	}
	fputs("</ul>Redraw a plot after editing its script: <code>cd plots &amp;&amp; gnuplot "
	      "NAME.gp</code>. Regenerate everything: <code>bypasslab report RUN_DIR</code>."
	      "</div></footer>\n</body></html>\n",
	      f);
}

int html_write(const struct runset *rs, const struct ttable *t, int nt, const struct plot *p,
	       int np, const char *plotdir, const char *const *files, int nfiles, int noutliers,
	       const char *path)
{
	const char *name = rs_str(json_object_get(rs->cases[0], "params"), "name");
	const char *run_id = rs->run ? rs_str(rs->run, "run_id") : rs_str(rs->cases[0], "run_id");
	char tmp[PATH_MAX];
	int err;
	FILE *f;

	f = file_open_tmp(path, tmp, sizeof(tmp));
	if (!f)
		return -errno;
	page_head(f, name, run_id);
	page_banner(f, rs, name, run_id);
	/* The picture the tool exists for comes first. */
	err = plot_sections(f, p, np, plotdir, 1);
	if (err)
		goto out;
	table_sections(f, t, nt);
	err = plot_sections(f, p, np, plotdir, 0);
	if (err)
		goto out;
	outliers_section(f, rs, noutliers);
	fputs("<section id=\"run\"><h2>The run</h2>\n<div class=\"grid2\">\n", f);
	params_block(f, rs);
	cases_block(f, rs);
	agreement_block(f, rs);
	instrument_block(f, rs);
	fputs("</div></section>\n</main>\n", f);
	page_footer(f, files, nfiles);
out:
	return file_commit(f, tmp, path, err);
}
