/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libzcap: zero-copy video capture with DirectShow-style pins. */
#ifndef ZCAP_ZCAP_H
#define ZCAP_ZCAP_H

#include <zcap/error.h>
#include <zcap/format.h>
#include <zcap/log.h>
#include <zcap/allocator.h>
#include <zcap/sample.h>
#include <zcap/pin.h>
#include <zcap/filter.h>
#include <zcap/graph.h>
#include <zcap/v4l2_source.h>
#include <zcap/sinks.h>
#include <zcap/consumers.h>
#include <zcap/version.h>

#endif /* ZCAP_ZCAP_H */
