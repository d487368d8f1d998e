/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "vmstate1-error.h"
#include "vmstate1-id-policy-private.h"
#include "vmstate1-interface-private.h"

gboolean
_vmstate1_id_list_check (const char * const  *id_list,
                         GError             **error)
{
  if (id_list == NULL)
    return TRUE;

  for (gsize i = 0; id_list[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (!_vmstate1_id_check (id_list[i], strlen (id_list[i]),
                               VMSTATE1_ID_RULES_WIRE, &local_error))
        {
          g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID,
                       "Entry %" G_GSIZE_FORMAT " of the id-list is invalid: "
                       "%s", i + 1, local_error->message);
          return FALSE;
        }
      for (gsize j = 0; j < i; j++)
        if (g_str_equal (id_list[i], id_list[j]))
          {
            g_autofree char *id = _vmstate1_escape (id_list[i]);

            g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID,
                         "The id-list names Id '%s' twice (entries %"
                         G_GSIZE_FORMAT " and %" G_GSIZE_FORMAT "): list "
                         "each Id once", id, j + 1, i + 1);
            return FALSE;
          }
    }
  return TRUE;
}

static void
append_quoted (GString    *list,
               const char *id)
{
  g_autofree char *shown = _vmstate1_escape (id);

  if (list->len > 0)
    g_string_append (list, ", ");
  g_string_append_printf (list, "'%s'", shown);
}

static Vmstate1Peer *
find_selected (GPtrArray  *selected,
               const char *id)
{
  for (guint i = 0; i < selected->len; i++)
    {
      Vmstate1Peer *peer = g_ptr_array_index (selected, i);

      if (g_str_equal (peer->id, id))
        return peer;
    }
  return NULL;
}

GPtrArray *
_vmstate1_id_policy_select (GPtrArray           *peers,
                            const char * const  *id_list,
                            GError             **error)
{
  g_autoptr(GPtrArray) selected = g_ptr_array_new ();
  g_autoptr(GString) unreadable = g_string_new (NULL);
  g_autoptr(GString) missing = g_string_new (NULL);
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  guint n_missing = 0;

  for (guint i = 0; i < peers->len; i++)
    {
      Vmstate1Peer *peer = g_ptr_array_index (peers, i);
      g_autoptr(GError) local_error = NULL;
      g_autofree char *id = NULL;
      Vmstate1Peer *other;

      if (peer->id == NULL)
        {
          if (id_list == NULL)
            {
              g_set_error (error, VMSTATE1_ERROR,
                           g_error_matches (peer->error, VMSTATE1_ERROR,
                                            VMSTATE1_ERROR_TIMED_OUT)
                               ? VMSTATE1_ERROR_TIMED_OUT
                               : VMSTATE1_ERROR_FAILED,
                           "%s: without an id-list every helper on the bus "
                           "takes part (QEMU would skip it and silently not "
                           "migrate its state); stop that helper or list "
                           "the Ids to use", peer->error->message);
              return NULL;
            }
          if (unreadable->len > 0)
            g_string_append (unreadable, ", ");
          g_string_append (unreadable, peer->unique_name);
          continue;
        }

      if (id_list != NULL && !g_strv_contains (id_list, peer->id))
        continue;

      id = _vmstate1_escape (peer->id);
      if (!_vmstate1_id_check (peer->id, strlen (peer->id),
                               VMSTATE1_ID_RULES_WIRE, &local_error))
        {
          g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID,
                       "Helper %s has an invalid Id: %s", peer->unique_name,
                       local_error->message);
          return NULL;
        }

      other = g_hash_table_lookup (by_id, peer->id);
      if (other != NULL)
        {
          g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID,
                       "Id '%s' is used by two helpers, %s and %s: QEMU would "
                       "fail the migration ('Duplicated VMState Id'); stop "
                       "one of them or give each helper of a VM its own Id",
                       id, other->unique_name, peer->unique_name);
          return NULL;
        }
      g_hash_table_insert (by_id, peer->id, peer);
      g_ptr_array_add (selected, peer);
    }

  if (id_list == NULL)
    return g_steal_pointer (&selected);

  for (guint i = 0; id_list[i] != NULL; i++)
    if (!g_hash_table_contains (by_id, id_list[i]))
      {
        append_quoted (missing, id_list[i]);
        n_missing++;
      }
  if (n_missing > 0)
    {
      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID,
                   "The id-list names %s %s, but no helper on the bus has "
                   "%s (QEMU: 'Required VMState Id are missing'); start the "
                   "missing %s or leave %s out of the id-list%s%s%s",
                   n_missing > 1 ? "Ids" : "Id", missing->str,
                   n_missing > 1 ? "them" : "it",
                   n_missing > 1 ? "helpers" : "helper",
                   n_missing > 1 ? "them" : "it",
                   unreadable->len > 0 ? " (helpers whose Id could not be "
                                         "read: " : "",
                   unreadable->str,
                   unreadable->len > 0 ? ")" : "");
      return NULL;
    }
  return g_steal_pointer (&selected);
}

gboolean
_vmstate1_id_policy_check_states (GPtrArray           *selected,
                                  Vmstate1States      *states,
                                  const char * const  *id_list,
                                  GError             **error)
{
  g_auto(GStrv) ids = vmstate1_states_dup_ids (states);
  g_autoptr(GString) absent = g_string_new (NULL);
  g_autoptr(GString) unlisted = g_string_new (NULL);

  for (guint i = 0; ids[i] != NULL; i++)
    {
      if (find_selected (selected, ids[i]) != NULL)
        continue;
      if (id_list != NULL && !g_strv_contains (id_list, ids[i]))
        append_quoted (unlisted, ids[i]);
      else
        append_quoted (absent, ids[i]);
    }

  if (absent->len == 0 && unlisted->len == 0)
    return TRUE;

  g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID,
               "The states hold the state of %s%s%s%s%s%s%s: QEMU would fail "
               "with 'Failed to find proxy Id'; no helper was loaded",
               absent->len > 0 ? "Id " : "", absent->str,
               absent->len > 0 ? ", but no helper on the bus has it" : "",
               absent->len > 0 && unlisted->len > 0 ? "; and of " : "",
               unlisted->len > 0 ? "Id " : "", unlisted->str,
               unlisted->len > 0 ? ", which the id-list leaves out" : "");
  return FALSE;
}
