/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The library logs with g_log_structured_array(), which GLib's
 * g_test_expect_message() does not see: these do the same through a
 * GLogWriterFunc, and keep every record's fields for tests that check
 * them. Call test_log_init() once, after g_test_init(). */
void        test_log_init            (void);
void        test_log_expect          (const char     *domain,
                                      GLogLevelFlags  level,
                                      const char     *pattern);
void        test_log_assert_expected (void);

/* The value of @field in the last record whose MESSAGE matches
 * @pattern (a g_pattern_match_simple() glob), or NULL; records are kept
 * since the last test_log_clear(). */
const char *test_log_find_field      (const char     *pattern,
                                      const char     *field);
/* How many records' MESSAGE matches @pattern. */
guint       test_log_count           (const char     *pattern);
void        test_log_clear           (void);

G_END_DECLS
