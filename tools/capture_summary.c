// SPDX-License-Identifier: GPL-2.0-or-later
/* zcap-capture's summary (capture_summary.h). */
#include <string.h>

#include "capture_explain.h"
#include "capture_summary.h"
#include "consumers.h"
#include "fourcc.h"

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static void print_format(FILE *out, const struct zcap_format *fmt)
{
	char name[ZCAP_TOOL_FOURCC_LEN];
	uint32_t p;

	fprintf(out, "format:   %s %ux%u, %u plane%s in %u buffer%s:",
		zcap_tool_fourcc_name(fmt->fourcc, name), fmt->width, fmt->height,
		fmt->n_planes, fmt->n_planes == 1 ? "" : "s",
		fmt->n_mem, fmt->n_mem == 1 ? "" : "s");
	/* A bitstream's frames have no lines: say how large one may be. */
	for (p = 0; p < fmt->n_planes; p++)
		if (fmt->flags & ZCAP_FORMAT_COMPRESSED)
			fprintf(out, " compressed, up to %llu bytes",
				(unsigned long long)fmt->planes[p].size);
		else
			fprintf(out, " stride %u", fmt->planes[p].stride);
	fprintf(out, "\n");
}

/* "copied:" and, when anything was, why (every cause a line). */
static void print_copied(FILE *out, const struct zcap_capture_result *r)
{
	uint64_t total = r->src.bytes_copied + r->snk.bytes_copied;
	struct zcap_copy_facts c = {
		.source = r->src.bytes_copied, .writer = r->snk.bytes_copied,
		.dmabuf = r->alloc && zcap_allocator_is_dmabuf(r->alloc),
		.asked = r->o->provider, .output = r->o->output,
	};
	char why[1024];

	fprintf(out, "copied:   %llu bytes by the CPU%s\n", (unsigned long long)total,
		total ? ":" : " (zero copy)");
	if (total && zcap_capture_copy_why(&c, why, sizeof(why)) > 0)
		fputs(why, out);
}

static void print_latency(FILE *out, const struct zcap_capture_result *r)
{
	const struct zcap_filter_stats *k = &r->snk;
	uint64_t late = r->cs->stamped_after_write;

	if (k->latency_samples)
		fprintf(out, "latency:  avg %.2f ms, max %.2f ms over %llu frame%s (capture to write)\n",
			ms(k->latency_ns_sum / k->latency_samples), ms(k->latency_ns_max),
			(unsigned long long)k->latency_samples,
			k->latency_samples == 1 ? "" : "s");
	if (late)
		fprintf(out, "          %llu frame%s stamped after %s written: the driver's timestamps are not capture times\n",
			(unsigned long long)late, late == 1 ? "" : "s",
			late == 1 ? "it was" : "they were");
}

void zcap_capture_summary(FILE *out, const struct zcap_capture_result *r)
{
	const struct zcap_capture_opts *o = r->o;

	print_format(out, &r->fmt);
	fprintf(out, "frames:   %llu captured, %llu written, %llu dropped, %llu errors in %.1f s (%.1f fps)\n",
		(unsigned long long)r->src.frames, (unsigned long long)r->snk.frames,
		(unsigned long long)(r->src.dropped + r->snk.dropped),
		(unsigned long long)r->src.errors,
		r->secs, r->secs > 0 ? (double)r->src.frames / r->secs : 0.0);
	if (!o->encode)
		fprintf(out, "written:  %llu bytes%s%s%s\n", (unsigned long long)r->snk.bytes,
			o->output ? " to " : "", o->output ? o->output : " (no --output)",
			r->output_closed ? " until its reader closed it" : "");
	print_copied(out, r);
	fprintf(out, "provider: %s\n", r->alloc ? zcap_allocator_describe(r->alloc) :
		(r->src.provider[0] ? r->src.provider : "none"));
	/* A provider that would have served but for permissions is said. */
	if (o->provider != ZCAP_PROVIDER_MEMORY)
		zcap_capture_refused(out);
	print_latency(out, r);
	if (r->src.note[0])
		fprintf(out, "note:     %s\n", r->src.note);
	if (o->png && r->cs->png.taken && !r->cs->png.err)
		fprintf(out, "png:      %s (%ux%u)\n", o->png, r->fmt.width, r->fmt.height);
	if (r->consumers) {
		fprintf(out, "filters:\n");
		consumers_print_summary(r->g, out);
	}
}
