/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_WHY_RENDER_H
#define AUTHFOLD_WHY_RENDER_H

/* why_render - the story as text or JSON; see why_render.c */

#include "output.h"
#include "why_story.h"

int why_render_text(const struct why_story *y, struct output *out);
int why_render_json(const struct why_story *y, struct output *out);
/* Text safe for a terminal in buf (NUL-terminated); its length. */
size_t why_visible(const char *p, size_t n, char *buf, size_t len);

#endif
