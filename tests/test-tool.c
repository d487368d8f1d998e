/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmstate1-tool driven as a user would, against helper processes on a
 * real private dbus-daemon, and against hostile peers written here with
 * bare GDBus. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <vmstate1.h>

#include "harness/test-bus.h"
#include "harness/test-raw-helper.h"
#include "harness/test-tool-run.h"

/* A whole migration stream that QEMU 7.2 wrote ("migrate exec:cat >
 * FILE", -M none, -object dbus-vmstate, two counter helpers with Ids 'x'
 * and 'yy' loaded with 73): header, configuration, RAM, timer,
 * dbus-vmstate (its 64-byte blob at offset 164, padding included) and
 * globalstate sections, QEMU_VM_EOF, then the JSON VM description. */
static const guint8 qemu_stream[] = {
  0x51, 0x45, 0x56, 0x4d, 0x00, 0x00, 0x00, 0x03, 0x07, 0x00, 0x00, 0x00,
  0x04, 0x6e, 0x6f, 0x6e, 0x65, 0x01, 0x00, 0x00, 0x00, 0x03, 0x03, 0x72,
  0x61, 0x6d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x10, 0x7e, 0x00, 0x00, 0x00, 0x03, 0x03, 0x00, 0x00, 0x00, 0x03,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x7e, 0x00, 0x00, 0x00,
  0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x05, 0x74, 0x69, 0x6d, 0x65, 0x72,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x75, 0x3f, 0x27, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x32, 0xf8, 0x1b, 0x7e, 0x00, 0x00, 0x00,
  0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x19, 0x64, 0x62, 0x75, 0x73, 0x2d,
  0x76, 0x6d, 0x73, 0x74, 0x61, 0x74, 0x65, 0x2f, 0x64, 0x62, 0x75, 0x73,
  0x2d, 0x76, 0x6d, 0x73, 0x74, 0x61, 0x74, 0x65, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x02,
  0x00, 0x00, 0x00, 0x02, 0x79, 0x79, 0x00, 0x00, 0x00, 0x09, 0x01, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x49, 0x00, 0x00, 0x00, 0x01, 0x78,
  0x00, 0x00, 0x00, 0x09, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x49, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x7e, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x05, 0x0b, 0x67,
  0x6c, 0x6f, 0x62, 0x61, 0x6c, 0x73, 0x74, 0x61, 0x74, 0x65, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x72, 0x75,
  0x6e, 0x6e, 0x69, 0x6e, 0x67, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x7e, 0x00, 0x00, 0x00, 0x05, 0x00, 0x06, 0x00, 0x00, 0x02,
  0xba, 0x7b, 0x22, 0x70, 0x61, 0x67, 0x65, 0x5f, 0x73, 0x69, 0x7a, 0x65,
  0x22, 0x3a, 0x20, 0x34, 0x30, 0x39, 0x36, 0x2c, 0x20, 0x22, 0x64, 0x65,
  0x76, 0x69, 0x63, 0x65, 0x73, 0x22, 0x3a, 0x20, 0x5b, 0x7b, 0x22, 0x6e,
  0x61, 0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x74, 0x69, 0x6d, 0x65, 0x72,
  0x22, 0x2c, 0x20, 0x22, 0x69, 0x6e, 0x73, 0x74, 0x61, 0x6e, 0x63, 0x65,
  0x5f, 0x69, 0x64, 0x22, 0x3a, 0x20, 0x30, 0x2c, 0x20, 0x22, 0x76, 0x6d,
  0x73, 0x64, 0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x74,
  0x69, 0x6d, 0x65, 0x72, 0x22, 0x2c, 0x20, 0x22, 0x76, 0x65, 0x72, 0x73,
  0x69, 0x6f, 0x6e, 0x22, 0x3a, 0x20, 0x32, 0x2c, 0x20, 0x22, 0x66, 0x69,
  0x65, 0x6c, 0x64, 0x73, 0x22, 0x3a, 0x20, 0x5b, 0x7b, 0x22, 0x6e, 0x61,
  0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x63, 0x70, 0x75, 0x5f, 0x74, 0x69,
  0x63, 0x6b, 0x73, 0x5f, 0x6f, 0x66, 0x66, 0x73, 0x65, 0x74, 0x22, 0x2c,
  0x20, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x69, 0x6e,
  0x74, 0x36, 0x34, 0x22, 0x2c, 0x20, 0x22, 0x73, 0x69, 0x7a, 0x65, 0x22,
  0x3a, 0x20, 0x38, 0x7d, 0x2c, 0x20, 0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65,
  0x22, 0x3a, 0x20, 0x22, 0x75, 0x6e, 0x75, 0x73, 0x65, 0x64, 0x22, 0x2c,
  0x20, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x75, 0x6e,
  0x75, 0x73, 0x65, 0x64, 0x5f, 0x62, 0x75, 0x66, 0x66, 0x65, 0x72, 0x22,
  0x2c, 0x20, 0x22, 0x73, 0x69, 0x7a, 0x65, 0x22, 0x3a, 0x20, 0x38, 0x7d,
  0x2c, 0x20, 0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22,
  0x63, 0x70, 0x75, 0x5f, 0x63, 0x6c, 0x6f, 0x63, 0x6b, 0x5f, 0x6f, 0x66,
  0x66, 0x73, 0x65, 0x74, 0x22, 0x2c, 0x20, 0x22, 0x74, 0x79, 0x70, 0x65,
  0x22, 0x3a, 0x20, 0x22, 0x69, 0x6e, 0x74, 0x36, 0x34, 0x22, 0x2c, 0x20,
  0x22, 0x73, 0x69, 0x7a, 0x65, 0x22, 0x3a, 0x20, 0x38, 0x7d, 0x5d, 0x7d,
  0x2c, 0x20, 0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22,
  0x64, 0x62, 0x75, 0x73, 0x2d, 0x76, 0x6d, 0x73, 0x74, 0x61, 0x74, 0x65,
  0x2f, 0x64, 0x62, 0x75, 0x73, 0x2d, 0x76, 0x6d, 0x73, 0x74, 0x61, 0x74,
  0x65, 0x22, 0x2c, 0x20, 0x22, 0x69, 0x6e, 0x73, 0x74, 0x61, 0x6e, 0x63,
  0x65, 0x5f, 0x69, 0x64, 0x22, 0x3a, 0x20, 0x30, 0x2c, 0x20, 0x22, 0x76,
  0x6d, 0x73, 0x64, 0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22,
  0x64, 0x62, 0x75, 0x73, 0x2d, 0x76, 0x6d, 0x73, 0x74, 0x61, 0x74, 0x65,
  0x22, 0x2c, 0x20, 0x22, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x22,
  0x3a, 0x20, 0x30, 0x2c, 0x20, 0x22, 0x66, 0x69, 0x65, 0x6c, 0x64, 0x73,
  0x22, 0x3a, 0x20, 0x5b, 0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a,
  0x20, 0x22, 0x64, 0x61, 0x74, 0x61, 0x5f, 0x73, 0x69, 0x7a, 0x65, 0x22,
  0x2c, 0x20, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x75,
  0x69, 0x6e, 0x74, 0x33, 0x32, 0x22, 0x2c, 0x20, 0x22, 0x73, 0x69, 0x7a,
  0x65, 0x22, 0x3a, 0x20, 0x34, 0x7d, 0x2c, 0x20, 0x7b, 0x22, 0x6e, 0x61,
  0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x64, 0x61, 0x74, 0x61, 0x22, 0x2c,
  0x20, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x62, 0x75,
  0x66, 0x66, 0x65, 0x72, 0x22, 0x2c, 0x20, 0x22, 0x73, 0x69, 0x7a, 0x65,
  0x22, 0x3a, 0x20, 0x36, 0x34, 0x7d, 0x5d, 0x7d, 0x2c, 0x20, 0x7b, 0x22,
  0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x67, 0x6c, 0x6f, 0x62,
  0x61, 0x6c, 0x73, 0x74, 0x61, 0x74, 0x65, 0x22, 0x2c, 0x20, 0x22, 0x69,
  0x6e, 0x73, 0x74, 0x61, 0x6e, 0x63, 0x65, 0x5f, 0x69, 0x64, 0x22, 0x3a,
  0x20, 0x30, 0x2c, 0x20, 0x22, 0x76, 0x6d, 0x73, 0x64, 0x5f, 0x6e, 0x61,
  0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x67, 0x6c, 0x6f, 0x62, 0x61, 0x6c,
  0x73, 0x74, 0x61, 0x74, 0x65, 0x22, 0x2c, 0x20, 0x22, 0x76, 0x65, 0x72,
  0x73, 0x69, 0x6f, 0x6e, 0x22, 0x3a, 0x20, 0x31, 0x2c, 0x20, 0x22, 0x66,
  0x69, 0x65, 0x6c, 0x64, 0x73, 0x22, 0x3a, 0x20, 0x5b, 0x7b, 0x22, 0x6e,
  0x61, 0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x73, 0x69, 0x7a, 0x65, 0x22,
  0x2c, 0x20, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x75,
  0x69, 0x6e, 0x74, 0x33, 0x32, 0x22, 0x2c, 0x20, 0x22, 0x73, 0x69, 0x7a,
  0x65, 0x22, 0x3a, 0x20, 0x34, 0x7d, 0x2c, 0x20, 0x7b, 0x22, 0x6e, 0x61,
  0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x72, 0x75, 0x6e, 0x73, 0x74, 0x61,
  0x74, 0x65, 0x22, 0x2c, 0x20, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a,
  0x20, 0x22, 0x62, 0x75, 0x66, 0x66, 0x65, 0x72, 0x22, 0x2c, 0x20, 0x22,
  0x73, 0x69, 0x7a, 0x65, 0x22, 0x3a, 0x20, 0x31, 0x30, 0x30, 0x7d, 0x5d,
  0x7d, 0x5d, 0x7d
};

/* The same VM without -object dbus-vmstate. */
static const guint8 qemu_stream_no_section[] = {
  0x51, 0x45, 0x56, 0x4d, 0x00, 0x00, 0x00, 0x03, 0x07, 0x00, 0x00, 0x00,
  0x04, 0x6e, 0x6f, 0x6e, 0x65, 0x01, 0x00, 0x00, 0x00, 0x02, 0x03, 0x72,
  0x61, 0x6d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x10, 0x7e, 0x00, 0x00, 0x00, 0x02, 0x03, 0x00, 0x00, 0x00, 0x02,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x7e, 0x00, 0x00, 0x00,
  0x02, 0x04, 0x00, 0x00, 0x00, 0x00, 0x05, 0x74, 0x69, 0x6d, 0x65, 0x72,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
  0x00, 0xb8, 0xf1, 0x7c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x67, 0xa0, 0x7e, 0x00, 0x00, 0x00,
  0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x0b, 0x67, 0x6c, 0x6f, 0x62, 0x61,
  0x6c, 0x73, 0x74, 0x61, 0x74, 0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x72, 0x75, 0x6e, 0x6e, 0x69, 0x6e,
  0x67, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7e, 0x00,
  0x00, 0x00, 0x04, 0x00, 0x06, 0x00, 0x00, 0x01, 0xe6, 0x7b, 0x22, 0x70,
  0x61, 0x67, 0x65, 0x5f, 0x73, 0x69, 0x7a, 0x65, 0x22, 0x3a, 0x20, 0x34,
  0x30, 0x39, 0x36, 0x2c, 0x20, 0x22, 0x64, 0x65, 0x76, 0x69, 0x63, 0x65,
  0x73, 0x22, 0x3a, 0x20, 0x5b, 0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22,
  0x3a, 0x20, 0x22, 0x74, 0x69, 0x6d, 0x65, 0x72, 0x22, 0x2c, 0x20, 0x22,
  0x69, 0x6e, 0x73, 0x74, 0x61, 0x6e, 0x63, 0x65, 0x5f, 0x69, 0x64, 0x22,
  0x3a, 0x20, 0x30, 0x2c, 0x20, 0x22, 0x76, 0x6d, 0x73, 0x64, 0x5f, 0x6e,
  0x61, 0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x74, 0x69, 0x6d, 0x65, 0x72,
  0x22, 0x2c, 0x20, 0x22, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x22,
  0x3a, 0x20, 0x32, 0x2c, 0x20, 0x22, 0x66, 0x69, 0x65, 0x6c, 0x64, 0x73,
  0x22, 0x3a, 0x20, 0x5b, 0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a,
  0x20, 0x22, 0x63, 0x70, 0x75, 0x5f, 0x74, 0x69, 0x63, 0x6b, 0x73, 0x5f,
  0x6f, 0x66, 0x66, 0x73, 0x65, 0x74, 0x22, 0x2c, 0x20, 0x22, 0x74, 0x79,
  0x70, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x69, 0x6e, 0x74, 0x36, 0x34, 0x22,
  0x2c, 0x20, 0x22, 0x73, 0x69, 0x7a, 0x65, 0x22, 0x3a, 0x20, 0x38, 0x7d,
  0x2c, 0x20, 0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22,
  0x75, 0x6e, 0x75, 0x73, 0x65, 0x64, 0x22, 0x2c, 0x20, 0x22, 0x74, 0x79,
  0x70, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x75, 0x6e, 0x75, 0x73, 0x65, 0x64,
  0x5f, 0x62, 0x75, 0x66, 0x66, 0x65, 0x72, 0x22, 0x2c, 0x20, 0x22, 0x73,
  0x69, 0x7a, 0x65, 0x22, 0x3a, 0x20, 0x38, 0x7d, 0x2c, 0x20, 0x7b, 0x22,
  0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x63, 0x70, 0x75, 0x5f,
  0x63, 0x6c, 0x6f, 0x63, 0x6b, 0x5f, 0x6f, 0x66, 0x66, 0x73, 0x65, 0x74,
  0x22, 0x2c, 0x20, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x20, 0x22,
  0x69, 0x6e, 0x74, 0x36, 0x34, 0x22, 0x2c, 0x20, 0x22, 0x73, 0x69, 0x7a,
  0x65, 0x22, 0x3a, 0x20, 0x38, 0x7d, 0x5d, 0x7d, 0x2c, 0x20, 0x7b, 0x22,
  0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x67, 0x6c, 0x6f, 0x62,
  0x61, 0x6c, 0x73, 0x74, 0x61, 0x74, 0x65, 0x22, 0x2c, 0x20, 0x22, 0x69,
  0x6e, 0x73, 0x74, 0x61, 0x6e, 0x63, 0x65, 0x5f, 0x69, 0x64, 0x22, 0x3a,
  0x20, 0x30, 0x2c, 0x20, 0x22, 0x76, 0x6d, 0x73, 0x64, 0x5f, 0x6e, 0x61,
  0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x67, 0x6c, 0x6f, 0x62, 0x61, 0x6c,
  0x73, 0x74, 0x61, 0x74, 0x65, 0x22, 0x2c, 0x20, 0x22, 0x76, 0x65, 0x72,
  0x73, 0x69, 0x6f, 0x6e, 0x22, 0x3a, 0x20, 0x31, 0x2c, 0x20, 0x22, 0x66,
  0x69, 0x65, 0x6c, 0x64, 0x73, 0x22, 0x3a, 0x20, 0x5b, 0x7b, 0x22, 0x6e,
  0x61, 0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x73, 0x69, 0x7a, 0x65, 0x22,
  0x2c, 0x20, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x75,
  0x69, 0x6e, 0x74, 0x33, 0x32, 0x22, 0x2c, 0x20, 0x22, 0x73, 0x69, 0x7a,
  0x65, 0x22, 0x3a, 0x20, 0x34, 0x7d, 0x2c, 0x20, 0x7b, 0x22, 0x6e, 0x61,
  0x6d, 0x65, 0x22, 0x3a, 0x20, 0x22, 0x72, 0x75, 0x6e, 0x73, 0x74, 0x61,
  0x74, 0x65, 0x22, 0x2c, 0x20, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a,
  0x20, 0x22, 0x62, 0x75, 0x66, 0x66, 0x65, 0x72, 0x22, 0x2c, 0x20, 0x22,
  0x73, 0x69, 0x7a, 0x65, 0x22, 0x3a, 0x20, 0x31, 0x30, 0x30, 0x7d, 0x5d,
  0x7d, 0x5d, 0x7d
};

/* Where the blob's count sits in qemu_stream: 2 entries. */
#define QEMU_STREAM_COUNT_OFFSET 164

typedef TestToolFixture Fixture;

/* No byte that a terminal would act on. */
static void
assert_no_escape (const char *what,
                  GBytes     *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  /* An empty output has no data pointer, and no control character. */
  if (size == 0)
    return;
  if (memchr (data, 0x1b, size) != NULL || memchr (data, 0x07, size) != NULL
      || memchr (data, '\r', size) != NULL)
    g_error ("%s has a raw control character: %.*s", what, (int) size,
             (const char *) data);
}

static char *
start_counter (Fixture            *fixture,
               TestBus            *bus,
               const char         *id,
               gboolean            incoming,
               GDataInputStream  **out_stream)
{
  return test_tool_start_counter (fixture, bus, id, incoming, out_stream,
                                  NULL);
}

static char *
read_line (GDataInputStream *out)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line (out, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (line);
  return line;
}

/* Starts the tool with DBUS_SESSION_BUS_ADDRESS set to @address (unset if
 * NULL) and standard input from @input_path (a pipe if NULL). */
static GSubprocess *
spawn_toolv (const char         *address,
             const char         *input_path,
             const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE
                           | G_SUBPROCESS_FLAGS_STDERR_PIPE;

  if (input_path == NULL)
    flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
  launcher = test_launcher_new (flags);
  if (input_path != NULL)
    g_subprocess_launcher_set_stdin_file_path (launcher, input_path);
  if (address != NULL)
    g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                  address, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "DBUS_SESSION_BUS_ADDRESS");
  return test_tool_spawnv (launcher, NULL, args);
}

static void
finish_tool (TestToolRun *run,
             GSubprocess *process,
             GBytes      *input,
             gint64       started)
{
  test_tool_finish (run, process, input, started, 0);
  if (g_test_verbose ())
    g_printerr ("tool -> %d in %" G_GINT64_FORMAT " ms\n%s%s", run->status,
                run->elapsed_msec, run->out, run->err);
}

/* Runs the tool to its end; @input (nullable) is written to its standard
 * input when @input_path is NULL. */
static void
run_toolv (TestToolRun        *run,
           const char         *address,
           const char         *input_path,
           GBytes             *input,
           const char * const *args)
{
  gint64 started = g_get_monotonic_time ();
  g_autoptr(GSubprocess) process = spawn_toolv (address, input_path, args);

  finish_tool (run, process, input, started);
}

static void
run_tool (TestToolRun *run,
          const char  *address,
          const char  *input_path,
          const char  *first_arg,
          ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  run_toolv (run, address, input_path, NULL,
             (const char * const *) args->pdata);
}

static void
write_file (const char   *path,
            const void   *data,
            gsize         size)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, data, size, &error);
  g_assert_no_error (error);
}

static GBytes *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize size;

  g_file_get_contents (path, &contents, &size, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, size);
}

/* A helper written with bare GDBus, in a thread of its own (the tool
 * runs while the test's main thread waits for it): whatever Id it is
 * told, and a Save that fails with @save_error or, if NULL, never
 * answers. */
static TestRawHelper *
raw_helper_start (const char *address,
                  const char *id,
                  const char *save_error)
{
  TestRawSpec spec = {
    .id = id,
    .save_mode = save_error != NULL ? TEST_RAW_SAVE_ERROR
                                    : TEST_RAW_SAVE_SILENT,
    .error_name = "org.example.Hostile.Error",
    .save_error = save_error,
  };

  return test_raw_helper_start (address, &spec);
}

/* The blob of 'alpha' and 'beta' at 0, as counter helpers save it. */
static GBytes *
two_counters_blob (void)
{
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();
  g_autoptr(GBytes) zero = g_bytes_new_static ("\1\0\0\0\0\0\0\0\0", 9);

  g_assert_true (vmstate1_states_add (states, "alpha", zero, NULL));
  g_assert_true (vmstate1_states_add (states, "beta", zero, NULL));
  return vmstate1_states_encode (states);
}

/* help and usage */

static void
test_help (Fixture       *fixture,
           gconstpointer  data)
{
  static const char *const commands[] = { "list", "save", "load", "dump" };

  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "--help", NULL);
    g_assert_cmpint (run.status, ==, 0);
    test_assert_has (run.out, "Usage:");
    for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
      test_assert_has (run.out, commands[i]);
  }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto(TestToolRun) run = { 0, };
      g_autofree char *usage = g_strdup_printf ("vmstate1-tool %s",
                                                commands[i]);

      run_tool (&run, NULL, NULL, commands[i], "--help", NULL);
      g_assert_cmpint (run.status, ==, 0);
      test_assert_has (run.out, "Usage:");
      test_assert_has (run.out, usage);
    }
}

static void
test_usage_errors (Fixture       *fixture,
                   gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  static const struct
  {
    const char *args[5];
    const char *says;
  } cases[] = {
    { { NULL }, "no command" },
    { { "frobnicate", NULL }, "unknown command 'frobnicate'" },
    { { "save", "-o", NULL }, "Missing argument for -o" },
    { { "load", "--bogus", NULL }, "Unknown option --bogus" },
    { { "dump", NULL }, "dump needs a FILE" },
    { { "dump", "a", "b", NULL }, "unexpected argument 'b'" },
    { { "list", "extra", NULL }, "unexpected argument 'extra'" },
    { { "--timeout", "0", "list", NULL }, "--timeout must be a positive" },
    { { "list", "--timeout", "soon", NULL }, "--timeout" },
    { { "save", "--id-list", "a,,b", NULL }, "The Id is empty" },
    { { "save", "--id-list", "a,b,a", NULL }, "names Id 'a' twice" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(TestToolRun) run = { 0, };

      run_toolv (&run, address, NULL, NULL, cases[i].args);
      g_assert_cmpint (run.status, ==, 2);
      if (strstr (run.err, cases[i].says) == NULL)
        g_error ("case %u: '%s' does not say '%s'", i, run.err,
                 cases[i].says);
    }

  /* No bus address at all. */
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "list", NULL);
    g_assert_cmpint (run.status, ==, 2);
    test_assert_has (run.err, "--address");
    test_assert_has (run.err, "DBUS_SESSION_BUS_ADDRESS");
  }
}

/* list */

static void
test_list (Fixture       *fixture,
           gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  g_autofree char *alpha = start_counter (fixture, fixture->bus, "alpha",
                                          FALSE, NULL);
  g_autofree char *weird = start_counter (fixture, fixture->bus,
                                          "we\"ird\\id", FALSE, NULL);
  g_autofree char *line = NULL;

  {
    g_auto(TestToolRun) run = { 0, };

    /* The session bus address by default; queue order. */
    run_tool (&run, address, NULL, "list", NULL);
    g_assert_cmpint (run.status, ==, 0);
    line = g_strdup_printf ("alpha      %s\nwe\"ird\\id  %s\n", alpha, weird);
    g_assert_cmpstr (run.out, ==, line);
  }

  {
    g_auto(TestToolRun) run = { 0, };
    g_autoptr(JsonNode) root = NULL;
    JsonArray *array;
    JsonObject *entry;

    run_tool (&run, NULL, NULL, "--address", address, "list", "--json",
              NULL);
    g_assert_cmpint (run.status, ==, 0);
    root = test_parse_json (run.out);
    array = json_node_get_array (root);
    g_assert_cmpuint (json_array_get_length (array), ==, 2);
    entry = json_array_get_object_element (array, 0);
    g_assert_cmpstr (json_object_get_string_member (entry, "id"), ==, "alpha");
    g_assert_cmpstr (json_object_get_string_member (entry, "name"), ==, alpha);
    entry = json_array_get_object_element (array, 1);
    g_assert_cmpstr (json_object_get_string_member (entry, "id"), ==,
                     "we\"ird\\id");
    g_assert_cmpstr (json_object_get_string_member (entry, "name"), ==, weird);
  }

  /* An empty bus lists nothing and says so. */
  {
    g_auto(TestToolRun) run = { 0, };
    g_autoptr(JsonNode) root = NULL;

    run_tool (&run, test_bus_get_address (fixture->other_bus), NULL, "list",
              "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    root = test_parse_json (run.out);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==,
                      0);
  }
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, test_bus_get_address (fixture->other_bus), NULL, "list",
              NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_cmpstr (run.out, ==, "");
    test_assert_has (run.err, "no helper is queued");
  }
}

/* save, dump, load */

static void
test_save_dump_load (Fixture       *fixture,
                     gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  const char *other = test_bus_get_address (fixture->other_bus);
  g_autofree char *file = g_build_filename (fixture->dir, "state.blob", NULL);
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GBytes) expected = two_counters_blob ();
  g_autoptr(GDataInputStream) alpha_out = NULL;
  g_autoptr(GDataInputStream) beta_out = NULL;
  GStatBuf st;

  g_free (start_counter (fixture, fixture->bus, "alpha", FALSE, NULL));
  g_free (start_counter (fixture, fixture->bus, "beta", FALSE, NULL));

  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "--address", address, "save", "-o", file,
              NULL);
    g_assert_cmpint (run.status, ==, 0);
    test_assert_has (run.err, "Saved 2 helpers: 'alpha' (9 bytes), 'beta' "
                     "(9 bytes) into ");
    contents = read_file (file);
    g_assert_true (g_bytes_equal (contents, expected));
    /* A new file is private. */
    g_assert_cmpint (g_stat (file, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }

  /* The same bytes on standard output. */
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, address, NULL, "save", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_true (g_bytes_equal (run.out_bytes, expected));
    test_assert_has (run.err, "into standard output");
  }

  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "dump", file, NULL);
    g_assert_cmpint (run.status, ==, 0);
    test_assert_has (run.out, "dbus-vmstate blob of 47 bytes, 2 entries\n");
    test_assert_has (run.out,
                     "Id 'alpha': 9 bytes: 01 00 00 00 00 00 00 00 00\n");
    test_assert_has (run.out, "Id 'beta': 9 bytes:");
  }

  {
    g_auto(TestToolRun) run = { 0, };
    g_autoptr(JsonNode) root = NULL;
    JsonArray *array;

    run_tool (&run, NULL, NULL, "dump", "--json", file, NULL);
    g_assert_cmpint (run.status, ==, 0);
    root = test_parse_json (run.out);
    array = json_node_get_array (root);
    g_assert_cmpuint (json_array_get_length (array), ==, 2);
    g_assert_cmpstr (json_object_get_string_member (
                         json_array_get_object_element (array, 1), "id"),
                     ==, "beta");
    g_assert_cmpint (json_object_get_int_member (
                         json_array_get_object_element (array, 1), "size"),
                     ==, 9);
  }

  /* Into fresh helpers waiting for their state, from a file... */
  g_free (start_counter (fixture, fixture->other_bus, "alpha", TRUE,
                         &alpha_out));
  g_free (start_counter (fixture, fixture->other_bus, "beta", TRUE,
                         &beta_out));
  {
    g_auto(TestToolRun) run = { 0, };
    g_autofree char *alpha_line = NULL;
    g_autofree char *beta_line = NULL;

    run_tool (&run, other, NULL, "load", "-i", file, NULL);
    g_assert_cmpint (run.status, ==, 0);
    test_assert_has (run.out, "Loaded 2 helpers");
    alpha_line = read_line (alpha_out);
    beta_line = read_line (beta_out);
    g_assert_cmpstr (alpha_line, ==, "loaded counter=0, counting from here");
    g_assert_cmpstr (beta_line, ==, "loaded counter=0, counting from here");
  }

  /* ...from standard input redirected from a file... */
  {
    g_auto(TestToolRun) run = { 0, };
    g_autofree char *alpha_line = NULL;

    run_tool (&run, other, file, "load", NULL);
    g_assert_cmpint (run.status, ==, 0);
    alpha_line = read_line (alpha_out);
    g_assert_cmpstr (alpha_line, ==, "loaded counter=0");
  }

  /* ...and from a pipe. */
  {
    g_auto(TestToolRun) run = { 0, };
    g_autofree char *alpha_line = NULL;
    const char *const args[] = { "load", "-i", "-", NULL };

    run_toolv (&run, other, NULL, expected, args);
    g_assert_cmpint (run.status, ==, 0);
    alpha_line = read_line (alpha_out);
    g_assert_cmpstr (alpha_line, ==, "loaded counter=0");
  }
}

static void
test_missing_id (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  g_autofree char *file = g_build_filename (fixture->dir, "state.blob", NULL);
  g_autofree char *contents = NULL;

  g_free (start_counter (fixture, fixture->bus, "alpha", FALSE, NULL));

  /* Fails, naming the Id, and writes nothing... */
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, address, NULL, "save", "--id-list", "alpha,ghost", "-o",
              file, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "'ghost'");
    test_assert_lacks (run.err, "Saved");
    g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  }

  /* ...and leaves an older file as it was. */
  g_assert_true (g_file_set_contents (file, "old", -1, NULL));
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, address, NULL, "save", "--id-list", "ghost", "-o", file,
              NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
    g_assert_cmpstr (contents, ==, "old");
  }

  /* A blob with an Id that no helper has is not loaded at all. */
  {
    g_auto(TestToolRun) run = { 0, };
    g_autoptr(Vmstate1States) states = vmstate1_states_new ();
    g_autoptr(GBytes) state = g_bytes_new_static ("\1\0\0\0\0\0\0\0\7", 9);
    g_autoptr(GBytes) blob = NULL;

    g_assert_true (vmstate1_states_add (states, "alpha", state, NULL));
    g_assert_true (vmstate1_states_add (states, "ghost", state, NULL));
    blob = vmstate1_states_encode (states);
    write_file (file, g_bytes_get_data (blob, NULL), g_bytes_get_size (blob));
    run_tool (&run, address, NULL, "load", "-i", file, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "'ghost'");
  }
}

/* QEMU migration streams and libvirt save images */

static void
test_qemu_stream (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *file = g_build_filename (fixture->dir, "mig.bin", NULL);
  g_autoptr(GBytes) stream = g_bytes_new_static (qemu_stream,
                                                 sizeof qemu_stream);
  g_autoptr(GDataInputStream) x_out = NULL;
  g_autoptr(GDataInputStream) yy_out = NULL;

  write_file (file, qemu_stream, sizeof qemu_stream);
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "dump", file, NULL);
    g_assert_cmpint (run.status, ==, 0);
    test_assert_has (run.out, "a QEMU migration stream, whose dbus-vmstate "
                     "section holds 2 entries\n");
    test_assert_has (run.out,
                     "Id 'x': 9 bytes: 01 00 00 00 00 00 00 00 49\n");
    test_assert_has (run.out,
                     "Id 'yy': 9 bytes: 01 00 00 00 00 00 00 00 49\n");
  }

  /* From a pipe: read as a stream, not mapped nor sought. */
  {
    g_auto(TestToolRun) run = { 0, };
    g_autoptr(JsonNode) root = NULL;
    const char *const args[] = { "dump", "--json", "-", NULL };

    run_toolv (&run, NULL, NULL, stream, args);
    g_assert_cmpint (run.status, ==, 0);
    root = test_parse_json (run.out);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==,
                      2);
  }

  /* Helpers restored straight from what QEMU wrote, from a file and from
   * a pipe. */
  g_free (start_counter (fixture, fixture->bus, "x", TRUE, &x_out));
  g_free (start_counter (fixture, fixture->bus, "yy", TRUE, &yy_out));
  {
    g_auto(TestToolRun) run = { 0, };
    g_autofree char *line = NULL;

    run_tool (&run, test_bus_get_address (fixture->bus), NULL, "load", "-i",
              file, NULL);
    g_assert_cmpint (run.status, ==, 0);
    test_assert_has (run.out, "the dbus-vmstate section of a QEMU migration "
                     "stream");
    line = read_line (x_out);
    g_assert_cmpstr (line, ==, "loaded counter=73, counting from here");
  }
  {
    g_auto(TestToolRun) run = { 0, };
    g_autofree char *line = NULL;
    const char *const args[] = { "load", NULL };

    run_toolv (&run, test_bus_get_address (fixture->bus), NULL, stream, args);
    g_assert_cmpint (run.status, ==, 0);
    line = read_line (yy_out);
    g_assert_cmpstr (line, ==, "loaded counter=73, counting from here");
  }
}

/* 0.1 searched the stream for the section's name and reported any
 * failure as "no dbus-vmstate section": a stream whose section is there
 * but corrupt must say so, with the offset. */
static void
test_stream_errors (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *file = g_build_filename (fixture->dir, "mig.bin", NULL);
  g_autofree guint8 *corrupt = g_memdup2 (qemu_stream, sizeof qemu_stream);

  /* A count of 3 for 2 entries: the third is read from the padding. */
  g_assert_cmpint (corrupt[QEMU_STREAM_COUNT_OFFSET + 3], ==, 2);
  corrupt[QEMU_STREAM_COUNT_OFFSET + 3] = 3;
  write_file (file, corrupt, sizeof qemu_stream);
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "dump", file, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "corrupt");
    test_assert_has (run.err, "offset");
    test_assert_lacks (run.err, "no dbus-vmstate section");
  }
  {
    g_auto(TestToolRun) run = { 0, };

    /* load says the same, before touching the bus. */
    run_tool (&run, test_bus_get_address (fixture->bus), NULL, "load", "-i",
              file, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "corrupt");
    test_assert_lacks (run.err, "no dbus-vmstate section");
  }

  /* No section at all. */
  write_file (file, qemu_stream_no_section, sizeof qemu_stream_no_section);
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "dump", file, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "no dbus-vmstate section");
    test_assert_lacks (run.err, "corrupt");
  }

  /* Cut before its VM description: the reader cannot tell. */
  write_file (file, qemu_stream, 0x170);
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "dump", file, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "cannot tell");
    test_assert_lacks (run.err, "no dbus-vmstate section");
  }

  /* Neither a blob nor a stream. */
  write_file (file, "not a blob", 10);
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "dump", file, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "Malformed dbus-vmstate blob");
  }

  /* A blob with non-zero bytes after its last entry (0.1 took it). */
  {
    g_auto(TestToolRun) run = { 0, };
    g_autoptr(GBytes) blob = two_counters_blob ();
    g_autoptr(GByteArray) bytes = g_byte_array_new ();

    g_byte_array_append (bytes, g_bytes_get_data (blob, NULL),
                         g_bytes_get_size (blob));
    g_byte_array_append (bytes, (const guint8 *) "\0\0\1", 3);
    write_file (file, bytes->data, bytes->len);
    run_tool (&run, NULL, NULL, "dump", file, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "offset");
  }

  /* Too large to be a blob: refused without reading it. */
  {
    g_auto(TestToolRun) run = { 0, };
    int fd = g_open (file, O_WRONLY | O_TRUNC, 0);

    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (write (fd, "\0\0\0\1", 4), ==, 4);
    g_assert_cmpint (ftruncate (fd, (off_t) 600 * 1024 * 1024), ==, 0);
    close (fd);
    run_tool (&run, NULL, NULL, "dump", file, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "512 MiB");
    g_unlink (file);
  }

  /* No file; a directory. */
  {
    g_auto(TestToolRun) run = { 0, };
    g_autofree char *missing = g_build_filename (fixture->dir, "missing",
                                                 NULL);

    run_tool (&run, NULL, NULL, "dump", missing, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "cannot read");
  }
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "dump", fixture->dir, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "cannot read");
  }
}

/* A libvirt save image: its header (magic, version 2, XML length, was
 * running, format 0 = raw, then 15 unused words, host byte order), the
 * domain XML, then QEMU's stream. */
static GBytes *
libvirt_image (const char *magic)
{
  static const char xml[] = "<domain type='kvm'><name>vm</name></domain>";
  GByteArray *image = g_byte_array_new ();
  guint32 words[19] = { 2, sizeof xml, 1, 0, };

  g_byte_array_append (image, (const guint8 *) magic, 16);
  g_byte_array_append (image, (const guint8 *) words, sizeof words);
  g_byte_array_append (image, (const guint8 *) xml, sizeof xml);
  g_byte_array_append (image, qemu_stream, sizeof qemu_stream);
  return g_byte_array_free_to_bytes (image);
}

static void
test_libvirt_image (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *file = g_build_filename (fixture->dir, "vm.save", NULL);
  g_autoptr(GBytes) image = libvirt_image ("LibvirtQemudSave");
  g_autoptr(GBytes) partial = libvirt_image ("LibvirtQemudPart");

  write_file (file, g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "dump", file, NULL);
    g_assert_cmpint (run.status, ==, 0);
    test_assert_has (run.out, "a libvirt save image, whose dbus-vmstate "
                     "section holds 2 entries");
    test_assert_has (run.out, "Id 'yy': 9 bytes:");
  }

  /* A save that did not finish. */
  {
    g_auto(TestToolRun) run = { 0, };
    const char *const args[] = { "dump", "-", NULL };

    run_toolv (&run, NULL, NULL, partial, args);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "libvirt save image");
  }
}

/* save -o: what happens to each kind of file */

/* Two counter helpers on the fixture's bus. */
static void
start_two_counters (Fixture *fixture)
{
  g_free (start_counter (fixture, fixture->bus, "alpha", FALSE, NULL));
  g_free (start_counter (fixture, fixture->bus, "beta", FALSE, NULL));
}

typedef struct
{
  char *path;
  GBytes *got;
} FifoReader;

static gpointer
fifo_read_thread (gpointer data)
{
  FifoReader *reader = data;
  g_autoptr(GByteArray) got = g_byte_array_new ();
  guint8 buffer[4096];
  gssize n;
  int fd = g_open (reader->path, O_RDONLY, 0);  /* waits for the writer */

  g_assert_cmpint (fd, >=, 0);
  while ((n = read (fd, buffer, sizeof buffer)) > 0)
    g_byte_array_append (got, buffer, n);
  g_assert_cmpint (n, ==, 0);
  close (fd);
  reader->got = g_byte_array_free_to_bytes (g_steal_pointer (&got));
  return NULL;
}

/* 0.1 renamed a regular file over the FIFO (g_file_set_contents): the
 * reader waited forever and the FIFO was gone. */
static void
test_output_fifo (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *fifo = g_build_filename (fixture->dir, "fifo", NULL);
  g_autoptr(GBytes) expected = two_counters_blob ();
  FifoReader reader = { fifo, NULL };
  GThread *thread;
  GStatBuf st;

  start_two_counters (fixture);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  thread = g_thread_new ("fifo-reader", fifo_read_thread, &reader);
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, test_bus_get_address (fixture->bus), NULL, "save", "-o",
              fifo, NULL);
    g_assert_cmpint (run.status, ==, 0);
    test_assert_has (run.err, "Saved 2 helpers");
  }
  /* Still a FIFO (checked first: if it had been replaced, the reader
   * would wait forever). */
  g_assert_cmpint (g_lstat (fifo, &st), ==, 0);
  g_assert_true (S_ISFIFO (st.st_mode));
  g_thread_join (thread);
  g_assert_true (g_bytes_equal (reader.got, expected));
  g_bytes_unref (reader.got);
}

/* A character device of our own with the numbers of @system (/dev/null,
 * /dev/full), or @system itself if nodes cannot be made here. */
static char *
make_device (Fixture    *fixture,
             const char *system,
             const char *name)
{
  g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
  GStatBuf st;

  g_assert_cmpint (g_stat (system, &st), ==, 0);
  g_assert_true (S_ISCHR (st.st_mode));
  if (mknod (path, S_IFCHR | 0666, st.st_rdev) == 0)
    return g_steal_pointer (&path);
  g_test_message ("mknod %s: %s; using %s", path, g_strerror (errno), system);
  return g_strdup (system);
}

/* 0.1, run as root, replaced /dev/null with a regular file. */
static void
test_output_chardev (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *null = make_device (fixture, "/dev/null", "null");
  g_autofree char *full = make_device (fixture, "/dev/full", "full");
  GStatBuf before, after;

  start_two_counters (fixture);
  g_assert_cmpint (g_lstat (null, &before), ==, 0);
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, test_bus_get_address (fixture->bus), NULL, "save", "-o",
              null, NULL);
    g_assert_cmpint (run.status, ==, 0);
    test_assert_has (run.err, "Saved 2 helpers");
  }
  g_assert_cmpint (g_lstat (null, &after), ==, 0);
  g_assert_true (S_ISCHR (after.st_mode));
  g_assert_cmpuint (after.st_rdev, ==, before.st_rdev);
  g_assert_cmpuint (after.st_ino, ==, before.st_ino);

  /* A device that refuses the bytes: an error, and no "Saved". */
  g_assert_cmpint (g_lstat (full, &before), ==, 0);
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, test_bus_get_address (fixture->bus), NULL, "save", "-o",
              full, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "cannot write the blob");
    test_assert_lacks (run.err, "Saved");
  }
  g_assert_cmpint (g_lstat (full, &after), ==, 0);
  g_assert_true (S_ISCHR (after.st_mode));
  g_assert_cmpuint (after.st_rdev, ==, before.st_rdev);
}

static guint
count_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
test_output_replace (Fixture       *fixture,
                     gconstpointer  data)
{
  static const char older[] = "an older save, longer than the new one: "
                              "................................................";
  g_autofree char *file = g_build_filename (fixture->dir, "state.blob", NULL);
  g_autoptr(GBytes) expected = two_counters_blob ();
  g_autoptr(GBytes) got = NULL;
  GStatBuf before, after;
  int fd;

  start_two_counters (fixture);
  write_file (file, older, sizeof older - 1);
  g_assert_cmpint (g_chmod (file, 0640), ==, 0);
  /* Held open: what a reader of the old file sees does not change. */
  fd = g_open (file, O_RDONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (g_lstat (file, &before), ==, 0);
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, test_bus_get_address (fixture->bus), NULL, "save", "-o",
              file, NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  g_assert_cmpint (g_lstat (file, &after), ==, 0);
  g_assert_true (S_ISREG (after.st_mode));
  /* A new inode renamed over the old one, with its mode... */
  g_assert_cmpuint (after.st_ino, !=, before.st_ino);
  g_assert_cmpint (after.st_mode & 07777, ==, 0640);
  got = read_file (file);
  g_assert_true (g_bytes_equal (got, expected));
  /* ...the old file whole for whoever had it open... */
  {
    char old[sizeof older];

    g_assert_cmpint (read (fd, old, sizeof old), ==, sizeof older - 1);
    g_assert_true (g_str_has_prefix (old, "an older save"));
    close (fd);
  }
  /* ...and no temporary file left. */
  g_assert_cmpuint (count_entries (fixture->dir), ==, 1);
}

/* A symlink is followed: its target is replaced, the link stays. */
static void
test_output_symlink (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *target = g_build_filename (fixture->dir, "target", NULL);
  g_autofree char *link = g_build_filename (fixture->dir, "link", NULL);
  g_autofree char *dangling = g_build_filename (fixture->dir, "dangling",
                                                NULL);
  g_autofree char *nowhere = g_build_filename (fixture->dir, "nowhere", NULL);
  g_autofree char *points_to = NULL;
  g_autoptr(GBytes) expected = two_counters_blob ();
  g_autoptr(GBytes) got = NULL;
  GStatBuf before, after;

  start_two_counters (fixture);
  write_file (target, "old", 3);
  g_assert_cmpint (g_chmod (target, 0644), ==, 0);
  g_assert_cmpint (symlink ("target", link), ==, 0);
  g_assert_cmpint (g_stat (target, &before), ==, 0);
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, test_bus_get_address (fixture->bus), NULL, "save", "-o",
              link, NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  g_assert_cmpint (g_lstat (link, &after), ==, 0);
  g_assert_true (S_ISLNK (after.st_mode));
  points_to = g_file_read_link (link, NULL);
  g_assert_cmpstr (points_to, ==, "target");
  g_assert_cmpint (g_lstat (target, &after), ==, 0);
  g_assert_true (S_ISREG (after.st_mode));
  g_assert_cmpuint (after.st_ino, !=, before.st_ino);
  g_assert_cmpint (after.st_mode & 07777, ==, 0644);
  got = read_file (target);
  g_assert_true (g_bytes_equal (got, expected));
  g_assert_cmpuint (count_entries (fixture->dir), ==, 2);

  /* A link that leads nowhere is refused, before any Save. */
  g_assert_cmpint (symlink ("nowhere", dangling), ==, 0);
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, test_bus_get_address (fixture->bus), NULL, "save", "-o",
              dangling, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "symbolic link");
    test_assert_lacks (run.err, "Saved");
  }
  g_assert_false (g_file_test (nowhere, G_FILE_TEST_EXISTS));
}

static void
test_output_directory (Fixture       *fixture,
                       gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  g_autoptr(TestRawHelper) helper = raw_helper_start (address, "quiet",
                                                      "not to be called");
  g_autofree char *dir = g_build_filename (fixture->dir, "dir", NULL);
  g_autofree char *in_missing = g_build_filename (fixture->dir, "no", "file",
                                                  NULL);
  GStatBuf st;

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, address, NULL, "save", "-o", dir, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "is a directory");
    test_assert_lacks (run.err, "Saved");
  }
  g_assert_cmpint (g_lstat (dir, &st), ==, 0);
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_cmpuint (count_entries (dir), ==, 0);

  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, address, NULL, "save", "-o", in_missing, NULL);
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.err, "no directory");
  }

  /* Neither called the helper: a bad -o fails before any Save. */
  g_assert_cmpuint (test_raw_helper_get_saves (helper), ==, 0);
}

/* Terminal injection: Ids and messages from peers, Ids from files */

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

#define HOSTILE_ID "evil\x1b]0;pwned\x07\nfake"
#define HOSTILE_ERROR "\x1b[2K\rSaved 1 helper\nfake"

static void
test_hostile_peer (Fixture       *fixture,
                   gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  g_autoptr(TestRawHelper) helper = raw_helper_start (address, HOSTILE_ID,
                                                      HOSTILE_ERROR);
  g_autofree char *file = g_build_filename (fixture->dir, "evil.blob", NULL);

  {
    g_auto(TestToolRun) run = { 0, };
    g_autofree char *line = NULL;

    run_tool (&run, address, NULL, "list", NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_no_escape ("list's output", run.out_bytes);
    assert_no_escape ("list's errors", run.err_bytes);
    /* One line: a newline in an Id cannot forge another. */
    line = g_strdup_printf ("evil\\x1b]0;pwned\\x07\\x0afake  %s\n",
                            test_raw_helper_get_unique_name (helper));
    g_assert_cmpstr (run.out, ==, line);
  }

  /* JSON keeps the Id as it is, JSON-escaped. */
  {
    g_auto(TestToolRun) run = { 0, };
    g_autoptr(JsonNode) root = NULL;
    JsonObject *entry;

    run_tool (&run, address, NULL, "list", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_no_escape ("list --json's output", run.out_bytes);
    root = test_parse_json (run.out);
    entry = json_array_get_object_element (json_node_get_array (root), 0);
    g_assert_cmpstr (json_object_get_string_member (entry, "id"), ==,
                     HOSTILE_ID);
  }

  /* Its Save fails with a message that would rewrite the line. */
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, address, NULL, "save", "-o", file, NULL);
    g_assert_cmpint (run.status, ==, 1);
    assert_no_escape ("save's output", run.out_bytes);
    assert_no_escape ("save's errors", run.err_bytes);
    test_assert_has (run.err, "\\x1b");
    test_assert_has (run.err, "evil\\x1b]0;pwned\\x07");
    test_assert_has (run.err, "\\x1b[2K\\x0dSaved 1 helper\\x0afake");
    g_assert_cmpuint (count_lines (run.err), ==, 1);
    g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  }

  /* The same Id in a blob. */
  {
    g_autoptr(Vmstate1States) states = vmstate1_states_new ();
    g_autoptr(GBytes) state = g_bytes_new_static ("\x1b[31m", 5);
    g_autoptr(GBytes) blob = NULL;

    g_assert_true (vmstate1_states_add (states, HOSTILE_ID, state, NULL));
    blob = vmstate1_states_encode (states);
    write_file (file, g_bytes_get_data (blob, NULL), g_bytes_get_size (blob));
  }
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "dump", file, NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_no_escape ("dump's output", run.out_bytes);
    test_assert_has (run.out, "Id 'evil\\x1b]0;pwned\\x07\\x0afake': 5 bytes: "
                     "1b 5b 33 31 6d\n");
    g_assert_cmpuint (count_lines (run.out), ==, 2);
  }
  {
    g_auto(TestToolRun) run = { 0, };
    g_autoptr(JsonNode) root = NULL;
    JsonObject *entry;

    run_tool (&run, NULL, NULL, "dump", "--json", file, NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_no_escape ("dump --json's output", run.out_bytes);
    root = test_parse_json (run.out);
    entry = json_array_get_object_element (json_node_get_array (root), 0);
    g_assert_cmpstr (json_object_get_string_member (entry, "id"), ==,
                     HOSTILE_ID);
  }
  {
    g_auto(TestToolRun) run = { 0, };

    /* No helper with that Id on the other bus: the error names it. */
    run_tool (&run, test_bus_get_address (fixture->other_bus), NULL, "load",
              "-i", file, NULL);
    g_assert_cmpint (run.status, ==, 1);
    assert_no_escape ("load's errors", run.err_bytes);
    test_assert_has (run.err, "evil\\x1b]0;pwned\\x07\\x0afake");
    g_assert_cmpuint (count_lines (run.err), ==, 1);
  }
}

/* Misleading messages and hangs */

/* The bus dies while a helper is in Save: the bus is to blame. */
static void
test_bus_dies (Fixture       *fixture,
               gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  g_autoptr(TestRawHelper) helper = raw_helper_start (address, "stuck", NULL);
  g_autofree char *file = g_build_filename (fixture->dir, "state.blob", NULL);
  const char *const args[] = { "--timeout", "20000", "save", "-o", file,
                               NULL };
  g_auto(TestToolRun) run = { 0, };
  g_autoptr(GSubprocess) process = NULL;
  gint64 started = g_get_monotonic_time ();

  process = spawn_toolv (address, NULL, args);
  g_assert_true (test_raw_helper_wait_save (helper, 10000));
  test_bus_kill (fixture->bus);
  finish_tool (&run, process, NULL, started);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_cmpint (run.elapsed_msec, <, 10000);
  test_assert_has (run.err, "the bus went away, not the helper");
  test_assert_lacks (run.err, "did not answer");
  test_assert_lacks (run.err, "Save failed");
  test_assert_lacks (run.err, "Saved");
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
}

/* A stopped dbus-daemon accepts the connection and never answers: 0.1's
 * list waited forever (it ignored --timeout) and save for 25 s. */
static void
test_stopped_bus (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  g_autofree char *file = g_build_filename (fixture->dir, "state.blob", NULL);
  GPid pid = test_bus_get_pid (fixture->bus);

  g_free (start_counter (fixture, fixture->bus, "alpha", FALSE, NULL));
  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, address, NULL, "--timeout", "500", "list", NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_cmpint (run.elapsed_msec, >=, 400);
    g_assert_cmpint (run.elapsed_msec, <, 2500);
    test_assert_has (run.err, "did not answer");
    test_assert_has (run.err, "bus");
  }
  {
    g_auto(TestToolRun) run = { 0, };

    /* --timeout after the command works as well. */
    run_tool (&run, address, NULL, "save", "--timeout", "500", "-o", file,
              NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_cmpint (run.elapsed_msec, <, 2500);
    test_assert_has (run.err, "did not answer");
    test_assert_lacks (run.err, "Saved");
    g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  }
  g_assert_cmpint (kill (pid, SIGCONT), ==, 0);

  /* Running again, the same bus answers. */
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, address, NULL, "--timeout", "5000", "list", NULL);
    g_assert_cmpint (run.status, ==, 0);
    test_assert_has (run.out, "alpha");
  }
}

/* A helper that does not answer in --timeout fails the save, named: by
 * its Id when it answered that much, by its unique name otherwise. */
static void
test_silent_helper (Fixture       *fixture,
                    gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  const char *other = test_bus_get_address (fixture->other_bus);
  g_autoptr(TestRawHelper) helper = raw_helper_start (address, "stuck", NULL);
  GSubprocess *alpha = NULL;
  g_autofree char *alpha_name = NULL;

  g_free (start_counter (fixture, fixture->bus, "beta", FALSE, NULL));
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, address, NULL, "--timeout", "500", "save", NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_cmpint (run.elapsed_msec, <, 3000);
    test_assert_has (run.err, "'stuck'");
    test_assert_has (run.err, "did not answer");
    g_assert_cmpuint (g_bytes_get_size (run.out_bytes), ==, 0);
  }

  /* A stopped helper answers nothing at all. */
  alpha_name = test_tool_start_counter (fixture, fixture->other_bus, "alpha",
                                        FALSE, NULL, &alpha);
  g_subprocess_send_signal (alpha, SIGSTOP);
  {
    g_auto(TestToolRun) run = { 0, };

    run_tool (&run, other, NULL, "--timeout", "500", "save", NULL);
    g_subprocess_send_signal (alpha, SIGCONT);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_cmpint (run.elapsed_msec, <, 3000);
    test_assert_has (run.err, alpha_name);
    test_assert_has (run.err, "did not answer");
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/vmstate1/tool/" path, Fixture, NULL, test_tool_fixture_setup, \
              func, test_tool_fixture_teardown)

  ADD ("help", test_help);
  ADD ("usage-errors", test_usage_errors);
  ADD ("list", test_list);
  ADD ("save-dump-load", test_save_dump_load);
  ADD ("missing-id", test_missing_id);
  ADD ("qemu-stream", test_qemu_stream);
  ADD ("stream-errors", test_stream_errors);
  ADD ("libvirt-image", test_libvirt_image);
  ADD ("output/fifo", test_output_fifo);
  ADD ("output/chardev", test_output_chardev);
  ADD ("output/replace", test_output_replace);
  ADD ("output/symlink", test_output_symlink);
  ADD ("output/directory", test_output_directory);
  ADD ("hostile-peer", test_hostile_peer);
  ADD ("bus-dies", test_bus_dies);
  ADD ("stopped-bus", test_stopped_bus);
  ADD ("silent-helper", test_silent_helper);

#undef ADD

  return g_test_run ();
}
