/* Human-readable renderings of the facts and the doctor's verdict. */
#ifndef HALOBOX_RENDER_TEXT_H
#define HALOBOX_RENDER_TEXT_H

#include "doctor.h"
#include "util/strbuf.h"

void render_facts_table(struct strbuf *out, const struct facts *f, const struct verdict *v);
void render_findings(struct strbuf *out, const struct verdict *v);
void render_recommendation(struct strbuf *out, const struct verdict *v);
/* "124.0 GiB" */
void render_bytes(struct strbuf *out, opt_u64 bytes);

#endif
