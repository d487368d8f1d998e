/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the commands of vmstate1-tool share: the bus options, exit codes,
 * escaping of untrusted text, waiting with a bound, reading a blob or a
 * migration stream, writing the output file. Only the installed API of
 * libvmstate1 is used. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <vmstate1.h>

G_BEGIN_DECLS

#define TOOL_PROGRAM "vmstate1-tool"

#define TOOL_EXIT_OK 0
#define TOOL_EXIT_FAILED 1
#define TOOL_EXIT_USAGE 2

/* The largest raw blob read into memory. A legal blob has no fixed
 * bound (its count is a u32 and each state may be 1 MiB), but no VM has
 * hundreds of helpers. */
#define TOOL_BLOB_MAX_SIZE (512u * 1024 * 1024)

/* --address and --timeout, given before or after the command name. */
extern char *tool_opt_address;
extern int tool_opt_timeout;  /* -1: not given */

extern const GOptionEntry tool_bus_entries[];

int tool_usage_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
int tool_failed (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* Text from a peer or a file, fit for a terminal: control characters
 * (C0 newlines included, DEL, C1) and bytes that are not UTF-8 become
 * \xNN. */
char *tool_escape (const char *text);
char *tool_escape_len (const char *text, gssize len);
/* The same for a text the tool composed of lines: its newlines are
 * kept. Whatever came from a peer in it must have been escaped with
 * tool_escape() first, or hold no newline. */
char *tool_escape_lines (const char *text);
/* Valid UTF-8 for JSON, which escapes control characters itself: bytes
 * that are not UTF-8 become U+FFFD. */
char *tool_make_valid (const char *text);

gboolean tool_parse_command (const char          *command,
                             const char          *parameters,
                             const char          *summary,
                             const GOptionEntry  *entries,
                             gboolean             on_bus,
                             int                 *argc,
                             char              ***argv,
                             int                 *status);
gboolean tool_parse_id_list (const char  *option,
                             GStrv       *ids,
                             int         *status);

/* The --timeout value, or VMSTATE1_DEFAULT_TIMEOUT_MSEC. */
int tool_get_timeout (void);

/* Connects to --address or $DBUS_SESSION_BUS_ADDRESS within --timeout;
 * NULL with *status set (message printed) on failure. */
GDBusConnection *tool_connect (int *status);

/* Waiting for one asynchronous call, bounded. */
typedef struct _ToolWait ToolWait;

ToolWait     *tool_wait_new        (void);
/* The GAsyncReadyCallback to pass, with the ToolWait as user_data. */
void          tool_wait_done       (GObject      *source,
                                    GAsyncResult *result,
                                    gpointer      user_data);
GCancellable *tool_wait_get_cancellable (ToolWait *wait);
/* Runs the main context until the call has answered or @limit_msec has
 * passed (then it cancels the call, sets a TIMED_OUT error saying that
 * @what did not answer, and gives the ToolWait up to the call). Frees
 * @wait either way. */
GAsyncResult *tool_wait_run        (ToolWait    *wait,
                                    int          limit_msec,
                                    const char  *what,
                                    GError     **error);

/* The bus did not answer an operation that has its own per-call
 * timeout: the longest the tool waits for it. */
int tool_operation_limit (void);

/* Input for load -i and dump: a file, or standard input for NULL or
 * "-". *shown gets a name for messages. */
GInputStream   *tool_open_input  (const char  *path,
                                  char       **shown,
                                  int         *status);
/* The states of a raw blob or of the dbus-vmstate section of a QEMU
 * migration stream or libvirt save image, told apart by the first
 * bytes. *origin (nullable) gets NULL for a blob or what the stream
 * was; *blob_size (nullable) the size of a raw blob, 0 otherwise. The
 * message printed on failure starts with @shown. */
Vmstate1States *tool_read_states (GInputStream  *input,
                                  const char    *shown,
                                  char         **origin,
                                  gsize         *blob_size,
                                  int           *status);

/* "'a' (9 bytes), 'b' (3 bytes)", Ids escaped. */
char *tool_describe_states (Vmstate1States *states);

/* Writing a command's result. */
gboolean tool_write_all (int            fd,
                         const void    *data,
                         gsize          size,
                         GError       **error);
int      tool_print_out  (const GString *text);
/* JSON of @node with a final newline, as UTF-8, on standard output. */
int      tool_print_json (JsonNode *node);

/* The output of save: standard output for NULL or "-", otherwise what
 * the path names (see the man page: a regular file or a new path is
 * replaced atomically, a FIFO or a character device is written through,
 * anything else refused). Checked before the helpers are called, so that
 * a bad -o fails before any Save; the bytes are written by
 * tool_output_commit(). */
typedef struct _ToolOutput ToolOutput;

ToolOutput *tool_output_new    (const char  *path,
                                int         *status);
const char *tool_output_get_shown (ToolOutput *output);
gboolean    tool_output_commit (ToolOutput  *output,
                                GBytes      *bytes,
                                GError     **error);
void        tool_output_free   (ToolOutput  *output);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ToolOutput, tool_output_free)

/* The commands, one file each. */
int tool_command_list (int argc, char **argv);
int tool_command_save (int argc, char **argv);
int tool_command_load (int argc, char **argv);
int tool_command_dump (int argc, char **argv);
int tool_command_check (int argc, char **argv);
int tool_command_wait (int argc, char **argv);
int tool_command_monitor (int argc, char **argv);

G_END_DECLS
