/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#define VMSTATE1_INSIDE

#include "vmstate1-version.h"
#include "vmstate1-error.h"
#include "vmstate1-interface.h"
#include "vmstate1-enum-types.h"
#include "vmstate1-states.h"
#include "vmstate1-connect.h"
#include "vmstate1-helper.h"
#include "vmstate1-register.h"
#include "vmstate1-helper-info.h"
#include "vmstate1-vm.h"

#undef VMSTATE1_INSIDE
