/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-call-error-private.h"
#include "vmstate1-interface-private.h"

gboolean
_vmstate1_error_is_timeout (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
         || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT)
         || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT)
         || g_error_matches (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TIMED_OUT);
}

/* "Id 'x': helper :1.5", "helper :1.5" or "the bus", to start a message. */
static char *
describe_peer (const Vmstate1CallContext *context)
{
  g_autofree char *id = context->id ? _vmstate1_escape (context->id) : NULL;

  if (id != NULL && context->peer != NULL)
    return g_strdup_printf ("Id '%s': helper %s", id, context->peer);
  if (id != NULL)
    return g_strdup_printf ("Id '%s': the bus", id);
  if (context->peer != NULL)
    return g_strdup_printf ("Helper %s", context->peer);
  return g_strdup ("The bus");
}

GError *
_vmstate1_call_error (const Vmstate1CallContext *context,
                      const GError              *error)
{
  g_autofree char *who = describe_peer (context);
  g_autofree char *remote = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) local = g_error_copy (error);

  /* A reply that came before this process first used the domain was not
   * mapped to it: map it now, so a helper's code survives the bus. */
  (void) vmstate1_error_quark ();
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_DBUS_ERROR))
    {
      g_autofree char *name = g_dbus_error_get_remote_error (error);

      if (name != NULL && g_str_has_prefix (name, "org.libvmstate1.Error."))
        {
          g_autoptr(GError) stripped = g_error_copy (error);

          g_dbus_error_strip_remote_error (stripped);
          g_clear_error (&local);
          local = g_dbus_error_new_for_dbus_error (name, stripped->message);
          error = local;
        }
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_steal_pointer (&local);

  if (_vmstate1_error_is_timeout (error))
    return g_error_new (VMSTATE1_ERROR, VMSTATE1_ERROR_TIMED_OUT,
                        "%s did not answer %s within %d ms (is it stopped or "
                        "blocked? a longer timeout can be given)", who,
                        context->what, context->timeout_msec);

  /* The bus went away, not the helper: say so, and keep GIO's code. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    {
      g_autofree char *id = context->id ? _vmstate1_escape (context->id)
                                        : NULL;

      return g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED,
                          "%s%s%sThe connection to the bus closed during %s: "
                          "the bus went away, not the helper",
                          id ? "Id '" : "", id ? id : "", id ? "': " : "",
                          context->what);
    }

  remote = g_dbus_error_get_remote_error (error);
  g_dbus_error_strip_remote_error (local);
  text = _vmstate1_escape (local->message);

  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY))
    return g_error_new (VMSTATE1_ERROR, context->fallback,
                        "%s left the bus during %s without answering (did "
                        "it crash?)", who, context->what);

  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
    return g_error_new (VMSTATE1_ERROR, context->fallback,
                        "%s left the bus before %s", who, context->what);

  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE))
    return g_error_new (VMSTATE1_ERROR, context->fallback,
                        "%s has no %s object at %s (it is no longer "
                        "exported?): %s", who, VMSTATE1_INTERFACE,
                        VMSTATE1_OBJECT_PATH, text);

  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED))
    return g_error_new (VMSTATE1_ERROR, VMSTATE1_ERROR_ACCESS_DENIED,
                        "%s: the bus or the helper refused %s: %s", who,
                        context->what, text);

  /* The helper's own error. A libvmstate1 helper already starts its
   * message with its Id; keep its code when it is one of ours. */
  if (local->domain == VMSTATE1_ERROR)
    {
      g_autofree char *prefix = NULL;

      if (context->id != NULL)
        {
          g_autofree char *id = _vmstate1_escape (context->id);

          prefix = g_strdup_printf ("Id '%s': ", id);
        }
      if (prefix != NULL && g_str_has_prefix (text, prefix))
        return g_error_new_literal (VMSTATE1_ERROR, local->code, text);
      return g_error_new (VMSTATE1_ERROR, local->code, "%s: %s failed: %s",
                          who, context->what, text);
    }

  /* A local failure (no remote name) keeps its own domain and code. */
  if (remote == NULL && local->domain != G_DBUS_ERROR)
    return g_error_new (local->domain, local->code, "%s: %s failed: %s", who,
                        context->what, text);

  return g_error_new (VMSTATE1_ERROR, context->fallback, "%s: %s failed: %s",
                      who, context->what, text);
}
