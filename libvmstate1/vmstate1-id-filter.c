/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-id-filter-private.h"
#include "vmstate1-interface-private.h"

/* The reply body for a Get or GetAll of the Id, or NULL when @message is
 * anything else (GDBus's object machinery then answers it as usual). */
static GVariant *
id_reply_body (GDBusMessage *message,
               const char   *id)
{
  const char *member = g_dbus_message_get_member (message);
  GVariant *body = g_dbus_message_get_body (message);
  const char *interface_name;
  const char *property;

  if (g_dbus_message_get_message_type (message)
          != G_DBUS_MESSAGE_TYPE_METHOD_CALL
      || g_strcmp0 (g_dbus_message_get_path (message),
                    VMSTATE1_OBJECT_PATH) != 0
      || g_strcmp0 (g_dbus_message_get_interface (message),
                    "org.freedesktop.DBus.Properties") != 0
      || member == NULL || body == NULL)
    return NULL;

  if (g_str_equal (member, "Get")
      && g_variant_is_of_type (body, G_VARIANT_TYPE ("(ss)")))
    {
      g_variant_get (body, "(&s&s)", &interface_name, &property);
      if (g_str_equal (interface_name, VMSTATE1_INTERFACE)
          && g_str_equal (property, "Id"))
        return g_variant_new ("(v)", g_variant_new_string (id));
    }
  else if (g_str_equal (member, "GetAll")
           && g_variant_is_of_type (body, G_VARIANT_TYPE ("(s)")))
    {
      g_variant_get (body, "(&s)", &interface_name);
      if (g_str_equal (interface_name, VMSTATE1_INTERFACE))
        {
          g_auto(GVariantBuilder) all = G_VARIANT_BUILDER_INIT (
              G_VARIANT_TYPE ("a{sv}"));

          g_variant_builder_add (&all, "{sv}", "Id",
                                 g_variant_new_string (id));
          return g_variant_new ("(a{sv})", &all);
        }
    }
  return NULL;
}

/* Runs in GDBus's worker thread, for every message. */
static GDBusMessage *
id_filter (GDBusConnection *connection,
           GDBusMessage    *message,
           gboolean         incoming,
           gpointer         user_data)
{
  const char *id = user_data;
  g_autoptr(GDBusMessage) reply = NULL;
  GVariant *body;

  if (!incoming)
    return message;
  body = id_reply_body (message, id);
  if (body == NULL)
    return message;

  if (!(g_dbus_message_get_flags (message)
        & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED))
    {
      reply = g_dbus_message_new_method_reply (message);
      g_dbus_message_set_body (reply, body);
      g_dbus_connection_send_message (connection, reply,
                                      G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL,
                                      NULL);
    }
  else
    g_variant_unref (g_variant_ref_sink (body));
  g_object_unref (message);
  return NULL;
}

guint
_vmstate1_id_filter_add (GDBusConnection *connection,
                         const char      *id)
{
  /* The filter may still run after it is removed, so its Id must
   * outlive the export; GDBus would free a copy only from an idle in this
   * thread's context, which a process that unexports and exits never
   * runs. An interned string lives as long as the process, one per Id. */
  return g_dbus_connection_add_filter (connection, id_filter,
                                       (gpointer) g_intern_string (id), NULL);
}
