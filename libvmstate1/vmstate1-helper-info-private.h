/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vmstate1-helper-info.h"

G_BEGIN_DECLS

Vmstate1HelperInfo *_vmstate1_helper_info_new (const char *id,
                                               const char *unique_name);

G_END_DECLS
