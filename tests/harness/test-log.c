/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-log.h"

typedef struct
{
  char *domain;
  GLogLevelFlags level;
  char *pattern;
} Expected;

static GMutex lock;
static GQueue expected = G_QUEUE_INIT;
static GPtrArray *records;  /* of GHashTable field -> value */

static void
expected_free (Expected *e)
{
  g_free (e->domain);
  g_free (e->pattern);
  g_free (e);
}

static GHashTable *
record_new (const GLogField *fields,
            gsize            n_fields)
{
  GHashTable *record = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              g_free);

  for (gsize i = 0; i < n_fields; i++)
    {
      gssize len = fields[i].length;

      g_hash_table_insert (record, g_strdup (fields[i].key),
                           len < 0 ? g_strdup (fields[i].value)
                                   : g_strndup (fields[i].value, len));
    }
  return record;
}

static GLogWriterOutput
writer (GLogLevelFlags   level,
        const GLogField *fields,
        gsize            n_fields,
        gpointer         user_data)
{
  GHashTable *record = record_new (fields, n_fields);
  const char *message = g_hash_table_lookup (record, "MESSAGE");
  const char *domain = g_hash_table_lookup (record, "GLIB_DOMAIN");
  Expected *next;
  gboolean swallowed = FALSE;

  g_mutex_lock (&lock);
  g_ptr_array_add (records, record);
  next = g_queue_peek_head (&expected);
  if (next != NULL && message != NULL
      && g_strcmp0 (next->domain, domain) == 0
      && (level & G_LOG_LEVEL_MASK) == next->level
      && g_pattern_match_simple (next->pattern, message))
    {
      expected_free (g_queue_pop_head (&expected));
      swallowed = TRUE;
    }
  g_mutex_unlock (&lock);

  if (swallowed)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, user_data);
}

void
test_log_init (void)
{
  records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_log_set_writer_func (writer, NULL, NULL);
}

void
test_log_expect (const char     *domain,
                 GLogLevelFlags  level,
                 const char     *pattern)
{
  Expected *e = g_new0 (Expected, 1);

  e->domain = g_strdup (domain);
  e->level = level;
  e->pattern = g_strdup (pattern);
  g_mutex_lock (&lock);
  g_queue_push_tail (&expected, e);
  g_mutex_unlock (&lock);
}

void
test_log_assert_expected (void)
{
  Expected *left;

  g_mutex_lock (&lock);
  left = g_queue_peek_head (&expected);
  if (left != NULL)
    {
      g_autofree char *what = g_strdup_printf ("%s level %d '%s'",
                                               left->domain, left->level,
                                               left->pattern);

      g_mutex_unlock (&lock);
      g_error ("Did not see the expected message: %s", what);
    }
  g_mutex_unlock (&lock);
}

const char *
test_log_find_field (const char *pattern,
                     const char *field)
{
  const char *value = NULL;

  g_mutex_lock (&lock);
  for (guint i = records->len; i > 0; i--)
    {
      GHashTable *record = g_ptr_array_index (records, i - 1);
      const char *message = g_hash_table_lookup (record, "MESSAGE");

      if (message != NULL && g_pattern_match_simple (pattern, message))
        {
          value = g_hash_table_lookup (record, field);
          break;
        }
    }
  g_mutex_unlock (&lock);
  return value;
}

guint
test_log_count (const char *pattern)
{
  guint count = 0;

  g_mutex_lock (&lock);
  for (guint i = 0; i < records->len; i++)
    {
      const char *message = g_hash_table_lookup (
          g_ptr_array_index (records, i), "MESSAGE");

      if (message != NULL && g_pattern_match_simple (pattern, message))
        count++;
    }
  g_mutex_unlock (&lock);
  return count;
}

void
test_log_clear (void)
{
  g_mutex_lock (&lock);
  g_ptr_array_set_size (records, 0);
  g_mutex_unlock (&lock);
}
