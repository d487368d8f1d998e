/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM description's JSON parser. QEMU writes plain JSON (objects,
 * arrays, strings, integers): this takes exactly RFC 8259, nothing more
 * (no NUL in strings, no lone surrogates), with nodes counted and depth
 * bounded. Kept apart from the stream walk: it knows nothing of QEMU. */
#include <stdarg.h>
#include <string.h>

#include "vmstate1-migration-private.h"
#include "vmstate1-vmdesc-json-private.h"

#define JSON_DEPTH_MAX   200
/* A real vmdesc has one value per 15 bytes or so (6710 values in the 98 KB
 * of a -M pc VM's): these bound the parser's memory to about 100 MB. */
#define JSON_NODES_MAX   (1024u * 1024)

void
_vmstate1_json_free (gpointer data)
{
  Vmstate1Json *node = data;

  if (node == NULL)
    return;
  g_free (node->str);
  g_free (node->key);
  if (node->children != NULL)
    g_ptr_array_unref (node->children);
  g_free (node);
}

typedef struct
{
  const char *text;
  gsize pos, len;
  guint64 base;  /* offset of the text in the input */
  guint nodes;
} JParser;

static gboolean G_GNUC_PRINTF (3, 4)
j_error (JParser     *jp,
         GError     **error,
         const char  *format,
         ...)
{
  va_list args;
  g_autofree char *prefix = g_strdup_printf ("the VM description (JSON "
                                             "from offset %" G_GUINT64_FORMAT
                                             ") is not valid JSON: ",
                                             jp->base);

  va_start (args, format);
  _vmstate1_mig_failv (error, VMSTATE1_MIG_MALFORMED, jp->base + jp->pos,
                       prefix, format, args);
  va_end (args);
  return FALSE;
}

static void
j_space (JParser *jp)
{
  while (jp->pos < jp->len
         && (jp->text[jp->pos] == ' ' || jp->text[jp->pos] == '\t'
             || jp->text[jp->pos] == '\n' || jp->text[jp->pos] == '\r'))
    jp->pos++;
}

static int
j_hex4 (JParser *jp)
{
  int value = 0;

  if (jp->len - jp->pos < 4)
    return -1;
  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (jp->text[jp->pos + i]);

      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }
  jp->pos += 4;
  return value;
}

static char *
j_string (JParser  *jp,
          gsize    *out_len,
          GError  **error)
{
  g_autoptr(GString) out = g_string_new (NULL);

  jp->pos++;  /* the opening quote */
  for (;;)
    {
      char c;

      if (jp->pos >= jp->len)
        {
          j_error (jp, error, "a string does not end");
          return NULL;
        }
      c = jp->text[jp->pos++];
      if (c == '"')
        break;
      if ((guchar) c < 0x20)
        {
          jp->pos--;
          j_error (jp, error, "a control character in a string");
          return NULL;
        }
      if (c != '\\')
        {
          g_string_append_c (out, c);
          continue;
        }
      if (jp->pos >= jp->len)
        {
          j_error (jp, error, "a string does not end");
          return NULL;
        }
      c = jp->text[jp->pos++];
      switch (c)
        {
        case '"': case '\\': case '/':
          g_string_append_c (out, c);
          break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          {
            int unit = j_hex4 (jp);
            gunichar ch;

            if (unit < 0)
              {
                j_error (jp, error, "a bad \\u escape");
                return NULL;
              }
            ch = (gunichar) unit;
            if (unit >= 0xd800 && unit <= 0xdbff)
              {
                int low;

                if (jp->len - jp->pos < 2 || jp->text[jp->pos] != '\\'
                    || jp->text[jp->pos + 1] != 'u')
                  {
                    j_error (jp, error, "a lone surrogate in a string");
                    return NULL;
                  }
                jp->pos += 2;
                low = j_hex4 (jp);
                if (low < 0xdc00 || low > 0xdfff)
                  {
                    j_error (jp, error, "a lone surrogate in a string");
                    return NULL;
                  }
                ch = 0x10000 + (((gunichar) unit - 0xd800) << 10)
                     + ((gunichar) low - 0xdc00);
              }
            else if (unit >= 0xdc00 && unit <= 0xdfff)
              {
                j_error (jp, error, "a lone surrogate in a string");
                return NULL;
              }
            if (ch == 0)
              {
                j_error (jp, error, "a NUL character in a string");
                return NULL;
              }
            g_string_append_unichar (out, ch);
          }
          break;
        default:
          jp->pos--;
          j_error (jp, error, "an unknown escape in a string");
          return NULL;
        }
    }
  if (!g_utf8_validate_len (out->str, out->len, NULL))
    {
      j_error (jp, error, "a string that is not UTF-8");
      return NULL;
    }
  *out_len = out->len;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
j_number (JParser       *jp,
          Vmstate1Json  *node,
          GError       **error)
{
  gboolean negative = FALSE, overflow = FALSE;
  guint64 magnitude = 0;

  node->type = VMSTATE1_JSON_NUMBER;
  if (jp->text[jp->pos] == '-')
    {
      negative = TRUE;
      jp->pos++;
    }
  if (jp->pos >= jp->len || !g_ascii_isdigit (jp->text[jp->pos]))
    return j_error (jp, error, "a bad number");
  if (jp->text[jp->pos] == '0' && jp->pos + 1 < jp->len
      && g_ascii_isdigit (jp->text[jp->pos + 1]))
    return j_error (jp, error, "a number with a leading zero");
  while (jp->pos < jp->len && g_ascii_isdigit (jp->text[jp->pos]))
    {
      guint digit = (guint) (jp->text[jp->pos++] - '0');

      if (magnitude > (G_MAXUINT64 - digit) / 10)
        overflow = TRUE;
      else
        magnitude = magnitude * 10 + digit;
    }
  node->is_int = !overflow
                 && magnitude <= (negative ? (guint64) G_MAXINT64 + 1
                                           : (guint64) G_MAXINT64);
  if (node->is_int)
    node->integer = negative ? (gint64) (0 - magnitude) : (gint64) magnitude;
  if (jp->pos < jp->len && jp->text[jp->pos] == '.')
    {
      node->is_int = FALSE;
      jp->pos++;
      if (jp->pos >= jp->len || !g_ascii_isdigit (jp->text[jp->pos]))
        return j_error (jp, error, "a bad number");
      while (jp->pos < jp->len && g_ascii_isdigit (jp->text[jp->pos]))
        jp->pos++;
    }
  if (jp->pos < jp->len && (jp->text[jp->pos] == 'e'
                            || jp->text[jp->pos] == 'E'))
    {
      node->is_int = FALSE;
      jp->pos++;
      if (jp->pos < jp->len && (jp->text[jp->pos] == '+'
                                || jp->text[jp->pos] == '-'))
        jp->pos++;
      if (jp->pos >= jp->len || !g_ascii_isdigit (jp->text[jp->pos]))
        return j_error (jp, error, "a bad number");
      while (jp->pos < jp->len && g_ascii_isdigit (jp->text[jp->pos]))
        jp->pos++;
    }
  return TRUE;
}

static Vmstate1Json *
j_value (JParser  *jp,
         guint     depth,
         GError  **error)
{
  g_autoptr(Vmstate1Json) node = NULL;

  j_space (jp);
  if (jp->pos >= jp->len)
    {
      j_error (jp, error, "it ends where a value should be");
      return NULL;
    }
  if (depth > JSON_DEPTH_MAX)
    {
      j_error (jp, error, "nested more than %d deep", JSON_DEPTH_MAX);
      return NULL;
    }
  if (++jp->nodes > JSON_NODES_MAX)
    {
      j_error (jp, error, "more than %u values", JSON_NODES_MAX);
      return NULL;
    }
  node = g_new0 (Vmstate1Json, 1);
  node->at = jp->pos;

  switch (jp->text[jp->pos])
    {
    case '{':
    case '[':
      {
        gboolean object = jp->text[jp->pos] == '{';
        char close = object ? '}' : ']';

        node->type = object ? VMSTATE1_JSON_OBJECT : VMSTATE1_JSON_ARRAY;
        node->children = g_ptr_array_new_with_free_func (_vmstate1_json_free);
        jp->pos++;
        j_space (jp);
        if (jp->pos < jp->len && jp->text[jp->pos] == close)
          {
            jp->pos++;
            break;
          }
        for (;;)
          {
            g_autofree char *key = NULL;
            gsize key_len = 0;
            Vmstate1Json *child;

            if (object)
              {
                j_space (jp);
                if (jp->pos >= jp->len || jp->text[jp->pos] != '"')
                  {
                    j_error (jp, error, "expected a member name");
                    return NULL;
                  }
                key = j_string (jp, &key_len, error);
                if (key == NULL)
                  return NULL;
                j_space (jp);
                if (jp->pos >= jp->len || jp->text[jp->pos] != ':')
                  {
                    j_error (jp, error, "expected ':'");
                    return NULL;
                  }
                jp->pos++;
              }
            child = j_value (jp, depth + 1, error);
            if (child == NULL)
              return NULL;
            child->key = g_steal_pointer (&key);
            child->key_len = key_len;
            g_ptr_array_add (node->children, child);
            j_space (jp);
            if (jp->pos < jp->len && jp->text[jp->pos] == ',')
              {
                jp->pos++;
                continue;
              }
            if (jp->pos < jp->len && jp->text[jp->pos] == close)
              {
                jp->pos++;
                break;
              }
            j_error (jp, error, "expected ',' or '%c'", close);
            return NULL;
          }
      }
      break;

    case '"':
      node->type = VMSTATE1_JSON_STRING;
      node->str = j_string (jp, &node->str_len, error);
      if (node->str == NULL)
        return NULL;
      break;

    case 't':
    case 'f':
    case 'n':
      {
        static const char *const words[] = { "true", "false", "null" };

        for (guint i = 0; i < G_N_ELEMENTS (words); i++)
          {
            gsize n = strlen (words[i]);

            if (jp->len - jp->pos >= n
                && memcmp (jp->text + jp->pos, words[i], n) == 0)
              {
                node->type = i == 2 ? VMSTATE1_JSON_NULL : VMSTATE1_JSON_BOOL;
                node->integer = i == 0;
                jp->pos += n;
                return g_steal_pointer (&node);
              }
          }
        j_error (jp, error, "an unknown word");
        return NULL;
      }

    default:
      if (jp->text[jp->pos] != '-' && !g_ascii_isdigit (jp->text[jp->pos]))
        {
          j_error (jp, error, "unexpected character 0x%02x",
                   (guchar) jp->text[jp->pos]);
          return NULL;
        }
      if (!j_number (jp, node, error))
        return NULL;
      break;
    }
  return g_steal_pointer (&node);
}

Vmstate1Json *
_vmstate1_json_parse (const char  *text,
                      gsize        len,
                      guint64      base,
                      GError     **error)
{
  JParser jp = { .text = text, .len = len, .base = base };
  g_autoptr(Vmstate1Json) root = j_value (&jp, 0, error);

  if (root == NULL)
    return NULL;
  j_space (&jp);
  if (jp.pos != jp.len)
    {
      j_error (&jp, error, "text after the end of the document");
      return NULL;
    }
  return g_steal_pointer (&root);
}

Vmstate1Json *
_vmstate1_json_get (Vmstate1Json *object,
                    const char   *key)
{
  gsize key_len = strlen (key);

  if (object == NULL || object->type != VMSTATE1_JSON_OBJECT)
    return NULL;
  for (guint i = 0; i < object->children->len; i++)
    {
      Vmstate1Json *child = g_ptr_array_index (object->children, i);

      if (child->key_len == key_len && memcmp (child->key, key, key_len) == 0)
        return child;
    }
  return NULL;
}

gboolean
_vmstate1_json_is_string (Vmstate1Json *node,
                          const char   *value)
{
  return node != NULL && node->type == VMSTATE1_JSON_STRING
         && strcmp (node->str, value) == 0;
}
