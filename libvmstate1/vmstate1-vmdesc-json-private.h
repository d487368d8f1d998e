/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM description (vmdesc) QEMU writes at the end of a migration
 * stream is JSON: a small strict parser for it, with its own tiny value
 * type. Bounded: nesting depth and the number of values are limited, so
 * a hostile document costs at most about 100 MB. Errors are
 * VMSTATE1_ERROR_MALFORMED, with the offset in the input. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  VMSTATE1_JSON_NULL,
  VMSTATE1_JSON_BOOL,
  VMSTATE1_JSON_NUMBER,
  VMSTATE1_JSON_STRING,
  VMSTATE1_JSON_ARRAY,
  VMSTATE1_JSON_OBJECT,
} Vmstate1JsonType;

typedef struct _Vmstate1Json Vmstate1Json;
struct _Vmstate1Json
{
  Vmstate1JsonType type;
  gboolean is_int;    /* a NUMBER that fits a gint64 */
  gint64 integer;     /* and its value; a BOOL's, 0 or 1 */
  char *str;          /* a STRING, NUL-terminated, no NUL inside */
  gsize str_len;
  char *key;          /* a member of an OBJECT: its name */
  gsize key_len;
  GPtrArray *children;  /* an ARRAY's or OBJECT's */
  gsize at;           /* offset in the JSON text */
};

void          _vmstate1_json_free      (gpointer       node);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Vmstate1Json, _vmstate1_json_free)

/* The document @text (@len bytes, not NUL-terminated) found at offset
 * @base of the input. */
Vmstate1Json *_vmstate1_json_parse     (const char    *text,
                                        gsize          len,
                                        guint64        base,
                                        GError       **error);

/* The first member @key of @object, or NULL (also when @object is NULL
 * or not an object). */
Vmstate1Json *_vmstate1_json_get       (Vmstate1Json  *object,
                                        const char    *key);

/* Whether @node is the string @value. */
gboolean      _vmstate1_json_is_string (Vmstate1Json  *node,
                                        const char    *value);

G_END_DECLS
